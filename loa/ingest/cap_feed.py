"""Feeds of kind `cap` (feeds.yaml): an Atom/RSS feed whose entries link CAP 1.2 alerts, or one alert URL.

Each linked alert is fetched, validated against the CAP 1.2 schema and judged (loa.cap.parse.judge):
an Actual, Public alert for the served province becomes a draft (emergency or priority by urgency and
severity) with its headline, description, instruction, target areas, expiry and source kept; an Update
a new version of the same notice; a Cancel rejects the draft or drafts a "cancel" version for an
approver. Test, Exercise, other-province, expired and malformed alerts are reported per entry and never
drafted. A failing alert URL fails that entry alone; a failing feed fails the feed, like any other.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import feedparser
import requests
from sqlalchemy.exc import SQLAlchemyError

from loa import clock
from loa.cap import MIME, NS
from loa.cap.areas import served_areas
from loa.cap.parse import CapAlert, CapError, judge, parse_alert
from loa.config import Config, Feed
from loa.errors import FeedError
from loa.ingest.fetch import FetchLimits, fetch
from loa.ingest.pipeline import FeedReport
from loa.model import Classification, DocumentMeta, Entry
from loa.store import Store
from loa.store import cap as cap_store

log = logging.getLogger(__name__)


@dataclass
class CapFeedReport(FeedReport):
    """The feed report of ingest plus one line per alert."""

    alerts: list[dict] = field(default_factory=list)  # {"url", "identifier", "outcome", "detail", "notice_id"}


def alert_links(content: bytes, base_url: str) -> list[str] | None:
    """The alert URLs an Atom/RSS feed links (a CAP-typed link first, else the entry's link);
    None when `content` is itself a CAP alert."""
    head = content[:2048]
    if NS.encode() in head and b"<alert" in head:
        return None
    if re.search(rb"<!ENTITY", content, re.IGNORECASE):  # entity-expansion attacks; feeds never need entities
        raise FeedError(base_url, "malformed", "the feed declares XML entities (<!ENTITY ...>); refused unread")
    parsed = feedparser.parse(
        content, response_headers={"content-location": base_url}, sanitize_html=False, resolve_relative_uris=False
    )
    if parsed.bozo and not parsed.entries:
        raise FeedError(base_url, "malformed", f"neither a CAP alert nor an Atom/RSS feed ({parsed.bozo_exception})")
    links = []
    for entry in parsed.entries:
        typed = [link.get("href") for link in entry.get("links", []) if link.get("type") == MIME]
        href = (typed or [entry.get("link")])[0]
        if href and href not in links:
            links.append(requests.compat.urljoin(base_url, href))
    return links


def ingest_cap_feed(
    store: Store,
    cfg: Config,
    feed: Feed,
    *,
    session: requests.Session | None = None,
    limits: FetchLimits = FetchLimits(),
    now: datetime | None = None,
) -> CapFeedReport:
    """One pass over a CAP feed; never raises for a bad feed or alert (both are reported)."""
    report = CapFeedReport(url=feed.url, name=feed.name, status="ok")
    now = now or clock.now()
    etag, last_modified = store.feed_validators(feed.url)
    try:
        fetched = fetch(feed.url, etag=etag, last_modified=last_modified, session=session, limits=limits)
        if fetched.not_modified:
            store.record_feed_success(feed.url, name=feed.name, not_modified=True)
            report.status = "not_modified"
            return report
        links = alert_links(fetched.content, fetched.final_url)
    except FeedError as exc:
        report.status, report.reason, report.error = "failed", exc.reason, str(exc)
        report.consecutive_failures = store.record_feed_failure(
            feed.url, name=feed.name, reason=exc.reason, error=str(exc)
        )
        return report
    items = [(fetched.final_url, fetched.content)] if links is None else [(u, None) for u in links]
    report.entries = len(items)
    reader = _Reader(store, cfg, feed, now)
    for url, content in items:
        try:
            line = reader.one(url, content, session, limits)
        except SQLAlchemyError as exc:  # one alert the database refused: nothing of it kept, read again next pass
            cause = getattr(exc, "orig", None) or exc
            line = {
                "url": url,
                "identifier": None,
                "outcome": "store_error",
                "notice_id": None,
                "detail": f"could not be stored ({type(exc).__name__}: {cause}); read again next pass",
            }
        report.alerts.append(line)
        if line["outcome"] in ("drafted", "cancel_drafted"):
            report.new += 1
        elif line["outcome"] == "updated":
            report.updated += 1
        elif line["outcome"] == "already_seen":
            report.unchanged += 1
        if line.get("notice_id") and line["outcome"] in ("drafted", "updated", "cancel_drafted"):
            report.drafted.append(line["notice_id"])
    # an alert that could not be fetched or stored is tried again: the feed is not marked as read
    again = any(a["outcome"] in ("unreachable", "store_error") for a in report.alerts)
    store.record_feed_success(
        feed.url,
        name=feed.name,
        title=None,
        etag=None if again else fetched.etag,
        last_modified=None if again else fetched.last_modified,
    )
    return report


class _Reader:
    def __init__(self, store: Store, cfg: Config, feed: Feed, now: datetime):
        from loa.ingest.prepare import make_renderer

        self.store, self.cfg, self.feed, self.now = store, cfg, feed, now
        self.served = served_areas(cfg)
        self.renderer = make_renderer(cfg)

    def one(self, url: str, content: bytes | None, session, limits: FetchLimits) -> dict:
        line = {"url": url, "identifier": None, "outcome": "", "detail": "", "notice_id": None}
        try:
            if content is None:
                content = fetch(url, session=session, limits=limits).content
            alert = parse_alert(content)
        except FeedError as exc:
            return {**line, "outcome": "unreachable", "detail": f"{exc.reason}: {exc.detail}; tried again next pass"}
        except CapError as exc:
            return {**line, "outcome": "malformed", "detail": f"{exc}; not drafted — ask the sender to correct it"}
        line["identifier"] = alert.identifier
        msg = cap_store.Received(
            alert.sender,
            alert.identifier,
            alert.sent_text,
            alert.msg_type,
            alert.references,
            self.feed.url,
            url,
            content.decode("utf-8", "replace"),
        )
        verdict = judge(alert, self.served, self.now)
        if verdict.action == "skip":
            out = cap_store.record_skipped(self.store, msg, verdict.reason)
            return {
                **line,
                "outcome": verdict.reason if out.status != "already_seen" else "already_seen",
                "detail": verdict.detail,
            }
        if verdict.action == "cancel":
            out = cap_store.record_cancel(self.store, msg, lambda title: self._cancel_text(alert, url, title))
        else:
            info = alert.info
            assert info is not None  # a "draft" verdict found its areas in an info block
            entry, cls, variants = self._text(
                alert, url, info.headline or info.event, info.description, info.instruction, list(verdict.areas)
            )
            out = cap_store.record_alert(
                self.store,
                msg,
                entry,
                cls,
                variants,
                areas=list(verdict.areas),
                priority=verdict.priority,
                expires_at=alert.expires,
                instruction=info.instruction,
            )
        return {
            **line,
            "outcome": out.status,
            "notice_id": out.notice_id,
            "detail": f"notice {out.notice_id} v{out.version}" if out.notice_id else verdict.detail,
        }

    def _text(
        self, alert: CapAlert, url: str, title: str, description: str, instruction: str, areas: list[str]
    ) -> tuple[Entry, Classification, dict[str, str]]:
        info = alert.info
        paragraphs = [p for p in description.split("\n\n") if p.strip()]
        body = "".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs)
        if instruction:
            body += f"<p><strong>Hướng dẫn:</strong> {html.escape(instruction)}</p>"
        sender = (info.sender_name if info else "") or alert.sender
        body += f"<p>Nguồn: cảnh báo CAP của {html.escape(sender)}.</p>"
        digest = hashlib.sha256(
            f"{alert.sender}\n{alert.identifier}\n{alert.sent_text}\n{title}\n{body}".encode()
        ).hexdigest()
        entry = Entry("", title, body, (info.web if info else "") or url, alert.sent, digest)
        meta = DocumentMeta(issuer=sender, issued_on=alert.sent.date().isoformat())
        cls = Classification(True, 1.0, (f"cảnh báo CAP ({alert.msg_type}) của {sender}",), (), meta)
        variants = self.renderer.variants(
            title=title,
            summary_html=body,
            meta=meta,
            source_url=entry.link,
            area_names=[self.cfg.area_name(a) for a in areas],
        )
        return entry, cls, variants

    def _cancel_text(self, alert: CapAlert, url: str, title: str):
        note = alert.note or "Cơ quan phát cảnh báo đã hủy cảnh báo này."
        return self._text(alert, url, f"Hủy cảnh báo: {title}", note, "", [])
