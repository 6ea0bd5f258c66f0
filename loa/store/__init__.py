"""The store: Loa's source of truth (Prefect's database can be wiped without losing a notice).

`Store` is the only way the rest of Loa reads or writes rows. It hands out
domain objects (loa.model), never ORM rows, so callers cannot lazy-load
across a closed session or mutate rows behind the store's back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from loa.errors import InvalidTransition, NotFound
from loa.model import (
    LIVE_STATES,
    Classification,
    DeliveryResult,
    DeliveryStatus,
    DocumentMeta,
    Entry,
    NoticeState,
    NoticeView,
    Priority,
)
from loa.publishing import machine
from loa.store import ingest, migrate
from loa.store.ingest import Draft, EntryChange
from loa.store.schema import (
    ActionRow,
    DeliveryRow,
    DocumentVersionRow,
    FeedRow,
    NoticeVersionRow,
    VariantRow,
    utcnow,
)

log = logging.getLogger(__name__)

__all__ = ["Action", "Delivery", "Draft", "EntryChange", "FeedHealth", "Store"]


@dataclass(frozen=True)
class Delivery:
    notice_id: int
    version: int
    channel: str
    target: str
    kind: str
    status: str
    attempts: int
    detail: str | None
    last_error: str | None
    updated_at: datetime
    claimed_by: str | None = None  # a dispatch's claim before sending (loa.store.claims)
    claim_until: datetime | None = None
    sent_at: datetime | None = None  # an irrevocable send started (the emergency play command)


@dataclass(frozen=True)
class FeedHealth:
    """A feed's health: when it was last read, its last error and why, and whether it is stale."""

    url: str
    name: str
    title: str | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error_reason: str | None
    last_error: str | None
    consecutive_failures: int
    stale: bool


@dataclass(frozen=True)
class Action:
    """One audit row: who did what to which version, when (and why)."""

    version: int
    action: str
    actor: str
    at: datetime
    reason: str | None


def _sqlite_pragmas(dbapi_conn, _record):
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    # WAL lets the web server read while a flow writes; busy_timeout waits instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A write transaction takes SQLite's write lock up front (BEGIN IMMEDIATE), so concurrent
    # writers queue on busy_timeout instead of failing with "database is locked" when a
    # read transaction tries to upgrade; read-only sessions stay DEFERRED and never block.
    write = conn.get_execution_options().get("loa_write", True)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(engine.execution_options(loa_write=False), expire_on_commit=False)
        # SQLite has one writer at a time: threads of this process queue on a lock (fair, no
        # polling); other processes wait on busy_timeout. PostgreSQL needs neither.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        if upgrade:
            migrate.upgrade(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
        with self._write_lock, self._session.begin() as s:
            yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction (never takes SQLite's write lock)."""
        with self._reader.begin() as s:
            yield s

    # --- feeds ------------------------------------------------------------------------------

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified to send with the next conditional GET."""
        with self.reading() as s:
            return ingest.validators(s, url)

    def record_feed_success(
        self,
        url: str,
        *,
        name: str = "",
        title: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        not_modified: bool = False,
    ) -> None:
        with self.session() as s:
            ingest.record_feed_success(
                s,
                ingest.feed_id(s, url, name),
                title=title,
                etag=etag,
                last_modified=last_modified,
                not_modified=not_modified,
            )

    def record_feed_failure(self, url: str, *, name: str = "", reason: str, error: str) -> int:
        """Record a failed poll; returns the number of consecutive failures."""
        with self.session() as s:
            return ingest.record_feed_failure(s, ingest.feed_id(s, url, name), reason=reason, error=error)

    def feeds(self, stale_after: timedelta | None = None) -> list[FeedHealth]:
        """Feed health. A feed is stale when it has not been read successfully for `stale_after`."""
        now = utcnow()
        with self.reading() as s:
            rows = s.scalars(select(FeedRow).order_by(FeedRow.id)).all()
            return [
                FeedHealth(
                    url=r.url,
                    name=r.name,
                    title=r.title,
                    last_checked_at=r.last_checked_at,
                    last_success_at=r.last_success_at,
                    last_error_at=r.last_error_at,
                    last_error_reason=r.last_error_reason,
                    last_error=r.last_error,
                    consecutive_failures=r.consecutive_failures,
                    stale=stale_after is not None
                    and (r.last_success_at is None or now - r.last_success_at > stale_after),
                )
                for r in rows
            ]

    # --- documents --------------------------------------------------------------------------

    def record_entry(self, feed_url: str, entry: Entry, cls: Classification) -> EntryChange:
        """Store an entry as a new document, a new version of one, or nothing if unchanged."""
        return self.record_entries(feed_url, [(entry, cls)])[0]

    def record_entries(self, feed_url: str, items: list[tuple[Entry, Classification]]) -> list[EntryChange]:
        """The 'what changed?' decision for a whole feed in one transaction (see ingest.record_entries)."""
        with self.session() as s:
            return ingest.record_entries(s, ingest.feed_id(s, feed_url), items)

    def known_texts(self, identities: list[str]) -> dict[str, set[str]]:
        """identity -> content hashes already stored for it: entries whose text is among them are
        unchanged, so ingest need not classify or render them."""
        with self.reading() as s:
            return ingest.known_texts(s, identities)

    def previous_articles(self, identities: list[str]) -> dict[str, tuple[dict, str]]:
        """identity -> (article record, body) last read from the document's linked page."""
        if not identities:
            return {}
        with self.reading() as s:
            return ingest.previous_articles(s, identities)

    def record_poll(
        self,
        feed_url: str,
        *,
        name: str,
        title: str | None,
        etag: str | None,
        last_modified: str | None,
        items: list[tuple[Entry, Classification, dict[str, str] | None]],
        areas: list[str],
    ) -> tuple[list[EntryChange], list[ingest.Drafted]]:
        """One successful poll of a feed in one transaction: its entries recorded, a draft for each new or
        changed relevant one (with the variants given for it), and the feed's health and validators.
        A crash leaves all of it or none, so the next poll (sent without the new ETag) redoes it.
        Returns the entry changes, and per draft made (in the order of `items`) the new or amended
        document it came from and the notice version it made."""
        with self.session() as s:
            feed = ingest.feed_id(s, feed_url, name)
            changes = ingest.record_entries(s, feed, [(e, c) for e, c, _ in items])
            sources = [
                (ch, ingest.Draft(ch.document_version_id, areas, _variants(feed_url, e, v)))
                for (e, c, v), ch in zip(items, changes)
                if c.relevant and ch.kind != "unchanged"
            ]
            drafted = ingest.draft_notices(s, [d for _, d in sources])
            ingest.record_feed_success(s, feed, title=title, etag=etag, last_modified=last_modified)
        return changes, [
            ingest.Drafted(ch.document_id, ch.version, notice_id, version)
            for (ch, _), (notice_id, version) in zip(sources, drafted)
        ]

    def titles(self, notice_ids: list[int]) -> dict[int, str]:
        """The title of each notice's latest version."""
        with self.reading() as s:
            return ingest.titles(s, notice_ids)

    # --- notices ----------------------------------------------------------------------------

    def draft_notice(
        self,
        document_version_id: int,
        *,
        areas: list[str],
        variants: dict[str, str],
        priority: Priority = Priority.NORMAL,
    ) -> NoticeView:
        """A new notice (or a new version of the document's notice) in state drafted."""
        notice_id, version = self.draft_notices([Draft(document_version_id, areas, variants, priority)])[0]
        return self.notice(notice_id, version)

    def draft_notices(self, drafts: list[Draft]) -> list[tuple[int, int]]:
        """Draft many notices in one transaction; returns (notice id, version) for each."""
        if not drafts:
            return []
        with self.session() as s:
            return ingest.draft_notices(s, drafts)

    def _version_row(self, s: Session, notice_id: int, version: int | None = None) -> NoticeVersionRow:
        q = (
            select(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == notice_id)
            .options(selectinload(NoticeVersionRow.variants), selectinload(NoticeVersionRow.actions))
        )
        q = (
            q.where(NoticeVersionRow.version == version)
            if version
            else q.order_by(NoticeVersionRow.version.desc()).limit(1)
        )
        row = s.scalar(q)
        if row is None:
            what = f"notice {notice_id} version {version}" if version else f"notice {notice_id}"
            raise NotFound(f"{what} does not exist; `loa notices` lists the notices there are")
        return row

    def notice(self, notice_id: int, version: int | None = None) -> NoticeView:
        """One notice version (the latest if version is None)."""
        with self.reading() as s:
            return self._view(s, self._version_row(s, notice_id, version))

    def notices(self, state: NoticeState | None = None, limit: int = 200, offset: int = 0) -> list[NoticeView]:
        """The latest version of each notice, newest first; or every version in `state`."""
        with self.reading() as s:
            q = select(NoticeVersionRow).options(
                selectinload(NoticeVersionRow.variants),
                selectinload(NoticeVersionRow.actions),
                selectinload(NoticeVersionRow.document_version).selectinload(DocumentVersionRow.feed),
            )
            if state is not None:
                q = q.where(NoticeVersionRow.state == state.value)
            else:
                latest = (
                    select(NoticeVersionRow.notice_id, func.max(NoticeVersionRow.version).label("v"))
                    .group_by(NoticeVersionRow.notice_id)
                    .subquery()
                )
                q = q.join(
                    latest,
                    (latest.c.notice_id == NoticeVersionRow.notice_id) & (latest.c.v == NoticeVersionRow.version),
                )
            q = q.order_by(NoticeVersionRow.notice_id.desc(), NoticeVersionRow.version.desc())
            return [self._view(s, r) for r in s.scalars(q.limit(limit).offset(offset)).all()]

    def live_notices(self, now: datetime | None = None) -> list[NoticeView]:
        """What is public now, one version per notice, newest notice first: the newest approved or published
        version that is due (the embargo rule) and not expired. During a new version's embargo that is
        the version it will replace."""
        now = now or utcnow()
        with self.reading() as s:
            q = (
                select(NoticeVersionRow)
                .where(NoticeVersionRow.state.in_([st.value for st in LIVE_STATES]))
                .options(selectinload(NoticeVersionRow.variants), selectinload(NoticeVersionRow.actions))
                .order_by(NoticeVersionRow.notice_id.desc(), NoticeVersionRow.version.desc())
            )
            views = [self._view(s, r) for r in s.scalars(q).all()]
        seen: set[int] = set()
        live = []
        for v in views:
            if v.id in seen or not machine.is_due(v.priority, v.publish_at, now):
                continue
            seen.add(v.id)
            if not machine.is_expired(v.expires_at, now):
                live.append(v)
        return live

    def transition(
        self,
        notice_id: int,
        action: str,
        actor: str,
        reason: str | None = None,
        *,
        version: int | None = None,
        role: str = "operator",
        now: datetime | None = None,
        prepare: Callable[[Session, NoticeVersionRow], None] | None = None,
    ) -> NoticeView:
        """Apply one action of the state table (loa/publishing/machine.py) to a version, recording who and when:
        to `version`, or else to the newest version whose state allows it. `prepare` changes the row in the
        same transaction first (an approval's publish time). A refusal changes nothing."""
        if not actor or not actor.strip():
            raise InvalidTransition(f"{action} notice {notice_id}: say who you are (--by NAME)")
        rule = machine.RULES.get(action)
        if rule is None or not rule.targets:
            raise InvalidTransition(
                f"{action!r} is not a state change; the state changes are "
                f"{', '.join(r.action for r in machine.TABLE if r.targets)}"
            )
        now = now or utcnow()
        with self.session() as s:
            rows = s.scalars(
                select(NoticeVersionRow)
                .where(NoticeVersionRow.notice_id == notice_id)
                .order_by(NoticeVersionRow.version.desc())
                .with_for_update()
            ).all()
            if not rows:
                raise NotFound(f"notice {notice_id} does not exist; `loa notices` lists the notices there are")
            if version is not None:
                row = next((r for r in rows if r.version == version), None)
                if row is None:
                    raise NotFound(f"notice {notice_id} version {version} does not exist")
            else:
                row = next((r for r in rows if NoticeState(r.state) in rule.sources), None)
                if row is None:
                    states = ", ".join(f"v{r.version} {r.state}" for r in rows)
                    raise InvalidTransition(
                        f"cannot {action} notice {notice_id}: no version is in a state that allows it ({states})"
                    )
            machine.check(notice_id, row.version, NoticeState(row.state), role, action)
            if action == "expire" and not machine.is_expired(row.expires_at, now):
                raise InvalidTransition(
                    f"cannot expire notice {notice_id} v{row.version}: "
                    f"it has no expiry in the past ({_iso(row.expires_at) or 'none set'})"
                )
            if prepare is not None:
                prepare(s, row)
            row.state = rule.targets[0].value
            s.add(ActionRow(notice_version_id=row.id, action=action, actor=actor.strip(), reason=reason))
            if action == "approve" and machine.is_due(Priority(row.priority), row.publish_at, now):
                # published now: it replaces the older live version at once (an embargoed one does so
                # only when its dispatch starts: until then the older one stays public)
                _supersede(s, rows, row)
            s.flush()
            return self._view(s, self._version_row(s, notice_id, row.version))

    def supersede_older(self, notice_id: int, version: int) -> list[int]:
        """A version goes public: older live versions become superseded. Returns their numbers."""
        with self.session() as s:
            rows = s.scalars(
                select(NoticeVersionRow).where(NoticeVersionRow.notice_id == notice_id).with_for_update()
            ).all()
            row = next(r for r in rows if r.version == version)
            return _supersede(s, rows, row)

    def set_variant(self, notice_id: int, channel: str, body: str, actor: str, version: int | None = None) -> None:
        with self.session() as s:
            row = self._version_row(s, notice_id, version)
            if row.state != NoticeState.DRAFTED.value:
                raise InvalidTransition(f"notice {notice_id} v{row.version} is {row.state}; only drafts can be edited")
            var = next((v for v in row.variants if v.channel == channel), None)
            if var is None:
                s.add(VariantRow(notice_version_id=row.id, channel=channel, language="vi", body=body))
            else:
                var.body = body
            s.add(ActionRow(notice_version_id=row.id, action=f"edit:{channel}", actor=actor))

    def _view(self, s: Session, r: NoticeVersionRow) -> NoticeView:
        dv = r.document_version
        approval = next((a for a in reversed(r.actions) if a.action == "approve"), None)
        return NoticeView(
            id=r.notice_id,
            version=r.version,
            state=NoticeState(r.state),
            priority=Priority(r.priority),
            title=r.title,
            summary_html=dv.summary_html,
            source_url=dv.link,
            feed_title=dv.feed.name if dv.feed else None,
            areas=list(r.areas or []),
            created_at=r.created_at,
            approved_at=approval.at if approval else None,
            approved_by=approval.actor if approval else None,
            publish_at=r.publish_at,
            expires_at=r.expires_at,
            meta=DocumentMeta(**(dv.meta or {})),
            content_areas=list(dv.content_areas or []),
            reasons=list(dv.reasons or []),
            variants={v.channel: v.body for v in r.variants if v.language == "vi"},
            warnings=list(dv.warnings or []),
            files=list((dv.article or {}).get("attachments") or []),
            disaster_level=r.disaster_level,
            alert_status=r.alert_status or "actual",
            instruction=r.instruction or "",
        )

    def actions(self, notice_id: int) -> list[Action]:
        """The audit trail of every version, oldest first (what each change was: loa.store.desk.history)."""
        with self.reading() as s:
            rows = s.execute(
                select(ActionRow, NoticeVersionRow.version)
                .join(NoticeVersionRow)
                .where(NoticeVersionRow.notice_id == notice_id)
                .order_by(ActionRow.id)
            ).all()
            return [Action(v, a.action, a.actor, a.at, a.reason) for a, v in rows]

    # --- deliveries -------------------------------------------------------------------------

    def plan_deliveries(self, notice_id: int, version: int, kind: str, targets: dict[str, list[str]]) -> None:
        """Create the pending delivery rows (idempotent: existing rows keep their status)."""
        with self.session() as s:
            existing = set(
                s.execute(
                    select(DeliveryRow.channel, DeliveryRow.target).where(
                        DeliveryRow.notice_id == notice_id, DeliveryRow.version == version, DeliveryRow.kind == kind
                    )
                ).all()
            )
            for channel, names in targets.items():
                for target in names:
                    if (channel, target) not in existing:
                        s.add(
                            DeliveryRow(
                                notice_id=notice_id,
                                version=version,
                                channel=channel,
                                target=target,
                                kind=kind,
                                status=DeliveryStatus.PENDING.value,
                                attempts=0,
                            )
                        )

    def deliveries(
        self, notice_id: int, version: int | None = None, channel: str | None = None, kind: str | None = None
    ) -> list[Delivery]:
        with self.reading() as s:
            q = select(DeliveryRow).where(DeliveryRow.notice_id == notice_id)
            if version is not None:
                q = q.where(DeliveryRow.version == version)
            if channel is not None:
                q = q.where(DeliveryRow.channel == channel)
            if kind is not None:
                q = q.where(DeliveryRow.kind == kind)
            return [
                Delivery(
                    r.notice_id,
                    r.version,
                    r.channel,
                    r.target,
                    r.kind,
                    r.status,
                    r.attempts,
                    r.detail,
                    r.last_error,
                    r.updated_at,
                    r.claimed_by,
                    r.claim_until,
                    r.sent_at,
                )
                for r in s.scalars(q.order_by(DeliveryRow.id)).all()
            ]

    def record_delivery(self, notice_id: int, version: int, kind: str, result: DeliveryResult) -> None:
        with self.session() as s:
            row = s.scalar(
                select(DeliveryRow)
                .where(
                    DeliveryRow.notice_id == notice_id,
                    DeliveryRow.version == version,
                    DeliveryRow.channel == result.channel,
                    DeliveryRow.target == result.target,
                    DeliveryRow.kind == kind,
                )
                .with_for_update()
            )
            if row is None:
                row = DeliveryRow(
                    notice_id=notice_id,
                    version=version,
                    channel=result.channel,
                    target=result.target,
                    kind=kind,
                    attempts=0,
                )
                s.add(row)
            row.attempts = (row.attempts or 0) + 1
            row.claimed_by, row.claim_until = None, None  # the outcome is known: the claim is done
            if result.ok:
                row.status, row.detail, row.delivered_at = DeliveryStatus.DELIVERED.value, result.detail, utcnow()
            else:
                row.status, row.last_error = DeliveryStatus.FAILED.value, result.detail

    def settle(self, notice_id: int, version: int) -> NoticeState:
        """After a dispatch: published when every delivery landed, partially published otherwise."""
        with self.session() as s:
            row = self._version_row(s, notice_id, version)
            if NoticeState(row.state) not in LIVE_STATES:
                return NoticeState(row.state)  # withdrawn or superseded meanwhile: leave it
            statuses = s.scalars(
                select(DeliveryRow.status).where(
                    DeliveryRow.notice_id == notice_id, DeliveryRow.version == version, DeliveryRow.kind == "publish"
                )
            ).all()
            done = statuses and all(st == DeliveryStatus.DELIVERED.value for st in statuses)
            new = NoticeState.PUBLISHED if done else NoticeState.PARTIALLY_PUBLISHED
            if row.state != new.value:
                row.state = new.value
                s.add(ActionRow(notice_version_id=row.id, action=new.value, actor="loa"))
            return new


def _supersede(s: Session, rows: Sequence[NoticeVersionRow], row: NoticeVersionRow) -> list[int]:
    done = []
    for old in rows:
        if old.version < row.version and NoticeState(old.state) in LIVE_STATES:
            old.state = NoticeState.SUPERSEDED.value
            s.add(
                ActionRow(
                    notice_version_id=old.id,
                    action="superseded",
                    actor=machine.SYSTEM_ACTOR,
                    reason=f"replaced by version {row.version}",
                )
            )
            done.append(old.version)
    return done


def _variants(feed_url: str, entry: Entry, variants: dict[str, str] | None) -> dict[str, str]:
    if variants is None:
        raise ValueError(f"feed {feed_url}: relevant entry {entry.identity} came without its rendered variants")
    return variants


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
