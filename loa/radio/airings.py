"""Planned airings beside confirmed ones: what `loa radio history` and the desk's notice page show.

Planned: the playlists a notice was put in (loa.store.radio). Confirmed: what the stations' loudspeakers
acked "finished" (loa.store.speakers). "Đã phát tại N/M đài": N stations confirmed at least one airing of
M stations it was planned (or confirmed) at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from loa import clock
from loa.radio.schedule_msg import slot_id
from loa.store import Store


def overview(
    store: Store, notice_id: int, tz: ZoneInfo, now: datetime | None = None, names: dict[str, str] | None = None
) -> dict:
    """{"planned": [{station, name, kind, slot, starts, version, past, confirmed: [local times]}], "aired": N,
    "stations": M, "by_station": {station: [local times]}, "failed": {station: [local times]}}."""
    from loa.store.radio import notice_airings
    from loa.store.speakers import confirmed_airings, slot_confirmations

    now = now or clock.now()

    def local(at: datetime | str) -> str:  # the store gives datetimes, the acks ISO text
        return (datetime.fromisoformat(at) if isinstance(at, str) else at).astimezone(tz).strftime("%H:%M %d/%m/%Y")

    confirmed = slot_confirmations(store, notice_id)
    planned: list[dict[str, Any]] = []
    for r in notice_airings(store, notice_id):
        day, at = r.slot.split(" ", 1)
        key = None if r.kind == "emergency" else slot_id(r.station, day, at)
        planned.append(
            {
                "station": r.station,
                "name": (names or {}).get(r.station, r.station),
                "kind": r.kind,
                "slot": r.slot,
                "starts": local(r.starts_at),
                "version": r.version,
                "past": r.starts_at <= now,
                "confirmed": [local(t) for t in sorted(confirmed.get((r.station, key), []))],
            }
        )
    summary = confirmed_airings(store, notice_id, sorted({str(p["station"]) for p in planned}))
    return {
        "planned": planned,
        "aired": summary["aired"],
        "stations": summary["stations"],
        "by_station": {st: [local(t) for t in times] for st, times in summary["by_station"].items()},
        "failed": {(names or {}).get(st, st): [local(t) for t in times] for st, times in summary["failed"].items()},
    }
