"""Messaging apps, e-mail and SMS through apprise (loa.yaml `messaging`; issue 16).

Each destination is one apprise URL (Telegram, Zalo-like webhooks, Matrix, mailto, an SMS gateway,
json:// …) with its secrets from the environment, the areas whose subscribers it reaches, and a kind
that picks the text: `sms` (one 70-character UCS-2 segment, or the declared number, optionally
unaccented), `chat` and `email` (title, lead, link). One delivery row per destination. A destination
that does not answer, or answers 408/429/5xx, is tried again here with backoff, then left pending for
the dispatch flow's retries; any other refusal is permanent. A delivered destination is never sent
again (loa/publishing/dispatch.py sends only what is not delivered).
"""

from __future__ import annotations

import logging
import re
import time

from channels.base import failed
from loa.config import Config, MessagingDestination
from loa.layout import notice_page
from loa.messaging import Message, chat, sms
from loa.model import DeliveryResult, NoticeState, NoticeView, within
from loa.site.context import excerpt
from loa.store import Store

BACKOFF_BASE = 0.5  # seconds before the 2nd attempt; doubles each time
BACKOFF_CAP = 10.0
_HTTP_STATUS = re.compile(r"\b([45]\d\d)\b")
_PERMANENT = {400, 401, 403, 404, 405, 410, 413, 422}


def message_for(dest: MessagingDestination, notice: NoticeView, url: str, withdrawn: bool = False) -> Message:
    """What this destination receives for the notice (an SMS's title is empty: it is all body)."""
    if dest.kind == "sms":
        return Message(
            "",
            sms(
                notice.title,
                url,
                priority=notice.priority,
                segments=dest.segments,
                unaccented=dest.unaccented,
                withdrawn=withdrawn,
            ),
        )
    lead = excerpt(notice.variants.get("website") or notice.summary_html, 1000)
    return chat(notice.title, lead, url, priority=notice.priority, withdrawn=withdrawn)


class Messaging:
    name = "messaging"
    # not after the website: an emergency SMS must not wait for the radio audio the page links; the
    # page it links is written within seconds of it (docs/cap.md, approve -> SMS figures)
    after: tuple[str, ...] = ()
    broker = False

    def __init__(self, cfg: Config, store: Store, *, sleep=time.sleep):
        self.cfg, self.store, self.sleep = cfg, store, sleep
        self.destinations = {d.name: d for d in cfg.messaging}

    def targets(self, notice: NoticeView) -> list[str]:
        return [
            d.name
            for d in self.destinations.values()
            if notice.priority.value in d.priorities
            and (not d.areas or any(within(a, da) or within(da, a) for a in notice.areas for da in d.areas))
        ]

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return [self._send(notice, name, withdrawn=False) for name in targets]

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return [self._send(notice, name, withdrawn=notice.state == NoticeState.WITHDRAWN) for name in targets]

    def describe(self) -> dict:
        return {"channel": self.name, "destinations": [d.masked() for d in self.destinations.values()]}

    def _send(self, notice: NoticeView, name: str, withdrawn: bool) -> DeliveryResult:
        import apprise

        dest = self.destinations.get(name)
        if dest is None:
            return failed(self.name, name, f"destination {name!r} is no longer in loa.yaml messaging", transient=False)
        msg = message_for(dest, notice, f"{self.cfg.site_url}/{notice_page(notice.id)}", withdrawn)
        where = dest.masked()["url"]
        problem = ""
        for attempt in range(1, dest.attempts + 1):
            sender = apprise.Apprise()
            sender.add(dest.url)
            with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:  # no timestamp digits
                ok = sender.notify(body=msg.body, title=msg.title, body_format=apprise.NotifyFormat.TEXT)
                said = " ".join(logs.getvalue().split())
            if ok:
                return DeliveryResult(
                    self.name, name, True, f"{dest.kind} to {where} (attempt {attempt}, {len(msg.body)} characters)"
                )
            problem = said[-300:] or "apprise reported a failure without a reason"
            status = next((int(s) for s in _HTTP_STATUS.findall(said) if int(s) >= 400), None)
            if status in _PERMANENT:
                return failed(
                    self.name,
                    name,
                    f"{dest.kind} to {where} refused (HTTP {status}): "
                    f"{problem}; check the destination's URL and credentials",
                    transient=False,
                )
            if attempt < dest.attempts:
                self.sleep(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        return failed(
            self.name,
            name,
            f"{dest.kind} to {where}: {problem} after {dest.attempts} "
            "attempt(s); the delivery stays pending and is retried",
        )
