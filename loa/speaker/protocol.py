"""Parse and verify what Loa sends a speaker; build what a speaker sends back.

Every Loa message is verified (loa.signing: Ed25519 over the canonical JSON) with the key document
from loa/v1/keys/notices (or <site>/keys/notices.json); a speaker can pin the key id. A message that
fails any check raises Refused with a one-line reason and is never acted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from loa.errors import LoaError
from loa.signing import verify

SCHEDULE_SCHEMA = "loa.radio.schedule"
PLAY_SCHEMA = "loa.radio.play"
STOP_SCHEMA = "loa.radio.stop"
KEY_SCHEMA = "loa.key"
STATUS_SCHEMA = "loa.speaker.status"
ACK_SCHEMA = "loa.speaker.ack"
ITEM_KINDS = ("opening", "notice", "bridge", "closing")
ACK_EVENTS = ("started", "finished", "failed", "interrupted", "skipped")
STATES = ("online", "playing", "idle", "offline")


class Refused(LoaError):
    """A message the speaker will not act on (bad signature, wrong station, expired, malformed)."""


@dataclass(frozen=True)
class Key:
    key_id: str
    public_key: str  # raw Ed25519 public key, base64


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    notice: tuple[int, int] | None  # (id, version)
    language: str
    title: str
    url: str
    seconds: float
    sha256: str


@dataclass(frozen=True)
class Slot:
    id: str
    start: datetime
    playlist: str
    items: tuple[Item, ...]

    @property
    def seconds(self) -> float:
        return sum(i.seconds for i in self.items)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Schedule:
    station: str
    generated_at: datetime
    until: datetime
    slots: tuple[Slot, ...]
    raw: dict = field(compare=False, repr=False)

    def item_ids(self) -> set[tuple[str, str]]:
        return {(s.id, i.id) for s in self.slots for i in s.items}


@dataclass(frozen=True)
class Audio:
    language: str
    url: str
    seconds: float
    sha256: str

    @property
    def name(self) -> str:
        """What an emergency ack names as its item: the audio URL's file name."""
        return urlsplit(self.url).path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Play:
    station: str
    notice: tuple[int, int]
    priority: str
    title: str
    audio: tuple[Audio, ...]
    issued_at: datetime
    valid_until: datetime
    key: str  # the idempotency key: played at most once

    def as_item(self, audio: Audio) -> Item:
        return Item(
            audio.name, "notice", self.notice, audio.language, self.title, audio.url, audio.seconds, audio.sha256
        )


@dataclass(frozen=True)
class Stop:
    station: str
    notice: tuple[int, int]
    valid_until: datetime


def _time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise Refused(f"{what} is missing")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{what} {value!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise Refused(f"{what} {value!r} has no UTC offset")
    return t


def _notice(value: object, what: str) -> tuple[int, int]:
    if not isinstance(value, dict) or not isinstance(value.get("id"), int) or not isinstance(value.get("version"), int):
        raise Refused(f"{what}: notice must be {{id, version}} integers")
    return value["id"], value["version"]


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise Refused(f"{what}: {value!r} is not an absolute http(s) URL")
    return value


def _sha(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower()):
        raise Refused(f"{what}: sha256 is not 64 hex digits")
    return value.lower()


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Refused(f"{what}: seconds must be a number >= 0")
    return float(value)


def parse_key(doc: object, pin: str | None = None) -> Key:
    """The key document (loa.key v1); with `pin`, only that key id is accepted."""
    if not isinstance(doc, dict) or doc.get("schema") != KEY_SCHEMA or doc.get("alg") != "Ed25519":
        raise Refused("key document is not loa.key with alg Ed25519")
    key_id, public = doc.get("key_id"), doc.get("public_key")
    if not isinstance(key_id, str) or not isinstance(public, str):
        raise Refused("key document lacks key_id or public_key")
    if pin and key_id != pin:
        raise Refused(f"key {key_id} is not the pinned key {pin}")
    return Key(key_id, public)


def check_signature(payload: dict, key: Key, what: str) -> None:
    sig = payload.get("signature")
    if not isinstance(sig, dict) or sig.get("key_id") != key.key_id:
        got = sig.get("key_id") if isinstance(sig, dict) else None
        raise Refused(f"{what}: signed with key {got!r}, not the published key {key.key_id}")
    if not verify(payload, key.public_key):
        raise Refused(f"{what}: bad signature (key {key.key_id})")


def _envelope(payload: object, schema: str, station: str, key: Key) -> dict:
    if not isinstance(payload, dict) or payload.get("schema") != schema or payload.get("schema_version") != 1:
        raise Refused(f"not a {schema} v1 message")
    check_signature(payload, key, schema)
    if payload.get("station") != station:
        raise Refused(f"{schema} is for station {payload.get('station')!r}, not {station!r}")
    return payload


def _item(raw: object, where: str) -> Item:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise Refused(f"{where}: item without an id")
    what = f"{where} item {raw['id']}"
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        raise Refused(f"{what}: kind {kind!r} is not one of {', '.join(ITEM_KINDS)}")
    notice = None if raw.get("notice") is None else _notice(raw["notice"], what)
    return Item(
        id=raw["id"],
        kind=kind,
        notice=notice,
        language=str(raw.get("language") or ""),
        title=str(raw.get("title") or ""),
        url=_http_url(raw.get("url"), what),
        seconds=_seconds(raw.get("seconds"), what),
        sha256=_sha(raw.get("sha256"), what),
    )


def parse_schedule(payload: object, key: Key, station: str) -> Schedule:
    """A verified loa.radio.schedule v1 for `station`, slots in start order."""
    body = _envelope(payload, SCHEDULE_SCHEMA, station, key)
    slots = []
    raw_slots = body.get("slots")
    if not isinstance(raw_slots, list):
        raise Refused("schedule: slots is not a list")
    for raw in raw_slots:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise Refused("schedule: slot without an id")
        items = raw.get("items")
        if not isinstance(items, list):
            raise Refused(f"schedule slot {raw['id']}: items is not a list")
        parsed = tuple(_item(i, f"slot {raw['id']}") for i in items)
        if len({i.id for i in parsed}) != len(parsed):
            raise Refused(f"schedule slot {raw['id']}: item ids repeat")
        slots.append(
            Slot(raw["id"], _time(raw.get("start"), f"slot {raw['id']} start"), str(raw.get("playlist") or ""), parsed)
        )
    if len({s.id for s in slots}) != len(slots):
        raise Refused("schedule: slot ids repeat")
    return Schedule(
        station=station,
        generated_at=_time(body.get("generated_at"), "schedule generated_at"),
        until=_time(body.get("until"), "schedule until"),
        slots=tuple(sorted(slots, key=lambda s: s.start)),
        raw=body,
    )


def parse_play(payload: object, key: Key, station: str, now: datetime) -> Play:
    """A verified, current loa.radio.play v1 for `station` (expired commands are refused)."""
    body = _envelope(payload, PLAY_SCHEMA, station, key)
    notice = body.get("notice")
    nid = _notice(notice, "play")
    valid_until = _time(body.get("valid_until"), "play valid_until")
    if valid_until <= now:
        raise Refused(f"play for notice {nid[0]} v{nid[1]} expired at {valid_until.isoformat()}")
    raw_audio = body.get("audio")
    if not isinstance(raw_audio, list) or not raw_audio:
        raise Refused(f"play for notice {nid[0]}: no audio")
    audio = []
    for a in raw_audio:
        if not isinstance(a, dict):
            raise Refused(f"play for notice {nid[0]}: audio entry is not an object")
        what = f"play for notice {nid[0]} audio"
        audio.append(
            Audio(
                str(a.get("language") or ""),
                _http_url(a.get("url"), what),
                _seconds(a.get("seconds"), what),
                _sha(a.get("sha256"), what),
            )
        )
    idem = body.get("idempotency_key")
    return Play(
        station=station,
        notice=nid,
        priority=str(notice.get("priority") or "") if isinstance(notice, dict) else "",
        title=str(notice.get("title") or "") if isinstance(notice, dict) else "",
        audio=tuple(audio),
        issued_at=_time(body.get("issued_at"), "play issued_at"),
        valid_until=valid_until,
        key=idem if isinstance(idem, str) and idem else f"notice-{nid[0]}-v{nid[1]}",
    )


def parse_stop(payload: object, key: Key, station: str, now: datetime) -> Stop:
    body = _envelope(payload, STOP_SCHEMA, station, key)
    nid = _notice(body.get("notice"), "stop")
    valid_until = _time(body.get("valid_until"), "stop valid_until")
    if valid_until <= now:
        raise Refused(f"stop for notice {nid[0]} expired at {valid_until.isoformat()}")
    return Stop(station, nid, valid_until)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds")


def status_payload(
    *,
    speaker: str,
    station: str,
    state: str,
    at: datetime,
    clock_skew_ms: int | None = None,
    cache: dict | None = None,
    software: str | None = None,
) -> dict:
    assert state in STATES
    return {
        "schema": STATUS_SCHEMA,
        "schema_version": 1,
        "speaker": speaker,
        "station": station,
        "state": state,
        "at": iso(at),
        "clock_skew_ms": clock_skew_ms,
        "cache": cache,
        "software": software,
    }


def ack_payload(
    *,
    speaker: str,
    station: str,
    slot: str | None,
    item: str,
    notice: tuple[int, int] | None,
    event: str,
    at: datetime,
    detail: str | None = None,
    command: str | None = None,
) -> dict:
    assert event in ACK_EVENTS
    return {
        "schema": ACK_SCHEMA,
        "schema_version": 1,
        "speaker": speaker,
        "station": station,
        "slot": slot,
        "item": item,
        "notice": {"id": notice[0], "version": notice[1]} if notice else None,
        "event": event,
        "at": iso(at),
        "detail": detail,
        "command": command,
    }
