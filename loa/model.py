"""Domain types shared by every layer.

Plain dataclasses and enums: the store maps them to rows, channels and flows
receive them, and nothing here knows about SQLAlchemy, Prefect or MQTT.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Priority(str, enum.Enum):
    """Bulletin priority levels of Circular 39/2020/TT-BTTTT."""

    NORMAL = "normal"  # the commune fits it into its schedule
    PRIORITY = "priority"  # ahead of normal content
    EMERGENCY = "emergency"  # plays immediately: disasters, fire, epidemics


class NoticeState(str, enum.Enum):
    """The life of one notice version (DESIGN §3)."""

    DRAFTED = "drafted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    PARTIALLY_PUBLISHED = "partially_published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# Which action leads where, and who may take it: the table in loa/publishing/machine.py.
# States in which a version is (or is about to be) on public channels.
LIVE_STATES = frozenset({NoticeState.APPROVED, NoticeState.PUBLISHED, NoticeState.PARTIALLY_PUBLISHED})


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


CHANNELS = ("website", "boards", "radio", "print")


@dataclass(frozen=True)
class DocumentMeta:
    """What a Vietnamese administrative document says about itself."""

    number: str | None = None  # e.g. "3627/KH-UBND"
    doc_type: str | None = None  # e.g. "Kế hoạch"
    issuer: str | None = None  # e.g. "UBND tỉnh Cao Bằng"
    issued_on: str | None = None  # ISO date
    signer: str | None = None
    effective_on: str | None = None  # ISO date


@dataclass(frozen=True)
class Entry:
    """One parsed feed entry, before the store decides whether it is new."""

    identity: str  # GUID, else link, else content hash
    title: str
    summary_html: str  # sanitised HTML
    link: str | None
    published: datetime | None
    content_hash: str  # of title + summary: changes when the entry is amended
    # what the linked page added (loa/ingest/article.py), when the entry's own text was a summary
    body_html: str = ""  # the article's main text, sanitised; summary_html stays the feed's lead
    article: dict | None = None  # url, validators, page title and the văn bản's files, as stored
    found_meta: DocumentMeta | None = None  # facts read from the link or the văn bản's PDF
    warnings: tuple[str, ...] = ()  # what went wrong reading the page, for the editor


@dataclass(frozen=True)
class Classification:
    """Why a document is (or is not) about administrative reform."""

    relevant: bool
    score: float
    reasons: tuple[str, ...] = ()
    content_areas: tuple[str, ...] = ()
    meta: DocumentMeta = field(default_factory=DocumentMeta)


@dataclass
class NoticeView:
    """A notice version as channels and templates see it: no ORM object crosses a layer."""

    id: int
    version: int
    state: NoticeState
    priority: Priority
    title: str
    summary_html: str
    source_url: str | None
    feed_title: str | None
    areas: list[str]  # area paths, e.g. ["cao-bang/nam-tuan"]
    created_at: datetime
    approved_at: datetime | None = None
    approved_by: str | None = None
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    content_areas: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)  # channel -> text
    warnings: list[str] = field(default_factory=list)  # ingest's, about reading the source (editor only)
    files: list[str] = field(default_factory=list)  # the văn bản's own files (PDF/DOC) linked from its page
    # CAP (issue 16): Decision 18/2021/QĐ-TTg disaster risk level 1–5 (None: not set), "actual" | "exercise" |
    # "test", and what people must do (empty: none given)
    disaster_level: int | None = None
    alert_status: str = "actual"
    instruction: str = ""

    @property
    def topic_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel reports for one target: never an exception for a delivery failure."""

    channel: str
    target: str
    ok: bool
    detail: str = ""  # where it went (path, topic, URL) or why it failed
    transient: bool = True  # a failure worth retrying (broker down) vs. permanent (bad data)


def within(path: str, ancestor: str) -> bool:
    """True when area `path` is `ancestor` or lies below it (cao-bang/hoa-an within cao-bang)."""
    return path == ancestor or path.startswith(ancestor + "/")
