"""Atom 1.0 and RSS 2.0 feeds for the whole site and for each area.

Written as text with every value escaped by xml.sax.saxutils (ElementTree took most of an incremental
publish's time for 40 feeds); characters XML 1.0 forbids (control characters) are dropped, so the
document is well-formed whatever a source feed put in a title. The tests parse every feed with
feedparser and ElementTree.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from loa.site.model import PRIORITY_LABELS, AreaTree, Entry, SiteInfo

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50  # newest entries per feed; older ones are in the archives and notices.json
# An area with no notice yet still needs a feed <updated>/lastBuildDate. "Now" would rewrite every such
# feed on every rebuild (a rebuild of a consistent site must write nothing), so it is a fixed instant:
# 1 July 2025, 00:00 in Viet Nam, when the two-level local government (and so every area) began.
QUIET_SINCE = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _t(value: str | None) -> str:
    """Element text."""
    return escape(_NOT_XML.sub("", value or ""))


def _a(value: str | None) -> str:
    """An attribute value, quoted."""
    return quoteattr(_NOT_XML.sub("", value or ""))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def feed_entries(entries: list[Entry]) -> list[Entry]:
    """Newest change first: a withdrawal moves a notice back to the top, so readers see it."""
    return sorted(entries, key=lambda e: (e.updated_at, e.id), reverse=True)[:FEED_SIZE]


def entry_title(entry: Entry) -> str:
    if entry.state == "withdrawn":
        return f"[Đã bị thu hồi] {entry.title}"
    if entry.priority == "emergency":
        return f"[Khẩn cấp] {entry.title}"
    return entry.title


def atom(site: SiteInfo, tree: AreaTree, entries: list[Entry], *, title: str, self_path: str, page_path: str) -> bytes:
    chosen = feed_entries(entries)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM}" xml:lang="vi">',
        f"  <id>{_t(f'{site.url}/{self_path}')}</id>",
        f"  <title>{_t(title)}</title>",
        f"  <updated>{_iso(chosen[0].updated_at if chosen else QUIET_SINCE)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={_a(f"{site.url}/{self_path}")}/>',
        f'  <link rel="alternate" type="text/html" href={_a(f"{site.url}/{page_path}")}/>',
        f"  <author><name>{_t(site.title)}</name></author>",
        "  <generator>Loa</generator>",
    ]
    for e in chosen:
        url = f"{site.url}/{e.path}"
        out += [
            "  <entry>",
            f"    <id>{_t(url)}</id>",
            f'    <title type="text">{_t(entry_title(e))}</title>',
            f'    <link rel="alternate" type="text/html" href={_a(url)}/>',
        ]
        if e.audio and e.state != "withdrawn":
            out.append(f'    <link rel="enclosure" type="audio/mpeg" href={_a(site.url + e.audio)}/>')
        out += [
            f"    <published>{_iso(e.first_published_at)}</published>",
            f"    <updated>{_iso(e.updated_at)}</updated>",
        ]
        if e.document.get("issuer"):
            out.append(f"    <author><name>{_t(e.document['issuer'])}</name></author>")
        out += [f"    <category term={_a(a)} label={_a(tree.name(a))}/>" for a in e.areas]
        out.append(
            f"    <category term={_a('priority:' + e.priority)} label={_a(PRIORITY_LABELS.get(e.priority, e.priority))}/>"
        )
        out += [f'    <summary type="text">{_t(e.excerpt)}</summary>', "  </entry>"]
    out.append("</feed>\n")
    return "\n".join(out).encode("utf-8")


def rss(site: SiteInfo, tree: AreaTree, entries: list[Entry], *, title: str, self_path: str, page_path: str) -> bytes:
    chosen = feed_entries(entries)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" xmlns:atom="{ATOM}">',
        "  <channel>",
        f"    <title>{_t(title)}</title>",
        f"    <link>{_t(f'{site.url}/{page_path}')}</link>",
        f"    <description>{_t(f'Thông báo cải cách hành chính đã được duyệt – {title}')}</description>",
        "    <language>vi</language>",
        f"    <lastBuildDate>{format_datetime(chosen[0].updated_at if chosen else QUIET_SINCE)}</lastBuildDate>",
        "    <generator>Loa</generator>",
        f'    <atom:link href={_a(f"{site.url}/{self_path}")} rel="self" type="application/rss+xml"/>',
    ]
    for e in chosen:
        url = f"{site.url}/{e.path}"
        out += [
            "    <item>",
            f"      <title>{_t(entry_title(e))}</title>",
            f"      <link>{_t(url)}</link>",
            f'      <guid isPermaLink="true">{_t(url)}</guid>',
            f"      <pubDate>{format_datetime(e.first_published_at)}</pubDate>",
        ]
        out += [f"      <category>{_t(tree.name(a))}</category>" for a in e.areas]
        out += [f"      <description>{_t(e.excerpt)}</description>", "    </item>"]
    out += ["  </channel>", "</rss>\n"]
    return "\n".join(out).encode("utf-8")
