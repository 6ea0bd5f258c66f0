"""The loudspeaker protocol (docs/speakers.md): topics, ids, and what speakers report.

Plain data and functions, no MQTT client. A speaker (an IP loudspeaker cluster or a station's playout
computer, account made by `loa speakers add`) reads its station's radio topics
(loa/v1/radio/<station>/schedule|play|stop) and the key, and writes only its own status and ack topics.
Loa's listener parses what speakers report with `parse_report`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from loa.board_protocol import check_device_id, parse_time
from loa.errors import LoaError

STATUS_SCHEMA = "loa.speaker.status"
ACK_SCHEMA = "loa.speaker.ack"
SCHEMA_VERSION = 1
STATES = ("online", "playing", "idle", "offline")
EVENTS = ("started", "finished", "failed", "interrupted", "skipped")
KINDS = ("opening", "notice", "bridge", "closing")


def check_speaker_id(speaker_id: str) -> str:
    """The same rule as a board id (a broker user name and a topic segment, 'loa-' reserved)."""
    return check_device_id(speaker_id, "speaker", "hong-viet-loa-1")


def status_topic(prefix: str, speaker_id: str) -> str:
    return f"{prefix}/speakers/{speaker_id}/status"


def ack_topic(prefix: str, speaker_id: str) -> str:
    return f"{prefix}/speakers/{speaker_id}/ack"


def radio_topics(prefix: str, station: str) -> str:
    """The filter a speaker of `station` reads (schedule, play, stop)."""
    return f"{prefix}/radio/{station}/#"


def offline_will(speaker_id: str) -> dict:
    """The last will a speaker sets (retained, on its status topic)."""
    return {"schema": STATUS_SCHEMA, "schema_version": SCHEMA_VERSION, "speaker": speaker_id, "state": "offline"}


@dataclass(frozen=True)
class Report:
    """One status or ack message from a speaker, as the listener understood it."""

    speaker: str  # from the topic (the broker's ACL authenticates it), never from the payload
    kind: str  # status | ack
    received_at: datetime
    station: str | None = None
    state: str | None = None  # status
    at: datetime | None = None  # when the speaker says it happened
    clock_skew_ms: int | None = None
    cache_items: int | None = None
    cache_bytes: int | None = None
    software: str | None = None
    slot: str | None = None  # ack
    item: str | None = None
    notice: tuple[int, int] | None = None
    event: str | None = None
    detail: str | None = None
    command: str | None = None


class Refused(LoaError, ValueError):
    """A speaker message that is not valid: the reason is logged, nothing is stored."""


def _int_or_none(doc: dict, key: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{key} must be an integer or null, not {value!r}")
    return value


def _str_or_none(doc: dict, key: str, limit: int = 500) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Refused(f"{key} must be a string of at most {limit} characters or null")
    return value


def parse_report(prefix: str, topic: str, payload: bytes, received_at: datetime) -> Report:
    """A speaker's status or ack; raises Refused saying what is wrong (a speaker cannot break the listener)."""
    parts = topic[len(prefix) + 1 :].split("/") if topic.startswith(prefix + "/") else []
    if len(parts) != 3 or parts[0] != "speakers" or parts[2] not in ("status", "ack"):
        raise Refused(f"topic {topic!r} is not a speaker status or ack topic")
    speaker, kind = parts[1], parts[2]
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("payload is not UTF-8 JSON") from None
    if not isinstance(doc, dict):
        raise Refused("payload is not a JSON object")
    schema = STATUS_SCHEMA if kind == "status" else ACK_SCHEMA
    if doc.get("schema") != schema or doc.get("schema_version") != SCHEMA_VERSION:
        raise Refused(f"schema must be {schema} version {SCHEMA_VERSION}")
    if doc.get("speaker") != speaker:
        raise Refused(f"speaker {doc.get('speaker')!r} in the payload is not {speaker!r} of the topic")
    station = doc.get("station")
    if station is not None and not isinstance(station, str):
        raise Refused("station must be a string")
    if kind == "status":
        state = doc.get("state")
        if state not in STATES:
            raise Refused(f"state {state!r} is not one of {', '.join(STATES)}")
        cache = doc.get("cache")
        items = size = None
        if cache is not None:
            if not isinstance(cache, dict):
                raise Refused("cache must be an object {items, bytes} or null")
            items, size = _int_or_none(cache, "items"), _int_or_none(cache, "bytes")
        return Report(
            speaker,
            "status",
            received_at,
            station=station,
            state=state,
            at=parse_time(doc.get("at"), naive=None),
            clock_skew_ms=_int_or_none(doc, "clock_skew_ms"),
            cache_items=items,
            cache_bytes=size,
            software=_str_or_none(doc, "software", 200),
        )
    if not isinstance(station, str):
        raise Refused("an ack must name its station")
    event = doc.get("event")
    if event not in EVENTS:
        raise Refused(f"event {event!r} is not one of {', '.join(EVENTS)}")
    item = doc.get("item")
    if not isinstance(item, str) or not item or len(item) > 200:
        raise Refused("item must be the schedule item's id (a non-empty string)")
    at = parse_time(doc.get("at"), naive=None)
    if at is None:
        raise Refused("at must be an ISO 8601 time with its offset")
    notice = doc.get("notice")
    key = None
    if notice is not None:
        if not isinstance(notice, dict):
            raise Refused("notice must be {id, version} or null")
        nid, ver = _int_or_none(notice, "id"), _int_or_none(notice, "version")
        if nid is None or ver is None:
            raise Refused("notice must carry an integer id and version")
        key = (nid, ver)
    return Report(
        speaker,
        "ack",
        received_at,
        station=station,
        at=at.astimezone(UTC),
        slot=_str_or_none(doc, "slot", 100),
        item=item,
        notice=key,
        event=event,
        detail=_str_or_none(doc, "detail", 2000),
        command=_str_or_none(doc, "command", 200),
    )
