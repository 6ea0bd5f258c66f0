"""What to play when: pure decisions from the schedule, the clock and what was already done.

The rule (docs/speaker-reference.md): a slot starts at its start time and plays its items in order. An item
that finished, failed, was interrupted or skipped is done and never played again in that slot. A slot
(or what is left of it, after an emergency or a restart) plays while now is within
start + slot length + GRACE; later, its remaining items are acked "skipped". An item or slot that a
newer schedule no longer lists is not played (a withdrawn notice leaves at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from loa.speaker.protocol import Item, Schedule, Slot

GRACE = timedelta(minutes=15)
PREFETCH_HORIZON = timedelta(hours=26)  # a day of slots, plus margin: the cache holds what the network may miss


@dataclass(frozen=True)
class Wait:
    """Nothing to play now; look again at `until` (None: only when something changes)."""

    until: datetime | None


@dataclass(frozen=True)
class PlayItem:
    slot: Slot
    item: Item


@dataclass(frozen=True)
class SkipItems:
    slot: Slot
    items: tuple[Item, ...]
    reason: str


Action = Wait | PlayItem | SkipItems


def next_action(
    schedule: Schedule | None, now: datetime, done: dict[str, set[str]], grace: timedelta = GRACE
) -> Action:
    """The one thing to do now for the regular programme (emergencies are handled before this)."""
    if schedule is None:
        return Wait(None)
    for slot in schedule.slots:
        remaining = tuple(i for i in slot.items if i.id not in done.get(slot.id, set()))
        if not remaining:
            continue
        if now < slot.start:
            return Wait(slot.start)
        if now <= slot.end + grace:
            return PlayItem(slot, remaining[0])
        return SkipItems(slot, remaining, f"too late: slot window ended at {(slot.end + grace).isoformat()}")
    return Wait(None)


def listed(schedule: Schedule | None, slot_id: str, item_id: str) -> bool:
    """Whether the current schedule still has this item in this slot (else stop playing it)."""
    return schedule is not None and (slot_id, item_id) in schedule.item_ids()


def is_newer(current: Schedule | None, candidate: Schedule) -> bool:
    return current is None or candidate.generated_at > current.generated_at


def prune(done: dict[str, set[str]], schedule: Schedule) -> dict[str, set[str]]:
    """Progress kept only for slots still listed: the state file stays small over days."""
    ids = {s.id for s in schedule.slots}
    return {k: v for k, v in done.items() if k in ids}


def to_prefetch(schedule: Schedule | None, now: datetime, horizon: timedelta = PREFETCH_HORIZON) -> list[Item]:
    """Items of slots not yet over that start within the horizon, soonest first, each file once."""
    if schedule is None:
        return []
    seen: set[str] = set()
    items = []
    for slot in schedule.slots:
        if slot.end + GRACE < now or slot.start > now + horizon:
            continue
        for item in slot.items:
            if item.sha256 not in seen:
                seen.add(item.sha256)
                items.append(item)
    return items


def needed_hashes(schedule: Schedule | None, now: datetime) -> set[str]:
    """Files the cache must not evict."""
    return {i.sha256 for i in to_prefetch(schedule, now)}


class RecentKeys:
    """The idempotency keys of the last commands played (bounded), so one command plays at most once."""

    def __init__(self, keys: Iterable[str] = (), limit: int = 500):
        self.limit = limit
        self.keys: list[str] = list(keys)[-limit:]

    def seen(self, key: str) -> bool:
        return key in self.keys

    def add(self, key: str) -> None:
        if key not in self.keys:
            self.keys.append(key)
            del self.keys[: -self.limit]
