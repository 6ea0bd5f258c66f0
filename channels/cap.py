"""CAP 1.2 alerts for priority and emergency notices, published on the website (issue 16).

Files, under the website's folder (LOA_HOME/site), each at a stable URL:
  cap/<notice id>/v<version>.xml          the Alert (first version) or Update (later versions) of a version
  cap/<notice id>/v<version>-cancel.xml   the Cancel sent when the notice is withdrawn, or when an approver
                                          approves the "cancel" draft an upstream CAP Cancel made
  <each>.xml.sig                          detached Ed25519 signature of the file's exact bytes (JSON:
                                          alg, key_id, value in base64), verified with keys/notices.json
  cap/alerts.atom                         Atom feed of current alerts, one entry per alert linking its XML
One delivery row per notice version ("alerts"). Every alert is checked against the bundled OASIS
schema before it is written; one that does not validate is a permanent failure (a bug to report).
The radio audio is linked as a resource when radio has made it (dispatch runs CAP after radio).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path

from channels.base import failure
from loa import clock
from loa.cap import build
from loa.cap.areas import cap_areas
from loa.cap.build import CapResource, CapText, Reference, message_for, to_xml, wants_cap
from loa.cap.feed import FeedEntry, atom, current
from loa.cap.parse import CapError, parse_alert
from loa.cap.schema import problems
from loa.config import Config
from loa.files import locked, write_atomic
from loa.ingest.sanitize import html_to_text
from loa.layout import audio_name, notice_page
from loa.model import DeliveryResult, DeliveryStatus, NoticeView
from loa.signing import Signer, publish_key
from loa.store import Store
from loa.store import cap as cap_store
from loa.store.site import language_variants

log = logging.getLogger(__name__)

TARGET = "alerts"
FEED = "cap/alerts.atom"


def alert_path(notice_id: int, version: int, cancel: bool = False) -> str:
    return f"cap/{notice_id}/v{version}{'-cancel' if cancel else ''}.xml"


class Cap:
    name = "cap"
    after: tuple[str, ...] = ("radio",)  # the alert links the radio audio as a resource: written once radio is done
    broker = False

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.root = cfg.layout.site

    def targets(self, notice: NoticeView) -> list[str]:
        """Priority and emergency notices; and a later version that is neither, if an earlier one was
        sent: its alert must be cancelled, not left standing until it expires."""
        if cap_store.is_cancel(self.store, notice.id, notice.version):
            return [TARGET] if self._earlier(notice) else []  # nothing was sent: nothing to cancel
        return [TARGET] if wants_cap(notice) or self._earlier(notice) else []

    def url(self, path: str) -> str:
        return f"{self.cfg.site_url}/{path}"

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        earlier = self._earlier(notice)
        if earlier and cap_store.is_cancel(self.store, notice.id, notice.version):
            # an approved "cancel" draft (upstream CAP Cancel of a public alert): the alert is cancelled
            return self._publish(notice, targets, "Cancel", notice.approved_at, earlier)
        kind = ("Update" if earlier else "Alert") if wants_cap(notice) else "Cancel"
        return self._publish(notice, targets, kind, notice.approved_at, earlier)

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        withdrawn = [a for a in self.store.actions(notice.id) if a.action == "withdraw"]
        sent = withdrawn[-1].at if withdrawn else notice.approved_at
        return self._publish(notice, targets, "Cancel", sent, self._earlier(notice, including=True))

    def describe(self) -> dict:
        return {
            "channel": self.name,
            "sender": self.cfg.cap.sender,
            "feed": self.url(FEED),
            "signature": "detached Ed25519 (.xml.sig), key at " + self.url("keys/notices.json"),
        }

    # --- building -----------------------------------------------------------------------------

    def _earlier(self, notice: NoticeView, including: bool = False) -> list[Reference]:
        """The alerts this one updates or cancels: every version whose CAP delivery landed."""
        versions = sorted(
            {
                d.version
                for d in self.store.deliveries(notice.id, channel=self.name, kind="publish")
                if d.status == DeliveryStatus.DELIVERED.value
                and (d.version < notice.version or (including and d.version == notice.version))
            }
        )
        refs = []
        for v in versions:
            sent = self.store.notice(notice.id, v).approved_at
            if sent is not None:  # always, for a delivered version: it was approved first
                refs.append(Reference(self.cfg.cap.sender, build.identifier(self.cfg.cap, notice.id, v), sent))
        return refs

    def message(self, notice: NoticeView, msg_type: str, sent: datetime, references: list[Reference]) -> bytes:
        web = self.url(notice_page(notice.id))
        description = html_to_text(notice.variants.get("website") or notice.summary_html)
        texts = [CapText("vi-VN", notice.title, description or notice.title, notice.instruction)]
        for lang, body in language_variants(self.store, notice.id, notice.version).items():
            texts.append(CapText(f"{lang}-VN", notice.title, html_to_text(body) or notice.title, notice.instruction))
        msg = message_for(
            notice,
            self.cfg.cap,
            msg_type=msg_type,
            sent=sent,
            web=web,
            texts=texts,
            areas=cap_areas(self.cfg, notice.areas),
            resources=self._audio(notice),
            references=references,
        )
        return to_xml(msg, self.cfg.tz)

    def _audio(self, notice: NoticeView) -> list[CapResource]:
        """The radio audio of this version (every language radio made), size and SHA-256 as served."""
        out = []
        for path in sorted(self.cfg.layout.audio.glob(audio_name(notice.id, notice.version, "*"))):
            lang = path.stem.rsplit("-", 1)[-1]
            data = path.read_bytes()
            out.append(
                CapResource(
                    f"Bản đọc trên đài truyền thanh ({lang})",
                    "audio/mpeg",
                    len(data),
                    self.url(f"radio/audio/{path.name}"),
                    hashlib.sha256(data).hexdigest(),
                )
            )
        return out

    # --- writing ------------------------------------------------------------------------------

    def _publish(
        self, notice: NoticeView, targets: list[str], msg_type: str, sent: datetime | None, references: list[Reference]
    ) -> list[DeliveryResult]:
        path = alert_path(notice.id, notice.version, cancel=msg_type == "Cancel")
        if sent is None:
            return self._fail(targets, f"notice {notice.id} v{notice.version} has no approval time; not sent", False)
        try:
            xml = self.message(notice, msg_type, sent, references)
        except (ValueError, OSError) as exc:
            return self._fail(
                targets, f"CAP {msg_type} for notice {notice.id} v{notice.version}: {exc}", isinstance(exc, OSError)
            )
        invalid = problems(xml)
        if invalid:
            return self._fail(
                targets,
                f"CAP {msg_type} for notice {notice.id} v{notice.version} does not validate "
                f"against CAP 1.2 ({'; '.join(invalid)}); not published — report this as a bug",
                False,
            )
        try:
            signer = Signer.load_or_create(self.cfg.layout.signing_key)
            with locked(self.cfg.home, "cap"):
                write_atomic(self.root / path, xml)
                write_atomic(self.root / (path + ".sig"), json.dumps(signer.sign_detached(xml), indent=2) + "\n")
                publish_key(signer, self.cfg.layout.public_key)
                self.write_feed()
        except OSError as exc:
            return self._fail(
                targets, f"writing {self.root / path} failed: {exc}; check disk space and permissions", True
            )
        return [DeliveryResult(self.name, t, True, f"{msg_type} {self.url(path)}") for t in targets]

    def _fail(self, targets: list[str], detail: str, transient: bool) -> list[DeliveryResult]:
        return failure(self.name, targets, detail, transient)

    def refresh_feed(self, now: datetime | None = None) -> Path:
        """The feed brought up to `now` (the hourly site-refresh): expired alerts leave it."""
        with locked(self.cfg.home, "cap"):
            return self.write_feed(now)

    def write_feed(self, now: datetime | None = None) -> Path:
        """cap/alerts.atom from the alerts on disk: per notice its newest message (a Cancel wins)."""
        now = now or clock.now()
        entries = []
        for folder in (self.root / "cap").glob("*/"):
            files = sorted(folder.glob("v*.xml"), key=_order)
            if not files:
                continue
            try:
                alert = parse_alert(files[-1].read_bytes(), validate=False)
            except CapError:
                continue  # not ours or damaged: it never reaches the feed
            info = alert.info
            if info is None:
                continue  # not ours: every alert Loa writes has its info block
            entries.append(
                FeedEntry(
                    url=self.url(files[-1].relative_to(self.root).as_posix()),
                    identifier=alert.identifier,
                    msg_type=alert.msg_type,
                    sent=alert.sent,
                    expires=alert.expires,
                    headline=info.headline,
                    summary=f"{info.event} · {info.severity} · {'; '.join(d for d, _ in info.areas)}",
                    sender_name=info.sender_name,
                )
            )
        data = atom(
            current(entries, now), feed_url=self.url(FEED), title=f"Cảnh báo hiện hành — {self.cfg.site_title}", now=now
        )
        return write_atomic(self.root / FEED, data)


def _order(path: Path) -> tuple[int, int]:
    """v2.xml < v2-cancel.xml < v3.xml"""
    stem = path.stem.removeprefix("v")
    number, _, cancel = stem.partition("-")
    return (int(number) if number.isdigit() else -1, 1 if cancel else 0)
