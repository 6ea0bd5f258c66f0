"""Machine-readable views of the site: sitemap.xml, the JSON listing, the search index, schema.org JSON-LD."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup

from loa.site.model import (
    LISTING_MONTH_SCHEMA,
    LISTING_SCHEMA,
    LISTING_VERSION,
    AreaTree,
    Brief,
    Entry,
    NoticePage,
    SiteInfo,
)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SEARCH_SCHEMA = "loa.site.search"
SEARCH_FIELDS = ["id", "status", "title", "number", "areas", "date", "text"]
LISTING_PATH = "notices.json"
SEARCH_PATH = "search-index.json"
_DAY_US = 86_400_000_000
_EPOCH_DAY = date(1970, 1, 1)


def listing_part_path(month: str) -> str:
    """A month's part of the JSON listing, e.g. notices/2026-11.json (beside the notice pages)."""
    return f"notices/{month}.json"


def sitemap(site: SiteInfo, briefs: list[Brief], area_paths: list[str]) -> bytes:
    """Written as text, not through ElementTree: 10,000 URLs in milliseconds. Every value is escaped.
    A page's lastmod is the UTC date of its notice's last change."""
    days: dict[int, str] = {}

    def lastmod(us: int | None) -> str:
        if us is None:
            return ""
        day = us // _DAY_US
        text = days.get(day) or days.setdefault(day, (_EPOCH_DAY + timedelta(days=day)).isoformat())
        return f"<lastmod>{text}</lastmod>"

    base = escape(site.url + "/")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}">',
        f"  <url><loc>{base}index.html</loc>{lastmod(max((b.updated for b in briefs), default=None))}</url>",
    ]
    lines += [f"  <url><loc>{base}{escape(f'areas/{area}/index.html')}</loc></url>" for area in area_paths]
    lines += [
        f"  <url><loc>{base}notices/{b.id}.html</loc>{lastmod(b.updated)}</url>"
        for b in sorted(briefs, key=lambda b: b.id)
    ]
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def listing_line(site: SiteInfo, tree: AreaTree, entry: Entry, now: datetime) -> str:
    """A notice's line in its month's part of the listing: its status first, then its Entry (read back by
    Entry.from_json), its page URL and its areas' names. The site's private index keeps it as written."""
    return _dump({"status": entry.status(now)} | entry.to_json(site, tree, now))


def listing_part(site: SiteInfo, month: str, lines: list[str]) -> str:
    """notices/<YYYY-MM>.json: every public notice first published that month (the archive pages' month),
    newest id first, one per line; withdrawn and expired ones included, with their status."""
    head = _dump(
        {
            "schema": LISTING_MONTH_SCHEMA,
            "schema_version": LISTING_VERSION,
            "site": {"title": site.title, "url": site.url},
            "month": month,
        }
    )
    return head[:-1] + ',"notices":[\n' + ",\n".join(lines) + "\n]}\n"


def listing_index(site: SiteInfo, months: list[tuple[str, int]], generated_at: datetime) -> str:
    """notices.json: the JSON listing's index, one line per month part (newest month first) with its URL
    and how many notices it holds. A reader fetches the index, then the parts it needs; a part is
    rewritten only when one of its notices changes, so its HTTP Last-Modified and ETag say so too."""
    head = _dump(
        {
            "schema": LISTING_SCHEMA,
            "schema_version": LISTING_VERSION,
            "site": {"title": site.title, "url": site.url},
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "count": sum(n for _, n in months),
        }
    )
    parts = [_dump({"month": m, "url": f"{site.url}/{listing_part_path(m)}", "count": n}) for m, n in months]
    return head[:-1] + ',"months":[\n' + ",\n".join(parts) + "\n]}\n"


def search_row(tree: AreaTree, entry: Entry, status: str, tz, names: dict | None = None) -> bytes:
    """A notice's row in the search index (SEARCH_FIELDS); `names` caches area names by area tuple."""
    names = {} if names is None else names
    local = entry.published_at.astimezone(tz)
    areas = names.get(entry.areas) or names.setdefault(entry.areas, ", ".join(tree.name(a) for a in entry.areas))
    return _dump(
        [
            entry.id,
            status,
            entry.title,
            entry.document.get("number") or "",
            areas,
            f"{local.day:02d}/{local.month:02d}/{local.year}",
            entry.excerpt[:160],
        ]
    ).encode("utf-8")


def search_index(rows: list[bytes]) -> bytes:
    """A compact index for the client-side search: every notice's row, newest first, one per line. Bytes,
    not text: 10,000 Vietnamese rows (3 MB) take milliseconds to decode and encode again."""
    return _SEARCH_HEAD + b",\n".join(rows) + b"\n]}\n"


_SEARCH_HEAD = (
    _dump({"schema": SEARCH_SCHEMA, "schema_version": 2, "fields": SEARCH_FIELDS})[:-1] + ',"items":[\n'
).encode("utf-8")


def search_rows(data: bytes) -> dict[int, bytes]:
    """The rows of a search index written by `search_index`, by notice id ({} if it is another format)."""
    if not data.startswith(_SEARCH_HEAD):
        return {}
    rows = data[len(_SEARCH_HEAD) : -4].split(b",\n")
    return {int(row[1 : row.index(b",")]): row for row in rows if row}


def script_json(data: dict) -> Markup:
    """JSON safe inside <script>: '<', '>' and '&' escaped, so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # compact: the C encoder, 10x faster
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def notice_jsonld(site: SiteInfo, tree: AreaTree, page: NoticePage, now: datetime) -> Markup:
    e = page.entry
    status = e.status(now)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": e.title,
        "inLanguage": "vi",
        "url": f"{site.url}/{page.path}",
        "datePublished": e.first_published_at.isoformat(timespec="seconds"),
        "dateModified": e.updated_at.isoformat(timespec="seconds"),
        "creativeWorkStatus": {
            "current": "Published",
            "expired": "Expired",
            "withdrawn": "Withdrawn",
            "superseded": "Superseded",
        }[status],
        "publisher": {"@type": "GovernmentOrganization", "name": site.title, "url": site.url},
        "spatialCoverage": [{"@type": "AdministrativeArea", "name": tree.name(a)} for a in e.areas],
    }
    if e.expires_at:
        data["expires"] = e.expires_at.isoformat(timespec="seconds")
    doc = e.document
    if any(doc.values()):
        about: dict[str, Any] = {"@type": "Legislation", "name": e.title}
        for key, prop in (
            ("number", "legislationIdentifier"),
            ("doc_type", "legislationType"),
            ("issued_on", "legislationDate"),
        ):
            if doc.get(key):
                about[prop] = doc[key]
        if doc.get("issuer"):
            about["legislationPassedBy"] = {"@type": "GovernmentOrganization", "name": doc["issuer"]}
        if doc.get("signer"):
            about["legislationResponsible"] = {"@type": "Person", "name": doc["signer"]}
        if e.source_url:
            about["url"] = e.source_url
        data["about"] = about
    if e.source_url:
        data["isBasedOn"] = e.source_url
    if page.audio:
        data["audio"] = [
            {
                "@type": "AudioObject",
                "contentUrl": f"{site.url}{a.url}",
                "encodingFormat": "audio/mpeg",
                "inLanguage": a.language,
            }
            for a in page.audio
        ]
    return script_json(data)


def website_jsonld(site: SiteInfo) -> Markup:
    return script_json(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site.title,
            "url": f"{site.url}/",
            "inLanguage": "vi",
        }
    )
