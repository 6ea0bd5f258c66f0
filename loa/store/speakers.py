"""Repository functions for loudspeakers: the registry, status history, and acks (confirmed airings).

The listener writes here in batches (`record_reports`); `loa speakers`, `loa radio history`, the desk
and the monthly report read. A notice version counts as *aired* at a station when one of the station's
speakers acked "finished" for one of its items.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select

from loa.errors import LoaError, NotFound
from loa.speaker_protocol import Report
from loa.store import Store
from loa.store.device_history import newest
from loa.store.schema import RadioAudioRow, RadioSlotRow, SpeakerAckRow, SpeakerRow, SpeakerStatusRow

log = logging.getLogger("loa.speakers")


@dataclass(frozen=True)
class Speaker:
    id: str
    station: str
    name: str | None
    disabled: bool
    state: str  # online | playing | idle | offline | unknown (never reported)
    state_since: datetime | None
    last_seen_at: datetime | None
    clock_skew_ms: int | None
    cache_items: int | None
    cache_bytes: int | None
    software: str | None
    created_at: datetime
    acks: int = 0

    def as_dict(self) -> dict:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, datetime):
                d[k] = v.isoformat()
        d["online"] = self.state in ("online", "playing", "idle")
        return d


@dataclass(frozen=True)
class Change:
    """A speaker's state changed, or it reported a failed item: what the listener turns into an event."""

    speaker: Speaker
    old: str
    new: str  # a state, or "failed" for a failed item
    at: datetime
    ack: dict | None = None


def _speaker(row: SpeakerRow, acks: int = 0) -> Speaker:
    return Speaker(
        row.id,
        row.station,
        row.name,
        bool(row.disabled),
        row.state,
        row.state_since,
        row.last_seen_at,
        row.clock_skew_ms,
        row.cache_items,
        row.cache_bytes,
        row.software,
        row.created_at,
        acks,
    )


def add_speaker(store: Store, speaker_id: str, station: str, name: str | None = None) -> Speaker:
    with store.session() as s:
        if s.get(SpeakerRow, speaker_id) is not None:
            raise LoaError(f"speaker {speaker_id!r} already exists; `loa speakers` lists the speakers")
        row = SpeakerRow(id=speaker_id, station=station, name=name, state="unknown", disabled=False)
        s.add(row)
        s.flush()
        return _speaker(row)


def set_disabled(store: Store, speaker_id: str, disabled: bool) -> Speaker:
    with store.session() as s:
        row = s.get(SpeakerRow, speaker_id)
        if row is None:
            raise NotFound(f"speaker {speaker_id!r} is not registered; `loa speakers` lists the speakers")
        row.disabled = disabled
        s.flush()
        return _speaker(row)


def speakers(store: Store, *, enabled_only: bool = False, only: str | None = None) -> list[Speaker]:
    """Every registered speaker (or the one with id `only`) with its state and ack total, by id."""
    with store.reading() as s:
        acks = select(SpeakerAckRow.speaker_id, func.count())
        q = select(SpeakerRow).order_by(SpeakerRow.id)
        if enabled_only:
            q = q.where(SpeakerRow.disabled.is_(False))
        if only is not None:
            acks, q = acks.where(SpeakerAckRow.speaker_id == only), q.where(SpeakerRow.id == only)
        totals = dict(s.execute(acks.group_by(SpeakerAckRow.speaker_id)).all())
        return [_speaker(r, int(totals.get(r.id, 0))) for r in s.scalars(q).all()]


def get_speaker(store: Store, speaker_id: str) -> Speaker:
    for sp in speakers(store, only=speaker_id):
        return sp
    raise NotFound(f"speaker {speaker_id!r} is not registered; `loa speakers add {speaker_id} --station S` adds it")


def stations_with_speakers(store: Store, stations: list[str] | None = None) -> set[str]:
    """Stations with at least one enabled speaker (only they get a schedule message)."""
    with store.reading() as s:
        q = select(SpeakerRow.station).where(SpeakerRow.disabled.is_(False)).distinct()
        if stations is not None:
            q = q.where(SpeakerRow.station.in_(stations))
        return set(s.scalars(q).all())


def _programme_items(s, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """{(slot id, item id): programme item} for the slots acks name (to know an item's kind and length)."""
    out: dict[tuple[str, str], dict] = {}
    by_station: dict[str, set[str]] = {}
    for slot, _ in keys:
        station, _, stamp = slot.rpartition("/")
        if len(stamp) == 13 and stamp[8] == "T":
            by_station.setdefault(station, set()).add(
                f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:]}"
            )
    for station, labels in by_station.items():
        for row in s.scalars(
            select(RadioSlotRow).where(
                RadioSlotRow.station == station,
                RadioSlotRow.kind == "slot",
                RadioSlotRow.slot_date.in_({x[:10] for x in labels}),
            )
        ):
            if f"{row.slot_date} {row.slot_time}" not in labels:
                continue
            slot_id = f"{station}/{row.slot_date.replace('-', '')}T{row.slot_time.replace(':', '')}"
            for item in row.programme or []:
                out[(slot_id, item.get("id"))] = item
    return out


def record_reports(store: Store, reports: list[Report]) -> tuple[list[Change], list[str]]:
    """Record a batch of status reports and acks in one transaction.

    Returns the changes (state changes, failed items) and why any report was refused: from an unknown or
    disabled speaker, or an ack for a station that is not the speaker's. A repeated ack keeps its first row.
    """
    changes: list[Change] = []
    refused: list[str] = []
    with store.session() as s:
        known = {
            r.id: r
            for r in s.scalars(select(SpeakerRow).where(SpeakerRow.id.in_({rep.speaker for rep in reports}))).all()
        }
        acks = [r for r in reports if r.kind == "ack"]
        items = _programme_items(s, {(r.slot, r.item) for r in acks if r.slot and r.item})
        # an emergency play's item is its audio file's name: its length is in radio_audio
        files = {r.item for r in acks if not r.slot and r.item}
        lengths = (
            dict(
                s.execute(select(RadioAudioRow.file, RadioAudioRow.seconds).where(RadioAudioRow.file.in_(files))).all()
            )
            if files
            else {}
        )
        seen = (
            {
                tuple(x)
                for x in s.execute(
                    select(
                        SpeakerAckRow.speaker_id,
                        SpeakerAckRow.slot,
                        SpeakerAckRow.item,
                        SpeakerAckRow.event,
                        SpeakerAckRow.command,
                    ).where(SpeakerAckRow.speaker_id.in_({a.speaker for a in acks}))
                ).all()
            }
            if acks
            else set()
        )
        for rep in reports:
            row = known.get(rep.speaker)
            if row is None:
                refused.append(f"speaker {rep.speaker!r} is not registered (`loa speakers add`): {rep.kind} dropped")
                continue
            if row.disabled:
                refused.append(f"speaker {rep.speaker!r} is disabled: {rep.kind} dropped")
                continue
            if rep.station is not None and rep.station != row.station:
                refused.append(
                    f"speaker {rep.speaker!r} belongs to station {row.station!r} but reported "
                    f"{rep.kind} for station {rep.station!r}: dropped"
                )
                continue
            if rep.slot and rep.slot.rpartition("/")[0] != row.station:
                refused.append(f"speaker {rep.speaker!r} of station {row.station!r} acked slot {rep.slot!r}: dropped")
                continue
            if rep.kind == "status":
                if rep.state != "offline":
                    row.last_seen_at = rep.received_at
                    row.clock_skew_ms = rep.clock_skew_ms
                    row.cache_items, row.cache_bytes = rep.cache_items, rep.cache_bytes
                    row.software = rep.software or row.software
                state = rep.state or "online"  # parse_report always sets it for a status
                if state != row.state:
                    old = row.state
                    row.state, row.state_since = state, rep.received_at
                    detail = {"at": rep.at.isoformat() if rep.at else None, "clock_skew_ms": rep.clock_skew_ms}
                    s.add(SpeakerStatusRow(speaker_id=row.id, state=state, at=rep.received_at, detail=detail))
                    changes.append(Change(_speaker(row), old, state, rep.received_at))
                continue
            row.last_seen_at = rep.received_at
            key = (row.id, rep.slot or "", rep.item or "", rep.event or "", rep.command or "")
            if key in seen:
                continue
            seen.add(key)
            item = items.get((rep.slot or "", rep.item or ""), {})
            notice = rep.notice or (tuple(item["notice"]) if item.get("notice") else None)
            ack = SpeakerAckRow(
                speaker_id=row.id,
                station=row.station,
                slot=rep.slot or "",
                item=rep.item,
                kind=item.get("kind"),
                notice_id=notice[0] if notice else None,
                version=notice[1] if notice else None,
                event=rep.event,
                at=rep.at,
                seconds=item.get("seconds") if rep.slot else lengths.get(rep.item or ""),
                detail=rep.detail,
                command=rep.command or "",
                received_at=rep.received_at,
            )
            s.add(ack)
            if rep.event == "failed":
                changes.append(
                    Change(
                        _speaker(row),
                        row.state,
                        "failed",
                        rep.received_at,
                        {"slot": rep.slot, "item": rep.item, "notice": notice, "detail": rep.detail},
                    )
                )
    return changes, refused


def status_history(store: Store, speaker_id: str, limit: int = 50) -> list[dict]:
    with store.reading() as s:
        rows = newest(s, SpeakerStatusRow, SpeakerStatusRow.speaker_id == speaker_id, SpeakerStatusRow.at, limit)
        return [{"state": r.state, "at": r.at.isoformat(), "detail": r.detail} for r in rows]


def _ack_dict(r: SpeakerAckRow) -> dict:
    return {
        "speaker": r.speaker_id,
        "station": r.station,
        "slot": r.slot or None,
        "item": r.item,
        "kind": r.kind,
        "notice": {"id": r.notice_id, "version": r.version} if r.notice_id is not None else None,
        "event": r.event,
        "at": r.at.isoformat(),
        "seconds": r.seconds,
        "detail": r.detail,
        "command": r.command or None,
    }


def acks_of(store: Store, speaker_id: str, limit: int = 50) -> list[dict]:
    """What a speaker reported playing, newest first."""
    with store.reading() as s:
        rows = newest(s, SpeakerAckRow, SpeakerAckRow.speaker_id == speaker_id, SpeakerAckRow.at, limit)
        return [_ack_dict(r) for r in rows]


def notice_acks(store: Store, notice_id: int) -> list[dict]:
    """Every ack of any item of a notice, oldest first."""
    with store.reading() as s:
        rows = s.scalars(
            select(SpeakerAckRow)
            .where(SpeakerAckRow.notice_id == notice_id)
            .order_by(SpeakerAckRow.at, SpeakerAckRow.id)
        ).all()
        return [_ack_dict(r) for r in rows]


def slot_confirmations(store: Store, notice_id: int) -> dict[tuple[str, str | None], list[str]]:
    """{(station, slot id or None for an emergency play): times its speakers finished an item of the notice}."""
    out: dict[tuple[str, str | None], list[str]] = {}
    for a in notice_acks(store, notice_id):
        if a["event"] == "finished":
            out.setdefault((a["station"], a["slot"]), []).append(a["at"])
    return out


def confirmed_airings(store: Store, notice_id: int, stations: list[str]) -> dict:
    """Where a notice was confirmed aired: {"stations": M targets, "aired": N, "by_station": {station: [times]},
    "failed": {station: [times]}}. An airing is a "finished" ack of one of its items, once per slot (or
    emergency command) and station, whichever language."""
    aired: dict[str, set[tuple[str, str]]] = {}
    failed: dict[str, list[str]] = {}
    for a in notice_acks(store, notice_id):
        where = a["slot"] or a["command"] or a["at"]
        if a["event"] == "finished":
            aired.setdefault(a["station"], set()).add((where, a["at"]))
        elif a["event"] == "failed":
            failed.setdefault(a["station"], []).append(a["at"])
    by_station: dict[str, list[str]] = {}
    for station, rows in aired.items():
        first: dict[str, str] = {}
        for where, at in sorted(rows, key=lambda x: x[1]):
            first.setdefault(where, at)
        by_station[station] = sorted(first.values())
    targets = set(stations) | set(by_station)
    return {
        "stations": len(targets),
        "aired": sum(1 for st in targets if by_station.get(st)),
        "by_station": dict(sorted(by_station.items())),
        "failed": dict(sorted(failed.items())),
    }


def monthly_airings(store: Store, start: datetime, end: datetime) -> dict[str, dict]:
    """{station: {"airings": confirmed notice airings, "minutes": minutes of notice audio played,
    "failed": failed items}} for acks between `start` and `end` (the monthly report)."""
    out: dict[str, dict] = {}
    with store.reading() as s:
        rows = s.execute(
            select(
                SpeakerAckRow.station,
                SpeakerAckRow.slot,
                SpeakerAckRow.command,
                SpeakerAckRow.notice_id,
                SpeakerAckRow.version,
                SpeakerAckRow.event,
                SpeakerAckRow.seconds,
                SpeakerAckRow.item,
            ).where(SpeakerAckRow.at >= start, SpeakerAckRow.at < end, SpeakerAckRow.notice_id.is_not(None))
        ).all()
    played: dict[str, set] = {}
    items: dict[str, dict[tuple, float]] = {}
    for station, slot, cmd, nid, ver, event, seconds, item in rows:
        row = out.setdefault(station, {"airings": 0, "minutes": 0.0, "failed": 0})
        if event == "failed":
            row["failed"] += 1
        elif event == "finished":
            played.setdefault(station, set()).add((slot or cmd, nid, ver))
            items.setdefault(station, {})[(slot or cmd, item)] = float(seconds or 0.0)
    for station, row in out.items():
        row["airings"] = len(played.get(station, set()))
        row["minutes"] = round(sum(items.get(station, {}).values()) / 60, 1)
    return dict(sorted(out.items()))
