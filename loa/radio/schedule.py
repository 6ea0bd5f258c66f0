"""When a station airs: its daily slots (stations.yaml) as concrete times in the local time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from loa.config import Slot, Station


@dataclass(frozen=True)
class SlotTime:
    """One occurrence of one station's slot: 06:00 on 2026-11-26 at nam-tuan."""

    station: Station
    slot: Slot
    day: date  # local date
    starts_at: datetime  # aware, UTC

    @property
    def key(self) -> str:
        """File-name form: 2026-11-26-0600."""
        return f"{self.day.isoformat()}-{self.slot.time.replace(':', '')}"

    @property
    def label(self) -> str:
        return f"{self.day.isoformat()} {self.slot.time}"

    @property
    def max_seconds(self) -> float:
        return self.slot.max_minutes * 60.0


def starts_at(slot: Slot, day: date, tz: ZoneInfo) -> datetime:
    hour, minute = (int(x) for x in slot.time.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight of `day`, in UTC: a notice's airings 'today' count from here."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def occurrence(station: Station, at: str, day: date, tz: ZoneInfo) -> SlotTime:
    """Station's slot `at` (HH:MM) on `day`; ValueError naming what the station has when it has no such slot."""
    slot = next((s for s in station.slots if s.time == at), None)
    if slot is None:
        have = ", ".join(s.time for s in station.slots) or "none"
        raise ValueError(f"station {station.id} has no {at} slot (its slots: {have}; see stations.yaml)")
    if day.isoweekday() not in slot.days:
        raise ValueError(f"station {station.id}'s {at} slot does not air on {day.isoformat()} ({day:%A})")
    return SlotTime(station, slot, day, starts_at(slot, day, tz))


def upcoming(
    station: Station, after: datetime, tz: ZoneInfo, *, at: str | None = None, horizon_days: int = 8
) -> SlotTime | None:
    """The station's first slot (or first `at` slot) starting at or after `after`."""
    first = after.astimezone(tz).date()
    for offset in range(horizon_days + 1):
        day = first + timedelta(days=offset)
        for slot in station.slots:
            if (at is None or slot.time == at) and day.isoweekday() in slot.days:
                start = starts_at(slot, day, tz)
                if start >= after:
                    return SlotTime(station, slot, day, start)
    return None


def slot_times(stations: list[Station]) -> list[str]:
    """Every distinct slot time (HH:MM) any station has: one scheduled deployment each."""
    return sorted({s.time for st in stations for s in st.slots})


def due(stations: list[Station], now: datetime, tz: ZoneInfo, window_minutes: float = 0) -> list[SlotTime]:
    """The slots to build now: every station's slot starting within `window_minutes` from `now`, else (nothing
    that soon: a run by hand) every station's occurrence of the earliest slot time to come. The deployments
    run build_minutes_before each slot time, with that as the window, so two slot times a few minutes apart
    are both built."""
    nexts = [n for st in stations if (n := upcoming(st, now, tz)) is not None]
    if not nexts:
        return []
    soon = now + timedelta(minutes=window_minutes)
    within = [n for n in nexts if n.starts_at <= soon]
    if within:
        # a station with two slots in the window builds both
        extra = [
            x
            for n in within
            if (x := upcoming(n.station, n.starts_at + timedelta(seconds=1), tz)) and x.starts_at <= soon
        ]
        return within + extra
    first = min(n.starts_at for n in nexts)
    return [n for n in nexts if n.starts_at == first]


def cron_before(at: str, minutes: int) -> str:
    """Cron expression (local time) firing `minutes` before HH:MM every day."""
    hour, minute = (int(x) for x in at.split(":"))
    total = (hour * 60 + minute - minutes) % (24 * 60)
    return f"{total % 60} {total // 60} * * *"
