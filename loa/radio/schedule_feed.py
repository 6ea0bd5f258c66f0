"""Publishes each station's schedule message (loa.radio.schedule_msg) for its loudspeakers.

Called after every slot build (loa.radio.build.Builder.slots: a dispatch, a withdrawal, an upload, the slot
flow, `loa radio build`). Only stations with an enabled speaker (`loa speakers add`) get one; their other
slots of the next 24 hours are (re)built first, so a speaker always knows a day ahead, with the notices
live now (a new notice joins, a withdrawn one leaves, every listed slot). Retained,
QoS 1, signed; the SHA-256 of each audio file is read once per file version (cached by size and mtime).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from loa.radio import schedule, schedule_msg
from loa.radio.command import sha256 as file_sha256

if TYPE_CHECKING:
    from loa.radio.build import Builder

log = logging.getLogger(__name__)
_DIGESTS: dict[tuple[str, int, int], str] = {}


def digest(path: Path) -> str | None:
    """The file's SHA-256 (None when it is missing), computed once per (path, size, mtime)."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = file_sha256(path)
    return _DIGESTS[key]


def ahead(
    builder: Builder, station_ids: list[str], now: datetime, fresh: AbstractSet[tuple[str, datetime]] = frozenset()
) -> list[schedule.SlotTime]:
    """The stations' slot occurrences starting within the horizon, except the `fresh` ones (just built):
    they are (re)built so that every slot a speaker will follow reflects the notices live now (a slot built
    ahead before a publication would otherwise lack the new notice until the slot flow rebuilds it)."""
    until, out = now + schedule_msg.HORIZON, []
    for sid in station_ids:
        station, after = builder.stations.get(sid), now
        while station is not None:
            t = schedule.upcoming(station, after, builder.cfg.tz)
            if t is None or t.starts_at > until:
                break
            if (sid, t.starts_at) not in fresh:
                out.append(t)
            after = t.starts_at + timedelta(seconds=1)
    return out


def messages(builder: Builder, station_ids: list[str], now: datetime) -> dict[str, dict]:
    """{station: unsigned schedule message} from the store's built slots."""
    from loa.store.radio import slot_programmes

    cfg = builder.cfg
    # a slot still airing stays listed: look back as far as the longest slot could run
    longest = max((sl.max_minutes for st in cfg.stations for sl in st.slots), default=60)
    built = slot_programmes(
        builder.store, station_ids, now - timedelta(minutes=longest + 30), now + schedule_msg.HORIZON
    )
    paths = {i["path"] for b in built for i in b.programme}
    sha = {p: d for p in paths if (d := digest(cfg.layout.radio / p)) is not None}
    return {
        sid: schedule_msg.message(
            sid, [b for b in built if b.station == sid], site_url=cfg.site_url, sha256=sha, now=now, tz=cfg.tz
        )
        for sid in station_ids
    }


def publish(
    builder: Builder,
    station_ids: list[str],
    now: datetime,
    *,
    fresh: AbstractSet[tuple[str, datetime]] = frozenset(),
    strict: bool = False,
) -> dict[str, dict]:
    """(Re)build the stations' slots of the next 24 hours (except the `fresh` ones, just built), then sign and
    publish their schedules; returns what was sent. `strict`: an unreachable broker raises BrokerUnavailable
    instead of being logged."""
    from loa.store.speakers import stations_with_speakers

    try:
        stations = sorted(stations_with_speakers(builder.store, [s for s in station_ids if s in builder.stations]))
    except Exception:  # a store from before migration 0022 has no speakers table: nothing to announce
        log.debug("no speakers table", exc_info=True)
        return {}
    if not stations:
        return {}
    todo = ahead(builder, stations, now, fresh)
    if todo:
        builder.build_ahead(todo, now)
    docs = messages(builder, stations, now)
    return send(builder.cfg, docs, strict=strict)


def send(cfg, docs: dict[str, dict], *, strict: bool = False) -> dict[str, dict]:
    """Sign and publish each schedule (retained, QoS 1); a broker that is down is logged, not raised."""
    from channels.mqtt import BrokerUnavailable, Publisher
    from loa.board_protocol import key_topic
    from loa.signing import Signer

    if not docs:
        return {}
    signer = Signer.load_or_create(cfg.layout.signing_key)
    signed = {sid: signer.sign(doc) for sid, doc in docs.items()}
    try:
        with Publisher(cfg.mqtt, client_id=f"loa-radio-schedule-{os.getpid()}", timeout=5) as pub:
            key = json.dumps(signer.public_key_document()).encode()
            if pub.retained(key_topic(cfg.mqtt_topic_prefix)) != key:  # speakers verify with it
                pub.publish(key_topic(cfg.mqtt_topic_prefix), key)
            for sid, doc in signed.items():
                pub.publish(
                    schedule_msg.schedule_topic(cfg.mqtt_topic_prefix, sid),
                    json.dumps(doc, ensure_ascii=False).encode("utf-8"),
                    retain=True,
                    user={"schema": f"{schedule_msg.SCHEMA}/{schedule_msg.SCHEMA_VERSION}"},
                )
    except BrokerUnavailable as exc:
        if strict:
            raise
        log.warning("station schedules for %s not published: %s", ", ".join(signed), exc)
        return {}
    return signed
