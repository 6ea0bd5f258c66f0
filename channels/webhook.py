"""Push to external portals: each notice as a JSON POST signed with HMAC-SHA256 (loa.yaml `webhooks`).

Headers a receiver checks:
  X-Loa-Signature: sha256=<hex HMAC-SHA256 of "<X-Loa-Timestamp>." + body, keyed with the shared secret>
  X-Loa-Timestamp: Unix seconds when it was signed (reject old ones to stop replays)
  X-Loa-Event:     notice.published | notice.withdrawn
  X-Loa-Delivery:  the same on every retry of one delivery (receivers de-duplicate on it)
Each target is one delivery row. A target that times out, refuses the connection or answers
408/429/5xx is retried here with exponential backoff (Retry-After honoured, capped), then left
pending for the dispatch flow's own retries; any other 4xx, or a redirect, is a permanent failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING

from channels.base import failed
from loa import sendguard
from loa.config import Config, WebhookTarget
from loa.ingest.sanitize import sanitize_html
from loa.model import DeliveryResult, NoticeState, NoticeView, within
from loa.site.context import excerpt
from loa.site.model import safe_url
from loa.store import Store

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

SCHEMA = "loa.webhook.notice"
SCHEMA_VERSION = 1
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
BACKOFF_BASE = 0.5  # seconds before the 2nd attempt; doubles each time
BACKOFF_CAP = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook:
    name = "webhook"
    after: tuple[str, ...] = ()
    broker = False

    def __init__(self, cfg: Config, store: Store, *, sleep=time.sleep):
        self.cfg, self.store, self.sleep = cfg, store, sleep
        self.hooks = {t.name: t for t in cfg.webhooks}

    def targets(self, notice: NoticeView) -> list[str]:
        return [
            t.name
            for t in self.hooks.values()
            if not t.areas or any(within(a, ta) or within(ta, a) for a in notice.areas for ta in t.areas)
        ]

    def payload(self, notice: NoticeView, event: str) -> dict:
        meta = {k: v for k, v in vars(notice.meta).items() if v}
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "event": event,
            "notice": {
                "id": notice.id,
                "version": notice.version,
                "state": notice.state.value,
                "priority": notice.priority.value,
                "title": notice.title,
                "url": f"{self.cfg.site_url}/notices/{notice.id}.html",
                "areas": [
                    {"path": a, "code": self.cfg.area_code(a), "name": self.cfg.area_name(a)} for a in notice.areas
                ],
                "document": meta,
                "summary": excerpt(notice.variants.get("website") or notice.summary_html),
                "body_html": sanitize_html(notice.variants.get("website") or notice.summary_html),
                "source_url": safe_url(notice.source_url),
                "approved_at": notice.approved_at.isoformat() if notice.approved_at else None,
                "expires_at": notice.expires_at.isoformat() if notice.expires_at else None,
            },
        }

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._send(notice, targets, "notice.published")

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        event = "notice.withdrawn" if notice.state == NoticeState.WITHDRAWN else "notice.published"
        return self._send(notice, targets, event)

    def describe(self) -> dict:
        return {"channel": self.name, "targets": [t.masked() for t in self.hooks.values()]}

    def _send(self, notice: NoticeView, targets: list[str], event: str) -> list[DeliveryResult]:
        body = json.dumps(self.payload(notice, event), ensure_ascii=False, sort_keys=True).encode("utf-8")
        results = []
        # imported here: every dispatch builds this channel, most have no webhook to send (~0.1 s CPU)
        import requests

        with requests.Session() as session:
            for name in targets:
                hook = self.hooks.get(name)
                if hook is None:
                    results.append(
                        failed(self.name, name, f"webhook {name!r} is no longer in loa.yaml", transient=False)
                    )
                    continue
                if not sendguard.allowed(self.name, [name]):  # withdrawn meanwhile: the withdrawal wins
                    results.append(
                        failed(
                            self.name,
                            name,
                            f"notice {notice.id} withdrawn during the dispatch; not sent",
                            transient=False,
                        )
                    )
                    continue
                delivery = f"{notice.id}-v{notice.version}-{event}-{name}"
                results.append(result := self._post(session, hook, body, event, delivery))
                if result.ok:
                    sendguard.sent(self.name)
        return results

    def _post(
        self, session: requests.Session, hook: WebhookTarget, body: bytes, event: str, delivery: str
    ) -> DeliveryResult:
        import requests

        problem = ""
        for attempt in range(1, hook.attempts + 1):
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Loa-Webhook/1",
                "X-Loa-Event": event,
                "X-Loa-Delivery": delivery,
                "X-Loa-Timestamp": stamp,
                "X-Loa-Signature": signature(hook.secret, stamp, body),
            }
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            try:
                resp = session.post(hook.url, data=body, headers=headers, timeout=hook.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if 200 <= resp.status_code < 300:
                    return DeliveryResult(
                        self.name, hook.name, True, f"POST {hook.url} → {resp.status_code} (attempt {attempt})"
                    )
                problem = f"HTTP {resp.status_code} {resp.reason}: {resp.text[:200]}".strip()
                if resp.status_code not in RETRY_STATUSES:
                    hint = (
                        f"redirected to {resp.headers.get('Location')}; put the final URL in loa.yaml"
                        if 300 <= resp.status_code < 400
                        else "the portal refused the notice"
                    )
                    return failed(self.name, hook.name, f"POST {hook.url}: {problem}; {hint}", transient=False)
                wait = max(wait, min(BACKOFF_CAP, _retry_after(resp.headers.get("Retry-After"))))
            if attempt < hook.attempts:
                self.sleep(wait)
        return failed(
            self.name,
            hook.name,
            f"POST {hook.url}: {problem} after {hook.attempts} attempt(s); the delivery stays pending and is retried",
        )


def _retry_after(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP date: fall back to our own backoff
