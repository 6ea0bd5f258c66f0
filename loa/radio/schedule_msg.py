"""The station schedule message for loudspeakers (schema loa.radio.schedule v1, docs/speakers.md).

Retained, QoS 1, on loa/v1/radio/<station>/schedule, signed like a board notice (loa.signing): every
upcoming slot of the station with its start, its playlist URL and each item in airing order (jingles,
opening, notices, bridges, closing) with its URL, length and SHA-256, so a speaker downloads and checks
everything ahead of time and plays at the start time without the network. Each publication replaces the
last: a slot or item that is no longer in it (a withdrawn notice) must not play.

`message` is pure (programme records in, unsigned dict out); `verify` is what a speaker checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from loa import signing

SCHEMA = "loa.radio.schedule"
SCHEMA_VERSION = 1
HORIZON = timedelta(hours=24)  # a schedule covers at least this far ahead (`until`)


def schedule_topic(prefix: str, station: str) -> str:
    return f"{prefix}/radio/{station}/schedule"


@dataclass(frozen=True)
class BuiltSlot:
    """One built slot of a station, as the store keeps it (loa.store.radio.slot_programmes)."""

    station: str
    slot_date: str  # local YYYY-MM-DD
    slot_time: str  # local HH:MM
    starts_at: datetime  # aware
    programme: tuple[dict, ...]  # {"id","kind","notice":[id,v]|None,"language","title","path","seconds"}

    @property
    def seconds(self) -> float:
        return sum(float(i.get("seconds") or 0) for i in self.programme)


def slot_id(station: str, slot_date: str, slot_time: str) -> str:
    """ "nam-tuan/20261126T0600": the station and the slot's local start (what acks name)."""
    return f"{station}/{slot_date.replace('-', '')}T{slot_time.replace(':', '')}"


def item_id(position: int, kind: str, notice: tuple[int, int] | None, language: str | None, jingle: bool) -> str:
    """Stable within a slot for the same programme: its place, kind, and notice version and language."""
    if notice is not None:
        return f"{position:02d}-{kind}-{notice[0]}v{notice[1]}-{language or 'x'}"
    return f"{position:02d}-{kind}{'-jingle' if jingle else ''}"


def message(
    station: str,
    slots: list[BuiltSlot],
    *,
    site_url: str,
    sha256: Mapping[str, str],
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """The unsigned schedule (sign it with loa.signing.Signer.sign). Slots still airing or to come, in start
    order; a slot with nothing to air (or whose audio has no digest) is left out."""
    base = f"{site_url.rstrip('/')}/radio"
    out = []
    for sl in sorted(slots, key=lambda s: s.starts_at):
        if sl.station != station or not sl.programme or sl.starts_at + timedelta(seconds=sl.seconds) <= now:
            continue
        if any(i["path"] not in sha256 for i in sl.programme):
            continue  # an audio file went missing: a speaker could not check it
        out.append(
            {
                "id": slot_id(station, sl.slot_date, sl.slot_time),
                "start": sl.starts_at.astimezone(tz).isoformat(timespec="seconds"),
                "playlist": f"{base}/stations/{quote(station)}/{sl.slot_date}-{sl.slot_time.replace(':', '')}.m3u8",
                "items": [
                    {
                        "id": i["id"],
                        "kind": i["kind"],
                        "notice": {"id": i["notice"][0], "version": i["notice"][1]} if i.get("notice") else None,
                        "language": i.get("language") or "vi",
                        "title": i.get("title") or "",
                        "url": f"{base}/{quote(i['path'])}",
                        "seconds": round(float(i["seconds"]), 2),
                        "sha256": sha256[i["path"]],
                    }
                    for i in sl.programme
                ],
            }
        )
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "station": station,
        "generated_at": now.astimezone(tz).isoformat(timespec="seconds"),
        "until": (now + HORIZON).astimezone(tz).isoformat(timespec="seconds"),
        "slots": out,
    }


def verify(payload: object, public_key_b64: str, station: str) -> str | None:
    """Why a received schedule must not be followed, or None when it is Loa's, for `station`, schema v1."""
    if not isinstance(payload, dict):
        return "not a JSON object"
    if payload.get("schema") != SCHEMA or payload.get("schema_version") != SCHEMA_VERSION:
        return f"schema is not {SCHEMA} v{SCHEMA_VERSION}"
    if payload.get("station") != station:
        return f"for station {payload.get('station')!r}, not {station!r}"
    if not signing.verify(payload, public_key_b64):
        return "bad or missing signature"
    return None
