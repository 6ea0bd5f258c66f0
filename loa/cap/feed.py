"""The Atom feed of current alerts (the CAP feed practice: one entry per alert, linking its XML).

An Alert or Update stays in the feed until it expires; a Cancel stays for CANCEL_SHOWN after it was
sent, so a consumer polling now and then still learns that the alert was called off.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loa.cap import MIME

ATOM = "http://www.w3.org/2005/Atom"
CANCEL_SHOWN = timedelta(hours=24)


@dataclass(frozen=True)
class FeedEntry:
    url: str  # the alert's stable URL
    identifier: str
    msg_type: str
    sent: datetime
    expires: datetime | None
    headline: str
    summary: str  # event, severity, area
    sender_name: str


def current(entries: list[FeedEntry], now: datetime) -> list[FeedEntry]:
    """Alerts a consumer should see now, newest first."""

    def shown(e: FeedEntry) -> bool:
        if e.msg_type == "Cancel":
            return now - e.sent < CANCEL_SHOWN
        return e.expires is None or e.expires > now

    return sorted((e for e in entries if shown(e)), key=lambda e: (e.sent, e.url), reverse=True)


def atom(entries: list[FeedEntry], *, feed_url: str, title: str, now: datetime) -> bytes:
    """Atom 1.0; `updated` is the newest alert's time (or now for an empty feed), so an unchanged set
    of alerts writes the same bytes."""
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM}}}feed")
    add(root, "id", feed_url)
    add(root, "title", title)
    newest = max((e.sent for e in entries), default=now)
    add(root, "updated", _stamp(newest))
    add(root, "link", rel="self", href=feed_url, type="application/atom+xml")
    for e in entries:
        entry = add(root, "entry")
        add(entry, "id", e.url)
        add(entry, "title", ("[Hủy] " if e.msg_type == "Cancel" else "") + e.headline)
        add(entry, "updated", _stamp(e.sent))
        author = add(entry, "author")
        add(author, "name", e.sender_name)
        add(entry, "link", rel="alternate", href=e.url, type=MIME)
        add(entry, "summary", e.summary)
        add(entry, "category", term=e.msg_type)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
