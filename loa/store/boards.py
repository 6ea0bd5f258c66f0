"""Repository functions for digital notice boards: the registry, online/offline history, acks.

Functions take a `Store` and return plain dataclasses. The board listener writes
here in batches (`record_reports`); `loa boards`, the board-health flow and the
website (`ack_counts`) read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loa.board_protocol import Report
from loa.errors import LoaError, NotFound
from loa.model import within
from loa.store import Store
from loa.store.device_history import newest
from loa.store.schema import BoardAckRow, BoardRow, BoardStatusRow, utcnow


@dataclass(frozen=True)
class Board:
    id: str
    area: str
    name: str | None
    state: str  # online | offline | unknown (never reported)
    state_since: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    acks: int = 0
    last_ack_at: datetime | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, datetime):
                d[k] = v.isoformat()
        d["online"] = self.state == "online"
        return d


@dataclass(frozen=True)
class Change:
    """A board's state changed (e.g. online → offline): what the listener turns into an event."""

    board: Board
    old: str
    new: str
    at: datetime


@dataclass(frozen=True)
class AckCount:
    """How many of a notice version's target boards have shown it."""

    notice_id: int
    version: int
    boards: int  # boards whose area the notice targets (its areas and everything below them)
    acknowledged: int

    def as_dict(self) -> dict:
        return asdict(self)


def _board(row: BoardRow, acks: int = 0, last_ack: datetime | None = None) -> Board:
    return Board(
        row.id, row.area, row.name, row.state, row.state_since, row.last_seen_at, row.created_at, acks, last_ack
    )


def add_board(store: Store, board_id: str, area: str, name: str | None = None) -> Board:
    with store.session() as s:
        if s.get(BoardRow, board_id) is not None:
            raise LoaError(f"board {board_id!r} already exists; `loa boards` lists the boards")
        row = BoardRow(id=board_id, area=area, name=name, state="unknown")
        s.add(row)
        s.flush()
        return _board(row)


def get_board(store: Store, board_id: str) -> Board:
    for b in boards(store, only=board_id):
        return b
    raise NotFound(f"board {board_id!r} is not registered; `loa boards add {board_id} --area PATH` adds it")


def boards(store: Store, *, only: str | None = None) -> list[Board]:
    """Every registered board (or the one with id `only`) with its current state and ack totals, by id."""
    with store.reading() as s:
        acks = select(BoardAckRow.board_id, func.count(), func.max(BoardAckRow.received_at))
        q = select(BoardRow).order_by(BoardRow.id)
        if only is not None:
            acks, q = acks.where(BoardAckRow.board_id == only), q.where(BoardRow.id == only)
        totals = {b: (n, last) for b, n, last in s.execute(acks.group_by(BoardAckRow.board_id)).all()}
        return [_board(r, *totals.get(r.id, (0, None))) for r in s.scalars(q).all()]


def record_reports(store: Store, reports: list[Report]) -> list[Change]:
    """Record a batch of status reports and acks in one transaction; return the state changes.

    Reports from unregistered boards are dropped (an account outside `loa boards add` has no
    row to attach history to). A repeated ack of the same version keeps its first row.
    """
    changes: list[Change] = []
    with store.session() as s:
        known = {
            r.id: r for r in s.scalars(select(BoardRow).where(BoardRow.id.in_({rep.board for rep in reports}))).all()
        }
        acked = _existing_acks(s, [r for r in reports if r.kind == "ack" and r.board in known])
        for rep in reports:
            row = known.get(rep.board)
            if row is None:
                continue
            row.last_seen_at = rep.at if rep.kind == "ack" or rep.state == "online" else row.last_seen_at
            if rep.kind == "status":
                if rep.state is not None and rep.state != row.state:
                    old = row.state
                    row.state, row.state_since = rep.state, rep.at
                    s.add(BoardStatusRow(board_id=row.id, state=rep.state, at=rep.at, detail=rep.detail))
                    changes.append(Change(_board(row), old, rep.state, rep.at))
            elif (rep.board, rep.notice, rep.version) not in acked:
                acked.add((rep.board, rep.notice, rep.version))
                s.add(
                    BoardAckRow(
                        board_id=rep.board,
                        notice_id=rep.notice,
                        version=rep.version,
                        area=rep.area,
                        shown_at=rep.shown_at,
                        received_at=rep.at,
                    )
                )
    return changes


def _existing_acks(s: Session, acks: list[Report]) -> set[tuple[str, int | None, int | None]]:
    if not acks:
        return set()
    rows = s.execute(
        select(BoardAckRow.board_id, BoardAckRow.notice_id, BoardAckRow.version).where(
            BoardAckRow.notice_id.in_({a.notice for a in acks}), BoardAckRow.board_id.in_({a.board for a in acks})
        )
    ).all()
    return {(board, notice, version) for board, notice, version in rows}


@dataclass(frozen=True)
class StatusChange:
    """A board went online or offline."""

    state: str
    at: datetime
    detail: dict | None  # the board's own status report (JSON), when it sent one


@dataclass(frozen=True)
class Shown:
    """A board showed a notice version (its ack)."""

    notice: int
    version: int
    area: str | None
    shown_at: datetime | None
    received_at: datetime


def status_history(store: Store, board_id: str, limit: int = 50) -> list[StatusChange]:
    """A board's online/offline changes, newest first."""
    with store.reading() as s:
        rows = newest(s, BoardStatusRow, BoardStatusRow.board_id == board_id, BoardStatusRow.at, limit)
        return [StatusChange(r.state, r.at, r.detail) for r in rows]


def acks_of(store: Store, board_id: str, limit: int = 50) -> list[Shown]:
    """Which notice versions a board has shown, newest first."""
    with store.reading() as s:
        rows = newest(s, BoardAckRow, BoardAckRow.board_id == board_id, BoardAckRow.received_at, limit)
        return [Shown(r.notice_id, r.version, r.area, r.shown_at, r.received_at) for r in rows]


def ack_counts(store: Store, notice_id: int, version: int | None = None) -> AckCount:
    """How many of the notice's target boards acknowledged this version (default: the latest version).

    For the website's notice page ("shown on 12 of 14 boards") and `loa boards`. Two light queries
    besides the notice itself, so a full site rebuild can call it per page.
    """
    notice = store.notice(notice_id, version)
    with store.reading() as s:
        targets = {
            b
            for b, area in s.execute(select(BoardRow.id, BoardRow.area)).all()
            if any(within(area, a) for a in notice.areas)
        }
        acked = set(
            s.scalars(
                select(BoardAckRow.board_id).where(
                    BoardAckRow.notice_id == notice.id, BoardAckRow.version == notice.version
                )
            ).all()
        )
    return AckCount(notice.id, notice.version, len(targets), len(acked & targets))


@dataclass(frozen=True)
class BoardHealth:
    """One board in the board-health table: its state and since when, and the current notices it shows."""

    board: str
    area: str
    state: str
    since: datetime | None
    last_seen: datetime | None
    current_notices: int
    shown: int
    not_shown: int
    acks_total: int


def health(store: Store, now: datetime | None = None) -> list[BoardHealth]:
    """One row per board for the board-health table: state, since when, and current notices shown."""
    now = now or utcnow()
    live = store.live_notices(now)
    with store.reading() as s:
        acked = (
            {
                tuple(r)
                for r in s.execute(
                    select(BoardAckRow.board_id, BoardAckRow.notice_id, BoardAckRow.version).where(
                        BoardAckRow.notice_id.in_({n.id for n in live})
                    )
                ).all()
            }
            if live
            else set()
        )
    rows = []
    for b in boards(store):
        due = [n for n in live if any(within(b.area, a) for a in n.areas)]
        shown = sum(1 for n in due if (b.id, n.id, n.version) in acked)
        rows.append(
            BoardHealth(
                board=b.id,
                area=b.area,
                state=b.state,
                since=b.state_since,
                last_seen=b.last_seen_at,
                current_notices=len(due),
                shown=shown,
                not_shown=len(due) - shown,
                acks_total=b.acks,
            )
        )
    return rows
