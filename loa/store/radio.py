"""Radio in the store: built playlists (radio_slots), the airing history (radio_airings) and what each audio
file was made from (radio_audio).

A built slot is the record of what a station airs in it: rebuilding the same slot replaces it, so
builds are idempotent; a slot whose start has passed counts as aired. Quotas ("each notice version
airs N times over D days") count airings of slots before the one being built, and carry-over reads
the overflow of the station's previous slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, delete, func, insert, select, tuple_

from loa.store import Store
from loa.store.schema import RadioAiringRow, RadioAudioRow, RadioSlotRow, utcnow


@dataclass(frozen=True)
class AudioRecord:
    file: str
    notice_id: int
    version: int
    language: str
    source: str  # synthetic | recording
    source_key: str
    seconds: float
    loudness_lufs: float | None


@dataclass(frozen=True)
class Airing:
    notice_id: int
    version: int
    languages: list[str]
    seconds: float


@dataclass(frozen=True)
class SlotRecord:
    """A built playlist, as written."""

    station: str
    kind: str  # slot | emergency
    slot_date: str
    slot_time: str
    starts_at: datetime
    max_seconds: float
    seconds: float
    airings: list[Airing]
    overflow: list[list]  # [notice id, version, why]
    missing: list[list]  # [notice id, version, language, why]
    built_at: datetime | None = None
    programme: list = field(default_factory=list)  # items in airing order (loa.radio.schedule_msg)


# --- audio files ----------------------------------------------------------------------------


def audio_records(store: Store, files: list[str]) -> dict[str, AudioRecord]:
    out: dict[str, AudioRecord] = {}
    with store.reading() as s:
        for i in range(0, len(files), 500):
            for r in s.scalars(select(RadioAudioRow).where(RadioAudioRow.file.in_(files[i : i + 500]))):
                out[r.file] = AudioRecord(
                    r.file, r.notice_id, r.version, r.language, r.source, r.source_key, r.seconds, r.loudness_lufs
                )
    return out


def save_audio(store: Store, records: list[AudioRecord]) -> None:
    """Insert or replace (two processes may make the same file at once: the last one wins, both are equal)."""
    if not records:
        return
    dialect = store.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]  # same API as PostgreSQL's
    rows = [dict(vars(r), made_at=utcnow()) for r in records]
    stmt = upsert(RadioAudioRow).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["file"],
        set_={
            c: getattr(stmt.excluded, c)
            for c in ("notice_id", "version", "language", "source", "source_key", "seconds", "loudness_lufs", "made_at")
        },
    )
    with store.session() as s:
        s.execute(stmt)


# --- airing history -------------------------------------------------------------------------


def aired_counts(
    store: Store, stations: list[str], before: datetime, day_start: datetime, notices: list[tuple[int, int]]
) -> dict[tuple[str, int, int], tuple[int, int]]:
    """{(station, notice id, version): (airings before `before`, of which since `day_start`)}."""
    if not stations or not notices:
        return {}
    ids = sorted({n for n, _ in notices})
    wanted = set(notices)
    today = func.sum(case((RadioAiringRow.starts_at >= day_start, 1), else_=0))
    out = {}
    with store.reading() as s:
        for i in range(0, len(stations), 500):
            q = (
                select(RadioAiringRow.station, RadioAiringRow.notice_id, RadioAiringRow.version, func.count(), today)
                .where(
                    RadioAiringRow.station.in_(stations[i : i + 500]),
                    RadioAiringRow.notice_id.in_(ids),
                    RadioAiringRow.starts_at < before,
                )
                .group_by(RadioAiringRow.station, RadioAiringRow.notice_id, RadioAiringRow.version)
            )
            for station, nid, ver, total, since in s.execute(q):
                if (nid, ver) in wanted:
                    out[(station, nid, ver)] = (int(total), int(since or 0))
    return out


def carried(store: Store, stations: list[str], before: datetime) -> dict[str, set[tuple[int, int]]]:
    """{station: notice versions that overflowed its last slot before `before`}: they go first in the next."""
    out: dict[str, set[tuple[int, int]]] = {}
    with store.reading() as s:
        for i in range(0, len(stations), 500):
            last = (
                select(RadioSlotRow.station, func.max(RadioSlotRow.starts_at).label("at"))
                .where(
                    RadioSlotRow.kind == "slot",
                    RadioSlotRow.station.in_(stations[i : i + 500]),
                    RadioSlotRow.starts_at < before,
                )
                .group_by(RadioSlotRow.station)
                .subquery()
            )
            q = (
                select(RadioSlotRow.station, RadioSlotRow.overflow)
                .join(last, (last.c.station == RadioSlotRow.station) & (last.c.at == RadioSlotRow.starts_at))
                .where(RadioSlotRow.kind == "slot")
            )
            for station, overflow in s.execute(q):
                out[station] = {(int(o[0]), int(o[1])) for o in overflow or []}
    return out


def emergencies_aired(store: Store, stations: list[str], notices: list[tuple[int, int]]) -> set[tuple[str, int, int]]:
    """(station, notice id, version) already in an emergency playlist: an emergency counts as aired once."""
    if not stations or not notices:
        return set()
    with store.reading() as s:
        rows = s.execute(
            select(RadioAiringRow.station, RadioAiringRow.notice_id, RadioAiringRow.version)
            .join(RadioSlotRow, RadioSlotRow.id == RadioAiringRow.slot_id)
            .where(
                RadioSlotRow.kind == "emergency",
                RadioAiringRow.station.in_(stations),
                tuple_(RadioAiringRow.notice_id, RadioAiringRow.version).in_(notices),
            )
        ).all()
    return {(st, n, v) for st, n, v in rows}


def record_slots(store: Store, slots: list[SlotRecord]) -> None:
    """Write built playlists in one transaction, replacing earlier builds of the same (station, kind, start)."""
    if not slots:
        return
    now = utcnow()
    with store.session() as s:
        by_start: dict[tuple[str, datetime], list[str]] = {}
        for sl in slots:
            by_start.setdefault((sl.kind, sl.starts_at), []).append(sl.station)
        for (kind, at), names in by_start.items():
            for i in range(0, len(names), 500):
                old = s.scalars(
                    select(RadioSlotRow.id).where(
                        RadioSlotRow.kind == kind,
                        RadioSlotRow.starts_at == at,
                        RadioSlotRow.station.in_(names[i : i + 500]),
                    )
                ).all()
                if old:
                    s.execute(delete(RadioAiringRow).where(RadioAiringRow.slot_id.in_(old)))
                    s.execute(delete(RadioSlotRow).where(RadioSlotRow.id.in_(old)))
        ids = (
            s.execute(
                insert(RadioSlotRow).returning(RadioSlotRow.id, sort_by_parameter_order=True),
                [
                    {
                        "station": sl.station,
                        "kind": sl.kind,
                        "slot_date": sl.slot_date,
                        "slot_time": sl.slot_time,
                        "starts_at": sl.starts_at,
                        "max_seconds": sl.max_seconds,
                        "seconds": round(sl.seconds, 3),
                        "overflow": sl.overflow,
                        "missing": sl.missing,
                        "built_at": now,
                        "programme": list(sl.programme),
                    }
                    for sl in slots
                ],
            )
            .scalars()
            .all()
        )
        airings = [
            {
                "slot_id": sid,
                "station": sl.station,
                "starts_at": sl.starts_at,
                "notice_id": a.notice_id,
                "version": a.version,
                "position": pos,
                "languages": a.languages,
                "seconds": round(a.seconds, 3),
            }
            for sid, sl in zip(ids, slots)
            for pos, a in enumerate(sl.airings)
        ]
        if airings:  # Core executemany: the ORM's bulk path costs ~4× as much per row
            s.execute(insert(cast(Table, RadioAiringRow.__table__)), airings)


def future_slots(store: Store, stations: list[str], after: datetime) -> list[tuple[str, datetime]]:
    """(station, start) of every slot built for after `after`: a withdrawal rebuilds them all."""
    with store.reading() as s:
        return [
            (st, at)
            for st, at in s.execute(
                select(RadioSlotRow.station, RadioSlotRow.starts_at)
                .where(RadioSlotRow.kind == "slot", RadioSlotRow.station.in_(stations), RadioSlotRow.starts_at > after)
                .order_by(RadioSlotRow.starts_at)
            )
        ]


def slot_programmes(store: Store, stations: list[str], after: datetime, until: datetime) -> list:
    """Every built slot of `stations` starting between `after` and `until`, with its programme (the schedule
    message for speakers: loa.radio.schedule_msg.BuiltSlot)."""
    from loa.radio.schedule_msg import BuiltSlot

    with store.reading() as s:
        return [
            BuiltSlot(r.station, r.slot_date, r.slot_time, r.starts_at, tuple(r.programme or ()))
            for r in s.scalars(
                select(RadioSlotRow)
                .where(
                    RadioSlotRow.kind == "slot",
                    RadioSlotRow.station.in_(stations),
                    RadioSlotRow.starts_at >= after,
                    RadioSlotRow.starts_at <= until,
                )
                .order_by(RadioSlotRow.starts_at)
            )
        ]


def _record(s, row: RadioSlotRow) -> SlotRecord:
    airings = [
        Airing(a.notice_id, a.version, list(a.languages or []), a.seconds)
        for a in s.scalars(
            select(RadioAiringRow).where(RadioAiringRow.slot_id == row.id).order_by(RadioAiringRow.position)
        )
    ]
    return SlotRecord(
        row.station,
        row.kind,
        row.slot_date,
        row.slot_time,
        row.starts_at,
        row.max_seconds,
        row.seconds,
        airings,
        list(row.overflow or []),
        list(row.missing or []),
        row.built_at,
    )


def latest_slots(store: Store, stations: list[str], now: datetime) -> dict[str, SlotRecord]:
    """Each station's next built slot (starting at or after `now`), else its last one."""
    out = {}
    with store.reading() as s:
        for station in stations:
            base = select(RadioSlotRow).where(RadioSlotRow.station == station, RadioSlotRow.kind == "slot")
            row = s.scalar(
                base.where(RadioSlotRow.starts_at >= now).order_by(RadioSlotRow.starts_at).limit(1)
            ) or s.scalar(base.order_by(RadioSlotRow.starts_at.desc()).limit(1))
            if row is not None:
                out[station] = _record(s, row)
    return out


@dataclass(frozen=True)
class NoticeAiring:
    """A notice version put in one station's playlist (a slot, or the emergency playlist)."""

    station: str
    kind: str
    slot: str  # "YYYY-MM-DD HH:MM"
    starts_at: datetime
    version: int
    position: int
    languages: list[str]
    seconds: float


def notice_airings(store: Store, notice_id: int) -> list[NoticeAiring]:
    """Every playlist a notice was put in: station, slot, version, languages (the "aired N times" record)."""
    with store.reading() as s:
        rows = s.execute(
            select(RadioAiringRow, RadioSlotRow.kind, RadioSlotRow.slot_date, RadioSlotRow.slot_time)
            .join(RadioSlotRow, RadioSlotRow.id == RadioAiringRow.slot_id)
            .where(RadioAiringRow.notice_id == notice_id)
            .order_by(RadioAiringRow.starts_at, RadioAiringRow.station)
        ).all()
        return [
            NoticeAiring(
                a.station, kind, f"{day} {at}", a.starts_at, a.version, a.position, list(a.languages or []), a.seconds
            )
            for a, kind, day, at in rows
        ]
