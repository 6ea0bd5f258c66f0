"""Who may send a delivery, who may run a notice's dispatch, what a withdrawal must stop, what to
recover: the pure rules behind "exactly once where the world can take twice, at most once where it
cannot" (docs/delivery.md). The store applies them (loa.store.claims); nothing here does I/O except
`holder_alive`, which asks the OS whether a process of this host still exists.

A holder is "<host>:<pid>:<token>": the token makes every claim its own (two dispatches in one process
never share a claim); host and pid let a successor on the same host take over at once from a process
that died, instead of waiting for the lease to run out.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

#: how long a claim or a dispatch lease lasts without renewal (renewed before each send)
LEASE = timedelta(minutes=5)

TAKE = "take"  # claim it and send
DONE = "done"  # delivered already: never sent again
HELD = "held"  # another live holder has it: leave it
UNCERTAIN = "uncertain"  # a dead holder may have sent it, and a second copy would harm: never resend


@dataclass(frozen=True)
class RowState:
    """What the rules need of one delivery row."""

    target: str
    status: str  # pending | delivered | failed
    claimed_by: str | None
    claim_until: datetime | None
    sent_at: datetime | None
    updated_at: datetime | None = None


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_alive(holder: str) -> bool | None:
    """True/False for a holder on this host (its process exists or not); None when it cannot be told
    (another host, or a name in another form): then only the lease decides."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lapsed(holder: str | None, until: datetime | None, me: str, now: datetime, alive: bool | None) -> bool:
    """May `me` take what `holder` holds until `until`? Yes when nobody holds it, `me` does, the lease
    ran out, or the holder's process is known to be gone."""
    if holder is None or holder == me:
        return True
    if alive is False:
        return True
    return until is None or until <= now


def decide(row: RowState, me: str, now: datetime, *, idempotent: bool, alive: bool | None) -> str:
    """What a dispatch does with one row of its own version and kind."""
    if row.status == "delivered":
        return DONE
    if not lapsed(row.claimed_by, row.claim_until, me, now, alive):
        return HELD
    if not idempotent and row.sent_at is not None and row.claimed_by not in (None, me):
        # a holder died between starting the send and recording its outcome: the command may be out
        return UNCERTAIN
    return TAKE


def may_have_reached(row: RowState) -> bool:
    """A publish row a withdrawal must undo: delivered, or claimed by a dispatch that has not recorded
    its outcome (it may be sending now, or died after sending), or a send started without a PUBACK."""
    return row.status == "delivered" or row.claimed_by is not None or row.sent_at is not None


def to_recover(row: RowState, now: datetime, settled: datetime, alive: bool | None) -> bool:
    """A row the recovery run delivers again: failed before `settled` (the dispatch's own retries had
    their chance) or pending since before it (a dispatch that died before claiming it), or claimed by a
    dispatch whose claim lapsed (killed) — never one a live dispatch holds, never a delivered one.
    The caller also skips a notice whose dispatch lease a live holder has."""
    if row.status == "delivered":
        return False
    if row.claimed_by is not None:
        return lapsed(row.claimed_by, row.claim_until, "", now, alive)
    return row.updated_at is None or row.updated_at < settled


def idempotency_key(notice_id: int, version: int, station: str) -> str:
    """The play command's key: one per (notice, version, station), whatever the try."""
    from loa.radio.command import idempotency_key as key

    return key(notice_id, version, station)
