"""Claims and dispatch leases in the store (the rules: loa.publishing.claims).

Each function is one short write transaction. On SQLite a write transaction takes the write lock up
front (BEGIN IMMEDIATE), on PostgreSQL the rows are locked FOR UPDATE and a lease row is inserted
under its primary key, so two processes never both win a claim or a lease.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loa.publishing.claims import TAKE, RowState, decide, lapsed
from loa.store import Store
from loa.store.schema import DeliveryRow, DispatchLeaseRow, NoticeVersionRow, utcnow

Alive = Callable[[str], "bool | None"]


@dataclass(frozen=True)
class Lease:
    notice_id: int
    holder: str
    purpose: str
    until: datetime


def _rows(s, notice_id: int, version: int, channel: str, kind: str, targets: list[str]):
    return s.scalars(
        select(DeliveryRow)
        .where(
            DeliveryRow.notice_id == notice_id,
            DeliveryRow.version == version,
            DeliveryRow.channel == channel,
            DeliveryRow.kind == kind,
            DeliveryRow.target.in_(targets),
        )
        .order_by(DeliveryRow.id)
        .with_for_update()
    ).all()


def state(row: DeliveryRow) -> RowState:
    return RowState(row.target, row.status, row.claimed_by, row.claim_until, row.sent_at, row.updated_at)


def claim(
    store: Store,
    notice_id: int,
    version: int,
    channel: str,
    kind: str,
    targets: list[str],
    me: str,
    *,
    idempotent: bool,
    alive: Alive,
    lease: timedelta,
    now: datetime | None = None,
) -> dict[str, str]:
    """Claim what `me` may send among `targets`, in one transaction. Returns each target's decision
    (loa.publishing.claims: take, done, held, uncertain); only the "take" ones are claimed."""
    now = now or utcnow()
    out = {}
    with store.session() as s:
        for row in _rows(s, notice_id, version, channel, kind, targets):
            holder = row.claimed_by
            verdict = decide(
                state(row), me, now, idempotent=idempotent, alive=alive(holder) if holder and holder != me else None
            )
            out[row.target] = verdict
            if verdict == TAKE:
                row.claimed_by, row.claim_until = me, now + lease
    return out


def mark_sending(
    store: Store, notice_id: int, version: int, channel: str, kind: str, target: str, me: str, lease: timedelta
) -> bool:
    """Just before a send that cannot be taken back: record that it starts (and renew the claim).
    False when `me` no longer holds the claim (a successor took it over): then do not send."""
    now = utcnow()
    with store.session() as s:
        rows = _rows(s, notice_id, version, channel, kind, [target])
        if not rows or rows[0].claimed_by != me:
            return False
        rows[0].sent_at, rows[0].claim_until = now, now + lease
        return True


def release(store: Store, notice_id: int, version: int, channel: str, kind: str, targets: list[str], me: str) -> None:
    """Give back claims not used (nothing was sent for these targets)."""
    with store.session() as s:
        for row in _rows(s, notice_id, version, channel, kind, targets):
            if row.claimed_by == me:
                row.claimed_by, row.claim_until = None, None


def version_state(store: Store, notice_id: int, version: int) -> str | None:
    with store.reading() as s:
        return s.scalar(
            select(NoticeVersionRow.state).where(
                NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version
            )
        )


# --- one notice's dispatch lease ------------------------------------------------------------------


def acquire(store: Store, notice_id: int, me: str, purpose: str, *, alive: Alive, lease: timedelta) -> Lease | None:
    """Take (or renew) the notice's lease: None when `me` has it now, else the lease that stands."""
    now = utcnow()
    try:
        with store.session() as s:
            row = s.scalar(select(DispatchLeaseRow).where(DispatchLeaseRow.notice_id == notice_id).with_for_update())
            if row is None:
                s.add(DispatchLeaseRow(notice_id=notice_id, holder=me, purpose=purpose, until=now + lease))
                return None
            if not lapsed(row.holder, row.until, me, now, alive(row.holder) if row.holder != me else None):
                return Lease(notice_id, row.holder, row.purpose, row.until)
            row.holder, row.purpose, row.until = me, purpose, now + lease
            return None
    except IntegrityError:  # another process inserted it first (PostgreSQL): it holds it
        current = holder(store, notice_id)
        return current or Lease(notice_id, "?", purpose, now)


def holder(store: Store, notice_id: int) -> Lease | None:
    with store.reading() as s:
        row = s.get(DispatchLeaseRow, notice_id)
        return Lease(row.notice_id, row.holder, row.purpose, row.until) if row else None


def give_back(store: Store, notice_id: int, me: str) -> None:
    with store.session() as s:
        row = s.scalar(select(DispatchLeaseRow).where(DispatchLeaseRow.notice_id == notice_id).with_for_update())
        if row is not None and row.holder == me:
            s.delete(row)
