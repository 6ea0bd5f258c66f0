"""Feed bytes → entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, on Loa's terms.

Loa decides the encoding itself (government feeds are often mislabelled, some are
still windows-1258), refuses entity declarations before any XML parser sees them,
sanitises every summary, and gives each entry an identity that is the same for the
same document in two feeds.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser

from loa.errors import FeedError
from loa.ingest.classify import extract_meta
from loa.ingest.sanitize import collapse_whitespace, html_to_text, sanitize_html
from loa.model import Entry


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: list[Entry]
    bozo_warning: str | None  # set when the feed was usable but not clean (bad XML, wrong encoding)
    skipped: tuple[Skipped, ...] = ()  # items with nothing to make a notice from (a video, a gallery)


@dataclass(frozen=True)
class Skipped:
    """An item left out on purpose, and why (shown in the ingest report)."""

    title: str
    link: str | None
    reason: str


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Raises FeedError(url, "malformed", ...) when nothing usable can be read."""
    if not content.strip():
        raise FeedError(url, "malformed", "the feed has no content; if it stays so, tell its publisher", True)
    text, encoding_warning = decode_feed(content, content_type)
    _refuse_entity_declarations(text, url)
    result = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8"},  # decoded already
        # Loa's own sanitiser (nh3) cleans the HTML and resolves its relative links in one pass,
        # at a fraction of the cost of feedparser's pure-Python ones (about half its parse time).
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    read = [_entry(item, url) for item in result.entries]
    entries = [e for e in read if isinstance(e, Entry)]
    skipped = tuple(e for e in read if isinstance(e, Skipped))
    _check_usable(result, entries or list(skipped), text, url)
    feed = result.feed
    return ParsedFeed(
        title=_text_of(feed.get("title_detail"), feed.get("title", "")),
        link=_web_link(feed.get("link"), url),
        entries=entries,
        bozo_warning="; ".join(w for w in (encoding_warning, _bozo_message(result)) if w) or None,
        skipped=skipped,
    )


def looks_like_html(body: bytes | str) -> bool:
    """An HTML page (an error page, a portal's home page) rather than a feed."""
    head = body[:2048].decode("utf-8", "replace") if isinstance(body, bytes) else body[:2048]
    head = head.lower()
    return bool(re.search(r"<(?:!doctype\s+html|html[\s>])", head)) and not re.search(
        r"<(?:rss|feed|rdf:rdf)[\s>]", head
    )


# --- encoding ---------------------------------------------------------------

# Checked before any declaration: a byte-order mark or UTF-16 "<?" cannot lie.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
FALLBACK_ENCODING = "windows-1258"  # Vietnamese legacy (pre-Unicode) sites


def decode_feed(content: bytes, content_type: str | None) -> tuple[str, str | None]:
    """The feed's text, and a warning when its declared encoding was wrong.

    Valid UTF-8 wins over any declaration: UTF-8 served as iso-8859-1 (a server's
    default header) is the usual mislabel, and non-UTF-8 text is almost never valid
    UTF-8 by accident. Otherwise the declared encodings, then windows-1258.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, "replace").lstrip("\ufeff \t\r\n"), None
    declared = list(dict.fromkeys(e.lower() for e in (_http_charset(content_type), _xml_encoding(content)) if e))
    for codec in ("utf-8", *declared, FALLBACK_ENCODING):
        try:
            text = content.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        # expat refuses an XML declaration that is not the very first thing
        return text.lstrip(), _encoding_warning(content, declared, codec)
    text = content.decode(FALLBACK_ENCODING, "replace")
    return (
        text.lstrip(),
        f"no encoding fits the bytes (declared: {', '.join(declared) or 'none'}); read as {FALLBACK_ENCODING} with replacements",
    )


def _http_charset(content_type: str | None) -> str | None:
    found = _CHARSET.search(content_type or "")
    return found.group(1) if found else None


def _xml_encoding(content: bytes) -> str | None:
    found = _XML_ENCODING.match(content[:200])
    return found.group(1).decode("ascii") if found else None


def _encoding_warning(content: bytes, declared: list[str], used: str) -> str | None:
    if content.isascii() or any(_same_codec(d, used) for d in declared) or (not declared and used == "utf-8"):
        return None
    said = ", ".join(declared) if declared else "nothing (so UTF-8)"
    return f"the feed declares its encoding as {said} but is {used}; read as {used}"


def _same_codec(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return False


# --- safety and usability ---------------------------------------------------

_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_FEED_END = re.compile(r"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>\s*(?:<!--.*?-->\s*)*\Z", re.DOTALL)


def _refuse_entity_declarations(text: str, url: str) -> None:
    # Feeds never need their own entities; billion-laughs and external-entity (XXE)
    # attacks do. Refusing them before parsing keeps both the SAX and the lenient
    # parser away from them, whatever expat's own limits are.
    if _ENTITY_DECLARATION.search(text):
        raise FeedError(
            url,
            "malformed",
            "the feed declares XML entities (<!ENTITY ...>), which entity-expansion attacks use and feeds never need; "
            "it was refused unread. Ask its publisher to remove the DOCTYPE block",
        )


def _check_usable(result, entries: list[Entry] | list[Skipped], text: str, url: str) -> None:
    if not entries and (result.bozo or not result.get("version")):
        raise FeedError(url, "malformed", _not_a_feed(result, text))
    if not entries and result.entries:
        raise FeedError(url, "malformed", f"none of its {len(result.entries)} entries has a title or any text")
    if result.bozo and not _FEED_END.search(text[-4096:]):
        raise FeedError(
            url,
            "malformed",
            "the feed stops before its closing tag, so the download was probably cut off; it is tried again next pass",
            True,
        )


def _not_a_feed(result, text: str) -> str:
    if looks_like_html(text):
        return "the URL returns an HTML web page, not an RSS or Atom feed; open it in a browser and use the page's RSS link"
    why = f" ({result.bozo_exception})" if result.bozo else ""
    return f"this is not a readable RSS or Atom feed{why}; check the URL, or tell the feed's publisher"


def _bozo_message(result) -> str | None:
    if not result.bozo:
        return None
    return f"not well-formed XML, read leniently: {result.bozo_exception}"


# --- entries ----------------------------------------------------------------


def _entry(item, feed_url: str) -> Entry | Skipped | None:
    title = _text_of(item.get("title_detail"), item.get("title", ""))
    summary = _summary_html(item, feed_url)
    text = html_to_text(summary)
    link = _web_link(item.get("link"), feed_url)
    media = _media_only(item, title, text, link)
    if media:
        return Skipped(title, link, f"{media} only, no text to make a notice from")
    # A gazette-style item has no title: the description's first sentence stands in for it (else the
    # linked page's title, or the document number in the link, once the page is read).
    title = title or title_from_text(text)
    if not title and not text and not link:
        return None
    digest = hashlib.sha256(f"{title}\n{collapse_whitespace(summary)}".encode()).hexdigest()
    number = number_from_link(link)
    return Entry(
        identity=_identity(item.get("id"), link, digest),
        title=title,
        summary_html=summary,
        link=link,
        published=_published(item),
        content_hash=digest,
        found_meta=extract_meta("", f"Số: {number}") if number else None,
    )


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")


def title_from_text(text: str, limit: int = 160) -> str:
    """A title for an untitled item: the text's first sentence, cut at a word if it is long."""
    first = _SENTENCE_END.split(text, 1)[0].rstrip(".") if text else ""
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–") + "…"


_VIDEO_PATH = re.compile(r"/(?:video|videos|clip|truyen-hinh|tv|podcast|audio)/", re.IGNORECASE)
_PHOTO_PATH = re.compile(r"/(?:anh|photo|photos|album|gallery|infographic|multimedia|emagazine)/", re.IGNORECASE)
_MEDIA_TITLE = re.compile(r"^\s*\[?(video|clip|podcast|audio|ảnh|photo|infographic|phóng sự ảnh)\b", re.IGNORECASE)


def _media_only(item, title: str, text: str, link: str | None) -> str | None:
    """ "video" or "images" when the item carries media and no text beyond its title, else None."""
    if text and _norm_words(text) != _norm_words(title):
        return None
    types = [str(e.get("type", "")) for e in item.get("enclosures") or []]
    types += [str(m.get("type") or m.get("medium") or "") for m in item.get("media_content") or []]
    raw = " ".join(str(d.get("value", "")) for d in [item.get("summary_detail") or {}, *(item.get("content") or [])])
    titled = _MEDIA_TITLE.match(title or "")
    if (
        any(t.startswith(("video", "audio")) for t in types)
        or re.search(r"<(?:video|iframe)\b", raw, re.I)
        or _VIDEO_PATH.search(link or "")
        or (titled and titled.group(1).lower() in ("video", "clip", "podcast", "audio"))
    ):
        return "video"
    if (
        any(t.startswith("image") for t in types)
        or re.search(r"<img\b", raw, re.I)
        or _PHOTO_PATH.search(link or "")
        or titled
    ):
        return "images"
    return None


def _norm_words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


# Gazette links carry the number: /van-ban/nghi-dinh-so-118-2025-nd-cp-46012.htm → 118/2025/NĐ-CP.
_LINK_TYPES = {
    "nd": "NĐ",
    "qd": "QĐ",
    "nq": "NQ",
    "tt": "TT",
    "ttlt": "TTLT",
    "ct": "CT",
    "kh": "KH",
    "tb": "TB",
    "hd": "HD",
    "cd": "CĐ",
    "bc": "BC",
    "ctr": "CTr",
    "da": "ĐA",
    "qc": "QC",
    "qyd": "QyĐ",
    "pa": "PA",
    "kl": "KL",
}
_LINK_ISSUERS = {
    "ttg": "TTg",
    "hdnd": "HĐND",
    "bgddt": "BGDĐT",
    "bkhdt": "BKHĐT",
    "bnnptnt": "BNNPTNT",
    "bnnmt": "BNNMT",
    "ldtbxh": "LĐTBXH",
    "btnmt": "BTNMT",
    "bvhttdl": "BVHTTDL",
}
# Issuers' initials are consonants but for these; anything else with a vowel is a word of the slug.
_VOWELLED_ISSUERS = frozenset({"ubnd", "bca", "byt", "ubdt", "ubmttq", "tandtc", "vksndtc", "ubtvqh"})
_LINK_NUMBER = re.compile(
    rf"(?<![a-z0-9])(\d{{1,5}})-(?:((?:19|20)\d\d)-)?(?:({'|'.join(sorted(_LINK_TYPES, key=len, reverse=True))})-"
    r"([a-z][a-z0-9]{1,9})|(qh\d\d|ubtvqh\d\d))(?![a-z])"
)


def number_from_link(link: str | None) -> str | None:
    """The document number in a gazette-style link, written as the document writes it; None if none."""
    if not link:
        return None
    path = urlsplit(link).path.lower()
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    found = _LINK_NUMBER.search(slug)
    if not found:
        return None
    number, year, kind, issuer, legislature = found.groups()
    if issuer and not (issuer in _VOWELLED_ISSUERS or not re.search(r"[aeiouy]", issuer)):
        return None  # a word of the title ("1-2025-hd-nhung-dieu-can-biet"), not an issuer's initials
    if legislature:
        return f"{number}/{year}/{legislature.upper()}" if year else None
    code = f"{_LINK_TYPES[kind]}-{_LINK_ISSUERS.get(issuer, issuer.upper())}"
    return f"{number}/{year}/{code}" if year else f"{number}/{code}"


def _text_of(detail, value: str) -> str:
    if detail and "html" in detail.get("type", ""):
        return html_to_text(detail.get("value", value))
    return collapse_whitespace(value or "")


def _summary_html(item, feed_url: str) -> str:
    """The summary (description), else the full content; plain text is escaped, never parsed.
    Relative links are resolved against the entry's xml:base, else the feed's URL."""
    content = item.get("content") or []
    detail = item.get("summary_detail") or (content[0] if content else None)
    if not detail:
        return ""
    value = detail.get("value", "")
    if "html" not in detail.get("type", "text/html"):
        value = html.escape(value)
    return sanitize_html(value, base_url=urljoin(feed_url, detail.get("base") or ""))


def _web_link(link: str | None, feed_url: str) -> str | None:
    # Links are published as href: a javascript: or data: link from a feed must not be.
    link = (link or "").strip()
    if link and not _ABSOLUTE.match(link):
        link = urljoin(feed_url, link)
    return link if _WEB.match(link) else None


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_WEB = re.compile(r"(?i)https?://")


def _identity(guid: str | None, link: str | None, digest: str) -> str:
    """GUID, else link, else content hash; URL-like ones canonical, so one document is one identity."""
    for candidate in (guid, link):
        candidate = (candidate or "").strip()
        if candidate:
            return canonical_url(candidate) if re.match(r"(?i)^https?://", candidate) else candidate
    return f"sha256:{digest}"


def canonical_url(url: str) -> str:
    """Same document, same string: https, lower-case host without www., no default port,
    fragment or utm_* tracking parameters. An identity, not a URL to fetch."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port not in (80, 443):
        host += f":{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("utm_"))
    return urlunsplit(("https", host, parts.path or "/", query, ""))


_VN_DATE = re.compile(r"^\s*(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_VIETNAM = timezone(timedelta(hours=7))  # no daylight saving time


def _published(item) -> datetime | None:
    # dict.get: FeedParserDict.get maps updated→published itself, with a DeprecationWarning
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(item, key)
        if parsed:
            return datetime(*parsed[:6]).replace(tzinfo=UTC)  # feedparser gives UTC
    return _vietnamese_date(dict.get(item, "published") or dict.get(item, "updated") or "")


def _vietnamese_date(raw: str) -> datetime | None:
    """ "23/04/2024 08:30", as many Vietnamese portals write pubDate, in Vietnam's time."""
    found = _VN_DATE.match(raw)
    if not found:
        return None
    day, month, year, hour, minute, second = (int(g or 0) for g in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_VIETNAM).astimezone(UTC)
    except ValueError:
        return None
