"""What the editorial desk reads and writes (functions taking a Store).

The queue is one SQL query per page (latest version of each notice, or every version in a
state), filtered and paginated in the database, so 10,000 notices page as fast as 10. Every
change an editor makes is an audit row in `actions`; what it changed (before, after and a
difflib diff) is kept beside it in `action_details`. Nothing is ever deleted.
"""

from __future__ import annotations

import difflib
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from loa.errors import InvalidTransition, LoaError, NotFound
from loa.ingest.sanitize import sanitize_html
from loa.model import CHANNELS, NoticeState, Priority
from loa.store import Store
from loa.store.ingest import index_search
from loa.store.schema import (
    ActionDetailRow,
    ActionRow,
    DocumentVersionRow,
    FeedRow,
    NoticeVersionRow,
    SearchTextRow,
    VariantRow,
    utcnow,
)
from loa.textfold import fold  # noqa: F401  (desk search folds the same way; re-exported)

PER_PAGE = 50


class EditConflict(LoaError):
    """The text changed since the editor opened it (someone else saved first)."""


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None  # a NoticeState value, or "scheduled" (approved, publish_at in the future)
    area: str | None = None  # notices that reach this area or target somewhere inside it
    priority: str | None = None
    feed_id: int | None = None
    content_area: str | None = None
    q: str | None = None  # search in title, document number, issuer, feed (case and diacritics ignored)
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class QueueRow:
    id: int
    version: int
    state: str
    priority: str
    title: str
    areas: list[str]
    feed: str | None
    content_areas: list[str]
    number: str | None
    created_at: datetime
    publish_at: datetime | None
    expires_at: datetime | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    filter: QueueFilter


@dataclass(frozen=True)
class Counts:
    by_state: dict[str, int]
    scheduled: int  # approved, waiting for publish_at
    emergency_drafts: int

    @property
    def waiting(self) -> int:
        return self.by_state.get(NoticeState.DRAFTED.value, 0)


@dataclass(frozen=True)
class Change:
    action: str
    field: str
    before: str | None
    after: str | None
    diff: str | None = None


@dataclass
class HistoryItem:
    version: int
    action: str
    actor: str
    at: datetime
    reason: str | None
    field: str | None = None
    before: str | None = None
    after: str | None = None
    diff: str | None = None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- the queue -------------------------------------------------------------------------------


def _json_text(column):
    # JSON lists are stored as text (json.dumps) on both backends; area paths and content-area keys
    # are ASCII slugs, so a quoted LIKE finds an element exactly
    return cast(column, String)


def _area_condition(area: str):
    parts = area.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
    text = _json_text(NoticeVersionRow.areas)
    return or_(
        text.contains(f'"{area}"', autoescape=True),
        text.contains(f'"{area}/', autoescape=True),
        *[text.contains(f'"{a}"', autoescape=True) for a in ancestors],
    )


def index_unindexed(store: Store) -> int:
    """Index the notice versions a store drafted before the search was written at draft time (`loa run`
    does it at start); returns how many."""
    with store.session() as s:
        return index_search(s)


def _scheduled(now: datetime):
    """Approved and waiting for its publish time: loa.publishing.machine.is_due's embargo rule in SQL
    (an emergency is never held back, so it is never "scheduled")."""
    return and_(
        NoticeVersionRow.state == NoticeState.APPROVED.value,
        NoticeVersionRow.publish_at > now,
        NoticeVersionRow.priority != Priority.EMERGENCY.value,
    )


def queue(store: Store, f: QueueFilter, now: datetime | None = None) -> QueuePage:
    now = now or utcnow()
    with store.reading() as s:
        cond = []
        if f.state == "scheduled":
            cond.append(_scheduled(now))
        elif f.state:
            cond.append(NoticeVersionRow.state == f.state)
        if f.priority:
            cond.append(NoticeVersionRow.priority == f.priority)
        if f.area:
            cond.append(_area_condition(f.area))
        if f.feed_id:
            cond.append(DocumentVersionRow.feed_id == f.feed_id)
        if f.content_area:
            cond.append(_json_text(DocumentVersionRow.content_areas).contains(f'"{f.content_area}"', autoescape=True))
        if f.q and f.q.strip():
            cond.append(
                exists().where(
                    SearchTextRow.notice_version_id == NoticeVersionRow.id,
                    SearchTextRow.text.contains(fold(f.q), autoescape=True),
                )
            )

        base = select(NoticeVersionRow.id)
        if f.feed_id or f.content_area:
            base = base.join(DocumentVersionRow, DocumentVersionRow.id == NoticeVersionRow.document_version_id)
        if not f.state:
            # the latest version of each notice (a state filter shows every version in that state);
            # "no newer version" is one lookup in the (notice_id, version) unique index per row
            newer = aliased(NoticeVersionRow)
            cond.append(
                ~exists().where(newer.notice_id == NoticeVersionRow.notice_id, newer.version > NoticeVersionRow.version)
            )
        base = base.where(*cond)
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
        per_page = max(1, min(f.per_page, 200))
        pages = max(1, -(-total // per_page))
        page = min(max(1, f.page), pages)
        ids = s.scalars(base.order_by(NoticeVersionRow.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
        rows = []
        if ids:
            found = s.execute(
                select(NoticeVersionRow, DocumentVersionRow.meta, DocumentVersionRow.content_areas, FeedRow.name)
                .join(DocumentVersionRow, DocumentVersionRow.id == NoticeVersionRow.document_version_id)
                .outerjoin(FeedRow, FeedRow.id == DocumentVersionRow.feed_id)
                .where(NoticeVersionRow.id.in_(ids))
                .order_by(NoticeVersionRow.id.desc())
            ).all()
            for nv, meta, content_areas, feed in found:
                rows.append(
                    QueueRow(
                        nv.notice_id,
                        nv.version,
                        nv.state,
                        nv.priority,
                        nv.title,
                        list(nv.areas or []),
                        feed,
                        list(content_areas or []),
                        (meta or {}).get("number"),
                        nv.created_at,
                        nv.publish_at,
                        nv.expires_at,
                    )
                )
        return QueuePage(rows, total, page, pages, f)


def counts(store: Store, now: datetime | None = None) -> Counts:
    """What waits: versions per state, approved ones waiting for their publish time, emergency drafts."""
    now = now or utcnow()
    with store.reading() as s:
        by_state = dict(s.execute(select(NoticeVersionRow.state, func.count()).group_by(NoticeVersionRow.state)).all())
        scheduled, emergency = s.execute(
            select(
                func.coalesce(
                    func.sum(
                        case(
                            (
                                _scheduled(now),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                and_(
                                    NoticeVersionRow.state == NoticeState.DRAFTED.value,
                                    NoticeVersionRow.priority == Priority.EMERGENCY.value,
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
        ).one()
        return Counts(by_state, int(scheduled), int(emergency))


def feed_choices(store: Store) -> list[tuple[int, str]]:
    with store.reading() as s:
        return [(i, n) for i, n in s.execute(select(FeedRow.id, FeedRow.name).order_by(FeedRow.name))]


# --- changes, each with its audit row ---------------------------------------------------------


def _draft_row(s: Session, notice_id: int, version: int) -> NoticeVersionRow:
    row = s.scalar(
        select(NoticeVersionRow)
        .where(NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version)
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"notice {notice_id} version {version} does not exist")
    if row.state != NoticeState.DRAFTED.value:
        raise InvalidTransition(f"notice {notice_id} v{version} is {row.state}; only drafts can be changed")
    return row


def _audit(s: Session, row: NoticeVersionRow, actor: str, change: Change, reason: str | None = None) -> None:
    action = ActionRow(notice_version_id=row.id, action=change.action, actor=actor, reason=reason)
    s.add(action)
    s.flush()
    s.add(
        ActionDetailRow(
            action_id=action.id, field=change.field, before=change.before, after=change.after, diff=change.diff
        )
    )


def text_diff(before: str, after: str) -> str:
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), "trước", "sau", lineterm=""))


def clean_variant(channel: str, body: str) -> str:
    """What is stored for an edited variant: NFC, LF line ends; web HTML sanitised again."""
    body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if channel in ("website", "print"):
        return sanitize_html(body)
    return "\n".join(line.rstrip() for line in body.split("\n"))


def edit_variant(
    store: Store, notice_id: int, version: int, channel: str, body: str, actor: str, base: str | None = None
) -> Change | None:
    """Save an edited variant of a draft. `base` is text_hash() of the text the editor started from:
    if the stored text has changed since, nothing is saved (EditConflict). None when nothing changed."""
    if channel not in CHANNELS:
        raise NotFound(f"channel {channel!r} does not exist; the channels are {', '.join(CHANNELS)}")
    new = clean_variant(channel, body)
    with store.session() as s:
        row = _draft_row(s, notice_id, version)
        var = s.scalar(
            select(VariantRow).where(
                VariantRow.notice_version_id == row.id, VariantRow.channel == channel, VariantRow.language == "vi"
            )
        )
        old = var.body if var else ""
        if base is not None and base != text_hash(old):
            raise EditConflict(
                f"the {channel} text of notice {notice_id} v{version} was changed by someone else "
                "since you opened it; reload the page and apply your edit again"
            )
        if new == old:
            return None
        if var is None:
            s.add(VariantRow(notice_version_id=row.id, channel=channel, language="vi", body=new))
        else:
            var.body = new
        change = Change(f"edit:{channel}", f"variant:{channel}", old, new, text_diff(old, new))
        _audit(s, row, actor, change)
        return change


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def set_settings(
    store: Store,
    notice_id: int,
    version: int,
    actor: str,
    *,
    priority: Priority | None = None,
    areas: list[str] | None = None,
) -> list[Change]:
    """Priority and target areas of a draft (areas must already be checked against areas.yaml)."""
    changes = []
    with store.session() as s:
        row = _draft_row(s, notice_id, version)
        if priority is not None and priority.value != row.priority:
            changes.append(Change("set:priority", "priority", row.priority, priority.value))
            row.priority = priority.value
        if areas is not None:
            if not areas:
                raise InvalidTransition(f"notice {notice_id} needs at least one target area")
            areas = sorted(set(areas))
            if areas != sorted(row.areas or []):
                changes.append(Change("set:areas", "areas", ", ".join(row.areas or []), ", ".join(areas)))
                row.areas = areas
        for change in changes:
            _audit(s, row, actor, change)
    return changes


def set_schedule(
    store: Store,
    notice_id: int,
    version: int,
    actor: str,
    *,
    publish_at: datetime | None,
    expires_at: datetime | None,
    now: datetime | None = None,
) -> list[Change]:
    """Embargo (publish_at) and expiry of a draft. Both optional; expiry must follow publication."""
    check_schedule(notice_id, publish_at, expires_at, now)
    with store.session() as s:
        return apply_schedule(s, _draft_row(s, notice_id, version), actor, publish_at, expires_at)


def check_schedule(
    notice_id: int, publish_at: datetime | None, expires_at: datetime | None, now: datetime | None = None
) -> None:
    now = now or utcnow()
    if expires_at is not None and expires_at <= (publish_at or now):
        raise InvalidTransition(
            f"notice {notice_id}: the expiry ({expires_at.isoformat()}) must come after "
            f"the publication ({(publish_at or now).isoformat()})"
        )


def apply_schedule(
    s: Session, row: NoticeVersionRow, actor: str, publish_at: datetime | None, expires_at: datetime | None
) -> list[Change]:
    """Set publish_at and expires_at on a locked draft row inside the caller's transaction, audited."""
    changes = []
    for name, value in (("publish_at", publish_at), ("expires_at", expires_at)):
        old = getattr(row, name)
        if old != value:
            changes.append(Change(f"set:{name}", name, _iso(old), _iso(value)))
            setattr(row, name, value)
    for change in changes:
        _audit(s, row, actor, change)
    return changes


def record(
    store: Store,
    notice_id: int,
    version: int,
    actor: str,
    change: Change,
    reason: str | None = None,
    drafts_only: bool = True,
) -> None:
    """An audited action that changes no notice column (audio regenerated, recording uploaded, scheduled run)."""
    with store.session() as s:
        row: NoticeVersionRow | None
        if drafts_only:
            row = _draft_row(s, notice_id, version)
        else:
            row = s.scalar(
                select(NoticeVersionRow).where(
                    NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version
                )
            )
            if row is None:
                raise NotFound(f"notice {notice_id} version {version} does not exist")
        _audit(s, row, actor, change, reason)


def history(store: Store, notice_id: int) -> list[HistoryItem]:
    """Every audited action on every version of the notice, oldest first, with what it changed."""
    with store.reading() as s:
        rows = s.execute(
            select(ActionRow, NoticeVersionRow.version, ActionDetailRow)
            .join(NoticeVersionRow, NoticeVersionRow.id == ActionRow.notice_version_id)
            .outerjoin(ActionDetailRow, ActionDetailRow.action_id == ActionRow.id)
            .where(NoticeVersionRow.notice_id == notice_id)
            .order_by(ActionRow.id)
        ).all()
        return [
            HistoryItem(
                v,
                a.action,
                a.actor,
                a.at,
                a.reason,
                d.field if d else None,
                d.before if d else None,
                d.after if d else None,
                d.diff if d else None,
            )
            for a, v, d in rows
        ]


def version_numbers(store: Store, notice_id: int) -> list[tuple[int, str]]:
    with store.reading() as s:
        return [
            (v, st)
            for v, st in s.execute(
                select(NoticeVersionRow.version, NoticeVersionRow.state)
                .where(NoticeVersionRow.notice_id == notice_id)
                .order_by(NoticeVersionRow.version)
            )
        ]


@dataclass(frozen=True)
class DocumentExtras:
    """What the notice view does not carry of its source document."""

    score: float
    feed_url: str | None
    published: datetime | None
    fetched_at: datetime
    document_version: int


def document_extras(store: Store, notice_id: int, version: int) -> DocumentExtras:
    """What the notice view does not carry: relevance score, feed URL, published and fetched times."""
    with store.reading() as s:
        found = s.execute(
            select(DocumentVersionRow, FeedRow.url)
            .join(NoticeVersionRow, NoticeVersionRow.document_version_id == DocumentVersionRow.id)
            .outerjoin(FeedRow, FeedRow.id == DocumentVersionRow.feed_id)
            .where(NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version)
        ).first()
        if found is None:
            raise NotFound(f"notice {notice_id} version {version} does not exist")
        dv, feed_url = found
        return DocumentExtras(dv.score, feed_url, dv.published, dv.fetched_at, dv.version)
