"""The station schedule message for loudspeakers (pure) and the programme the builder keeps for it; what the
listener accepts from speakers (loa.speaker_protocol). Builds use the FakeMaker audio seam."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loa.radio import schedule, schedule_feed, schedule_msg
from loa.radio.build import Builder
from loa.signing import Signer
from loa.speaker_protocol import Refused, parse_report
from loa.store import radio as history
from loa.store.speakers import add_speaker
from tests.unit.test_radio_build import DAY, FakeMaker, notice, radio_cfg, station

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 07:00 local


def item(i, kind, path, seconds=10.0, notice=None, language="vi"):
    return {
        "id": schedule_msg.item_id(i, kind, notice, language, False),
        "kind": kind,
        "notice": list(notice) if notice else None,
        "language": language,
        "title": f"{kind} {i}",
        "path": path,
        "seconds": seconds,
    }


def slot(day, at, items, station_id="nam-tuan"):
    local = datetime.fromisoformat(f"{day}T{at}").replace(tzinfo=TZ)
    return schedule_msg.BuiltSlot(station_id, day, at, local.astimezone(UTC), tuple(items))


PROGRAMME = [
    item(0, "opening", "segments/opening-1.mp3", 6.0),
    item(1, "notice", "audio/n-7-v2-vi.mp3", 61.5, (7, 2)),
    item(2, "bridge", "segments/bridge-1.mp3", 1.5),
    item(3, "notice", "audio/n-9-v1-tay.mp3", 40.0, (9, 1), "tay"),
    item(4, "closing", "segments/closing-1.mp3", 8.0),
]
SHA = {i["path"]: f"{n:064x}" for n, i in enumerate(PROGRAMME, start=1)}


def test_message_lists_the_slots_to_come_in_order_with_each_item():
    slots = [
        slot("2026-12-02", "06:00", PROGRAMME),  # tomorrow
        slot("2026-12-01", "17:00", PROGRAMME),  # this evening
        slot("2026-12-01", "06:00", PROGRAMME),  # this morning: over
        slot("2026-12-01", "17:00", PROGRAMME, "hoa-an"),  # another station's
        slot("2026-12-03", "06:00", PROGRAMME[:1] + [item(1, "notice", "audio/gone.mp3", 5, (3, 1))]),  # no digest
        slot("2026-12-03", "17:00", []),  # nothing to air
    ]
    doc = schedule_msg.message("nam-tuan", slots, site_url="http://loa.test", sha256=SHA, now=NOW, tz=TZ)
    assert doc["schema"] == "loa.radio.schedule" and doc["schema_version"] == 1 and doc["station"] == "nam-tuan"
    assert datetime.fromisoformat(doc["until"]) - NOW >= timedelta(hours=24)
    assert [s["id"] for s in doc["slots"]] == ["nam-tuan/20261201T1700", "nam-tuan/20261202T0600"]
    first = doc["slots"][0]
    assert first["start"] == "2026-12-01T17:00:00+07:00"
    assert first["playlist"] == "http://loa.test/radio/stations/nam-tuan/2026-12-01-1700.m3u8"
    assert [i["kind"] for i in first["items"]] == ["opening", "notice", "bridge", "notice", "closing"]
    tay = first["items"][3]
    assert tay == {
        "id": "03-notice-9v1-tay",
        "kind": "notice",
        "notice": {"id": 9, "version": 1},
        "language": "tay",
        "title": "notice 3",
        "url": "http://loa.test/radio/audio/n-9-v1-tay.mp3",
        "seconds": 40.0,
        "sha256": SHA["audio/n-9-v1-tay.mp3"],
    }
    assert first["items"][0]["notice"] is None
    assert len({i["id"] for i in first["items"]}) == 5


def test_a_slot_still_airing_stays_listed():
    airing = slot("2026-12-01", "06:59", PROGRAMME)  # began a minute ago, lasts 117 s
    doc = schedule_msg.message("nam-tuan", [airing], site_url="http://x", sha256=SHA, now=NOW, tz=TZ)
    assert [s["id"] for s in doc["slots"]] == ["nam-tuan/20261201T0659"]
    later = schedule_msg.message(
        "nam-tuan", [airing], site_url="http://x", sha256=SHA, now=NOW + timedelta(minutes=3), tz=TZ
    )
    assert later["slots"] == []


def test_a_signed_schedule_verifies_and_a_changed_or_misdirected_one_does_not(tmp_path):
    signer = Signer.load_or_create(tmp_path / "key.pem")
    key = signer.public_key_document()["public_key"]
    doc = schedule_msg.message(
        "nam-tuan", [slot("2026-12-01", "17:00", PROGRAMME)], site_url="http://x", sha256=SHA, now=NOW, tz=TZ
    )
    signed = json.loads(json.dumps(signer.sign(doc), ensure_ascii=False))  # as a speaker receives it
    assert schedule_msg.verify(signed, key, "nam-tuan") is None
    assert "station" in schedule_msg.verify(signed, key, "hoa-an")
    forged = json.loads(json.dumps(signed))
    forged["slots"][0]["items"][1]["url"] = "http://evil.example/x.mp3"
    assert schedule_msg.verify(forged, key, "nam-tuan") == "bad or missing signature"
    other = Signer.load_or_create(tmp_path / "other.pem").sign(doc)
    assert schedule_msg.verify(other, key, "nam-tuan") == "bad or missing signature"


def test_the_builder_keeps_each_slots_programme_in_airing_order(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(slots=[{"time": "06:00"}, {"time": "17:00"}])])
    a, b = notice(store, "Thông báo A"), notice(store, "Thông báo B")
    builder = Builder(cfg, store, FakeMaker({a.id: 30.0, b.id: 20.0}, segment_seconds=4.0))
    t = schedule.occurrence(cfg.stations[0], "06:00", DAY, cfg.tz)
    report = builder.slots([t], t.starts_at - timedelta(minutes=5))[0]
    [built] = history.slot_programmes(store, ["nam-tuan"], t.starts_at, t.starts_at)
    kinds = [(i["kind"], tuple(i["notice"]) if i["notice"] else None) for i in built.programme]
    first, second = ((e["notice_id"], e["version"]) for e in report.scheduled)
    assert kinds == [("opening", None), ("notice", first), ("bridge", None), ("notice", second), ("closing", None)]
    assert [i["path"] for i in built.programme] == [s["file"] for s in report.segments]
    assert abs(built.seconds - report.minutes * 60) < 1


def test_only_stations_with_speakers_get_a_schedule_built_a_day_ahead(store, tmp_path):
    cfg = radio_cfg(
        tmp_path,
        stations=[
            station(slots=[{"time": "06:00"}, {"time": "17:00"}]),
            station("hoa-an", "cao-bang/hoa-an", slots=[{"time": "06:00"}, {"time": "17:00"}]),
        ],
    )
    a = notice(store, "Thông báo A")
    builder = Builder(cfg, store, FakeMaker({a.id: 30.0}, segment_seconds=4.0))
    now = schedule.occurrence(cfg.stations[0], "17:00", DAY, cfg.tz).starts_at - timedelta(minutes=5)
    builder.next(["nam-tuan", "hoa-an"], now)  # no speaker anywhere: only the next slots
    assert len(history.future_slots(store, ["nam-tuan", "hoa-an"], now)) == 2

    add_speaker(store, "nam-tuan-1", "nam-tuan")
    for path in {t.path for t in FakeMaker({a.id: 30.0}).tracks([(cfg.stations[0], a)])[("nam-tuan", a.id, 1)][0]}:
        (cfg.layout.radio / path).parent.mkdir(parents=True, exist_ok=True)
        (cfg.layout.radio / path).write_bytes(b"audio")
    sent = schedule_feed.publish(builder, ["nam-tuan", "hoa-an"], now)  # no broker here: logged, nothing sent
    assert sent == {}
    built = history.future_slots(store, ["nam-tuan", "hoa-an"], now)
    assert [at.astimezone(cfg.tz).strftime("%d %H:%M") for sid, at in built if sid == "nam-tuan"] == [
        "01 17:00",
        "02 06:00",  # tomorrow's 17:00 is more than 24 h ahead
    ]
    assert sum(1 for sid, _ in built if sid == "hoa-an") == 1  # no speaker: built as before
    for seg in {
        i["path"]
        for b in history.slot_programmes(store, ["nam-tuan"], now, now + timedelta(days=2))
        for i in b.programme
    }:
        (cfg.layout.radio / seg).parent.mkdir(parents=True, exist_ok=True)
        (cfg.layout.radio / seg).write_bytes(b"audio")
    docs = schedule_feed.messages(builder, ["nam-tuan"], now)
    assert [s["id"] for s in docs["nam-tuan"]["slots"]] == ["nam-tuan/20261201T1700", "nam-tuan/20261202T0600"]


RECEIVED = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)


def ack(**kw) -> bytes:
    doc = {
        "schema": "loa.speaker.ack",
        "schema_version": 1,
        "speaker": "nam-tuan-1",
        "station": "nam-tuan",
        "slot": "nam-tuan/20261201T0600",
        "item": "01-notice-7v2-vi",
        "notice": {"id": 7, "version": 2},
        "event": "finished",
        "at": "2026-12-01T06:01:05+07:00",
        "detail": None,
        "command": None,
    } | kw
    return json.dumps(doc).encode()


def test_speaker_reports_are_parsed_and_bad_ones_refused_with_a_reason():
    topic = "loa/v1/speakers/nam-tuan-1/ack"
    rep = parse_report("loa/v1", topic, ack(), RECEIVED)
    assert (rep.speaker, rep.event, rep.notice, rep.slot) == (
        "nam-tuan-1",
        "finished",
        (7, 2),
        "nam-tuan/20261201T0600",
    )
    assert rep.at == datetime(2026, 11, 30, 23, 1, 5, tzinfo=UTC)
    status = {
        "schema": "loa.speaker.status",
        "schema_version": 1,
        "speaker": "nam-tuan-1",
        "station": "nam-tuan",
        "state": "idle",
        "at": "2026-12-01T07:05:00+07:00",
        "clock_skew_ms": -120,
        "cache": {"items": 12, "bytes": 3400000},
        "software": "loa-speaker 1",
    }
    st = parse_report("loa/v1", "loa/v1/speakers/nam-tuan-1/status", json.dumps(status).encode(), RECEIVED)
    assert (st.state, st.clock_skew_ms, st.cache_items, st.cache_bytes) == ("idle", -120, 12, 3400000)
    will = {"schema": "loa.speaker.status", "schema_version": 1, "speaker": "nam-tuan-1", "state": "offline"}
    assert parse_report("loa/v1", "loa/v1/speakers/nam-tuan-1/status", json.dumps(will).encode(), RECEIVED).state == (
        "offline"
    )
    for payload, why in [
        (ack(speaker="other"), "not 'nam-tuan-1' of the topic"),
        (ack(event="played"), "event 'played'"),
        (ack(at="yesterday"), "at must be"),
        (ack(station=None), "must name its station"),
        (ack(notice={"id": "7"}), "integer"),
        (ack(schema="loa.board.ack"), "schema must be"),
        (b"\xff", "not UTF-8 JSON"),
        (b"[]", "not a JSON object"),
    ]:
        with pytest.raises(Refused, match=why):
            parse_report("loa/v1", topic, payload, RECEIVED)
    with pytest.raises(Refused, match="not a speaker"):
        parse_report("loa/v1", "loa/v1/boards/x/ack", ack(), RECEIVED)


def test_messages_match_their_json_schemas(tmp_path):
    from tests.unit.test_board_protocol import validator

    signer = Signer.load_or_create(tmp_path / "key.pem")
    doc = schedule_msg.message(
        "nam-tuan", [slot("2026-12-01", "17:00", PROGRAMME)], site_url="http://x", sha256=SHA, now=NOW, tz=TZ
    )
    validator("radio-schedule").validate(signer.sign(doc))
    validator("speaker-ack").validate(json.loads(ack()))
    validator("speaker-ack").validate(json.loads(ack(slot=None, item="n-7-v2-vi.mp3", command="k1", event="started")))
    will = {"schema": "loa.speaker.status", "schema_version": 1, "speaker": "nam-tuan-1", "state": "offline"}
    validator("speaker-status").validate(will)
    with pytest.raises(Exception, match="played"):
        validator("speaker-ack").validate(json.loads(ack(event="played")))


def test_a_notice_published_later_joins_every_slot_a_speaker_follows(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(slots=[{"time": "06:00"}, {"time": "17:00"}])], airings=6)
    add_speaker(store, "nam-tuan-1", "nam-tuan")
    a = notice(store, "Thông báo A")
    builder = Builder(cfg, store, FakeMaker(segment_seconds=4.0))
    now = schedule.occurrence(cfg.stations[0], "17:00", DAY, cfg.tz).starts_at - timedelta(minutes=5)
    builder.next(["nam-tuan"], now)  # announce: tomorrow 06:00 built ahead (no broker here: nothing sent)

    def notices_by_slot():
        return {
            b.slot_time + b.slot_date[-2:]: sorted({i["notice"][0] for i in b.programme if i["notice"]})
            for b in history.slot_programmes(store, ["nam-tuan"], now, now + timedelta(days=1))
        }

    assert notices_by_slot() == {"17:0001": [a.id], "06:0002": [a.id]}
    b = notice(store, "Thông báo B")
    builder.next(["nam-tuan"], now + timedelta(minutes=1))  # what the radio channel does on publication
    assert notices_by_slot() == {"17:0001": sorted([a.id, b.id]), "06:0002": sorted([a.id, b.id])}
