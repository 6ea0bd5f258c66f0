"""What the site is built from: one Entry per public notice, a NoticePage per page, the area tree.

An Entry is a notice's public version in a few hundred bytes: enough for every listing, feed,
archive, sitemap and search index; the JSON listing (notices.json and its month parts) is the list
of Entries. A Brief is what sorting and grouping need of one (no text): an incremental publish
loads the Brief of every notice from the site's private index (loa.site.memory) and only the
Entries the touched pages show.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from loa.config import Area
from loa.model import within

LISTING_SCHEMA = "loa.site.listing"
LISTING_MONTH_SCHEMA = "loa.site.listing.month"
LISTING_VERSION = 2  # 1 was one notices.json with every notice; 2 is an index of month parts

STATUS_LABELS = {
    "current": "Đang có hiệu lực",
    "expired": "Đã hết hiệu lực",
    "withdrawn": "Đã bị thu hồi",
    "superseded": "Đã được thay thế",
}
PRIORITY_LABELS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
LANGUAGE_NAMES = {
    "vi": "Tiếng Việt",
    "tay": "Tiếng Tày",
    "nung": "Tiếng Nùng",
    "hmn": "Tiếng H'Mông",
    "dao": "Tiếng Dao",
    "en": "English",
}
# stations.yaml's language codes → BCP 47 tags for lang="" (Tày is tyz, Nùng nut in ISO 639-3)
LANGUAGE_TAGS = {"vi": "vi", "tay": "tyz", "nung": "nut", "hmn": "hmn", "dao": "dao", "en": "en"}
DOCUMENT_KEYS = ("number", "doc_type", "issuer", "issued_on", "signer", "effective_on")
_DOCUMENT_KEYSET = frozenset(DOCUMENT_KEYS)


@dataclass(frozen=True)
class SiteInfo:
    title: str
    url: str  # the public base URL, no trailing slash
    tz: tzinfo  # dates are shown in local time


@dataclass(slots=True)
class Entry:
    """A notice's public version as listings, feeds and the search index see it.

    Treated as immutable (build a new one with dataclasses.replace); not frozen only because a
    frozen dataclass takes several times longer to construct, and an incremental publish reads
    every notice of the site back from the listing.
    """

    id: int
    version: int
    title: str
    state: str  # "live" | "withdrawn" | "superseded" (the last only on an old version's page)
    priority: str
    areas: tuple[str, ...]
    published_at: datetime  # approval of this version
    first_published_at: datetime  # approval of the first public version: archives file it by this
    updated_at: datetime  # publication or withdrawal, whichever is later
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    document: dict = field(default_factory=dict)  # DocumentMeta fields that are set
    excerpt: str = ""  # plain text, for feeds and search
    source_url: str | None = None
    audio: str | None = None  # site-absolute path of the Vietnamese audio, e.g. /radio/audio/...
    versions: tuple[int, ...] = ()  # older public versions, each with its own page

    @property
    def path(self) -> str:
        return f"notices/{self.id}.html"

    def status(self, now: datetime) -> str:
        return status_of(self.state, self.expires_at, now)

    def to_json(self, site: SiteInfo, tree: AreaTree, now: datetime) -> dict:
        data = {}
        for name in _ENTRY_FIELDS:
            value = getattr(self, name)
            data[name] = (
                value.isoformat()
                if isinstance(value, datetime)
                else (list(value) if isinstance(value, tuple) else value)
            )
        return data | {
            "url": f"{site.url}/{self.path}",
            "status": self.status(now),
            "area_names": [tree.name(a) for a in self.areas],
            "audio_url": f"{site.url}{self.audio}" if self.audio else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Entry:
        values = {k: data[k] for k in _ENTRY_FIELDS if k in data}
        for key in _DATE_FIELDS:
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        values["areas"] = tuple(values.get("areas", ()))
        values["versions"] = tuple(values.get("versions", ()))
        return cls(**values)

    def __post_init__(self):
        # every document key present (None when unknown), so templates can test any of them
        if self.document.keys() != _DOCUMENT_KEYSET:
            self.document = {k: self.document.get(k) or None for k in DOCUMENT_KEYS}

    def superseded(self) -> Entry:
        return replace(self, state="superseded")


def status_of(state: str, expires, now) -> str:
    """The status a list shows: withdrawn and superseded stay so; a live notice is expired once its
    expiry has come. `expires` and `now` are both datetimes or both microseconds (Brief)."""
    if state in ("withdrawn", "superseded"):
        return state
    return "expired" if expires is not None and expires <= now else "current"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch: exact, and ordered like the datetimes."""
    return (value - _EPOCH) // _MICROSECOND


def month_of(first_published_at: datetime, tz) -> str:
    """The archive month a notice is filed under: that of its first publication, in local time."""
    local = first_published_at.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


class Brief(NamedTuple):
    """A notice as sorting and grouping see it: an Entry without its text, times in microseconds."""

    id: int
    state: str
    priority: str
    areas: tuple[str, ...]
    published: int  # micros(published_at)
    updated: int  # micros(updated_at)
    expires: int | None  # micros(expires_at)
    month: str  # month_of(first_published_at)

    def status(self, now_us: int) -> str:
        return status_of(self.state, self.expires, now_us)

    @classmethod
    def of(cls, entry: Entry, tz) -> Brief:
        return cls(
            entry.id,
            entry.state,
            entry.priority,
            entry.areas,
            micros(entry.published_at),
            micros(entry.updated_at),
            micros(entry.expires_at) if entry.expires_at else None,
            month_of(entry.first_published_at, tz),
        )


_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))
_DATE_FIELDS = ("published_at", "first_published_at", "updated_at", "expires_at", "withdrawn_at")


@dataclass(frozen=True)
class Audio:
    language: str
    url: str

    @property
    def label(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


@dataclass(frozen=True)
class LanguageText:
    language: str
    body_html: str

    @property
    def label(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    @property
    def tag(self) -> str:
        return LANGUAGE_TAGS.get(self.language, self.language)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links from a feed reach a page: no javascript:, data: or relative tricks."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class NoticePage:
    """Everything one notice page shows (the current version, or an old one that was replaced)."""

    entry: Entry
    body_html: str  # the editor's website variant; sanitised again when the page is written
    audio: tuple[Audio, ...] = ()
    languages: tuple[LanguageText, ...] = ()
    current_version: int | None = None  # on an old version's page: the version that replaced it
    acks: tuple[int, int] | None = None  # (boards that acknowledged, boards targeted), when known

    @property
    def path(self) -> str:
        if self.current_version is None:
            return self.entry.path
        return f"notices/{self.entry.id}/v{self.entry.version}.html"


@dataclass(frozen=True)
class Edition:
    """A printed bulletin PDF an area page links to."""

    label: str
    href: str  # site-relative, e.g. print/cao-bang/nam-tuan/2026-W47.pdf
    size_kb: int = 0


class AreaTree:
    """The province → commune tree of areas.yaml (the 2025 map), with the relations pages need."""

    def __init__(self, areas: dict[str, Area]):
        self.areas = dict(areas)
        self._related: dict[str, frozenset[str]] = {}
        self.children: dict[str, list[str]] = {p: [] for p in self.areas}
        for path in self.areas:
            parent = path.rpartition("/")[0]
            if parent in self.children:
                self.children[parent].append(path)

    def name(self, path: str) -> str:
        area = self.areas.get(path)
        return area.name if area else path

    def code(self, path: str) -> int | None:
        """The official code of the area (2025 map), shown beside its name."""
        area = self.areas.get(path)
        return area.code if area else None

    def roots(self) -> list[str]:
        return [p for p in self.areas if "/" not in p]

    def leaves(self) -> list[str]:
        return [p for p, kids in self.children.items() if not kids]

    def ancestors(self, path: str) -> list[str]:
        parts = path.split("/")
        return [p for p in ("/".join(parts[:i]) for i in range(1, len(parts))) if p in self.areas]

    def related(self, path: str) -> frozenset[str]:
        """Area pages that list a notice for `path`: its own, those above it and those below it."""
        found = self._related.get(path)
        if found is None:
            found = self._related[path] = frozenset(p for p in self.areas if within(p, path) or within(path, p))
        return found

    @staticmethod
    def applies(entry: Entry, page_area: str) -> bool:
        """Does an area's page list this notice? Yes if it is for the area, above it or below it."""
        return any(within(page_area, a) or within(a, page_area) for a in entry.areas)

    @staticmethod
    def concerns(entry: Entry, place: str) -> bool:
        """Does the notice concern people living in `place` (for it or an area containing it)?"""
        return any(within(place, a) for a in entry.areas)
