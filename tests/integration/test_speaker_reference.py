"""The reference speaker (`loa speaker run`) against a real Mosquitto with Loa's config and a loopback web
server with real audio: it prefetches and verifies, starts a slot on time, plays the items in order with
mpv (--ao=null: no audio device), acks each; refuses a tampered file and a forged schedule; lets an
emergency interrupt a slot (once per idempotency key, also across a restart); keeps playing through a
broker restart and delivers the acks after reconnecting.

The speaker's account is Loa's own (`create_speaker`, what `loa speakers add` runs: the ACL Loa generates,
the hashed password) and the speaker reads it from the credentials file that command writes. Schedules are
signed by hand here (to forge and tamper); tests/integration/test_speaker_loop.py runs Loa's own publisher.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.mqtt_helpers import retained
from tests.speaker_helpers import (
    SPEAKER,
    STATION,
    Acks,
    Broker,
    Speaker,
    item,
    new_signer,
    play,
    publish,
    schedule,
    serve,
    sha,
    slot,
    tone,
)

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(50)]
START_TOLERANCE = 0.5  # seconds between a slot's start time and the speaker's "started" ack for its first item


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """Real MP3s (sine tones, distinct per name) served on loopback: {name: (url, seconds, sha256)}."""
    root = tmp_path_factory.mktemp("www") / "radio"
    root.mkdir()
    specs = {f"t{i}": (1.0, 300 + 40 * i) for i in range(1, 6)} | {f"l{i}": (2.0, 500 + 40 * i) for i in range(1, 8)}
    specs["alarm"] = (1.0, 1000)
    for name, (seconds, freq) in specs.items():
        tone(root / f"{name}.mp3", seconds, freq)
    server, base = serve(root.parent)
    files = {n: (f"{base}/radio/{n}.mp3", s, sha((root / f"{n}.mp3").read_bytes())) for n, (s, _) in specs.items()}
    yield files | {"_root": root, "_base": base}
    server.shutdown()


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def signer(broker):
    s = new_signer()
    publish(broker.url, "loa/v1/keys/notices", s.public_key_document(), retain=True)
    return s


@pytest.fixture
def acks(broker):
    a = Acks(broker.url)
    yield a
    a.close()


def at(ack: dict) -> datetime:
    return datetime.fromisoformat(ack["at"])


def sched_item(audio: dict, name: str, kind: str = "notice") -> dict:
    url, seconds, digest = audio[name]
    return item(name, url, seconds, digest, kind=kind, notice=None if kind != "notice" else 7)


def test_slot_starts_on_time_plays_in_order_refuses_tampered_audio_and_a_forged_schedule(
    broker, signer, acks, audio, tmp_path
):
    root = audio["_root"]
    original = (root / "t3.mp3").read_bytes()
    items = [sched_item(audio, "t1", "opening"), sched_item(audio, "t2"), sched_item(audio, "t3")]
    items.append(sched_item(audio, "t4", "closing"))
    speaker = Speaker(broker, audio["_base"], tmp_path / "cache", tmp_path / "speaker.log")
    try:
        (root / "t3.mp3").write_bytes(original[:-200] + b"\0" * 200)  # tampered on the server
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
        publish(broker.url, f"loa/v1/radio/{STATION}/schedule", schedule(signer, [slot(start, items)]), retain=True)
        assert acks.wait(lambda a: ("t4", "finished") in [(x["item"], x["event"]) for x in a], 25), acks.events()
        assert acks.events() == [
            ("t1", "started"), ("t1", "finished"), ("t2", "started"), ("t2", "finished"),
            ("t3", "failed"), ("t4", "started"), ("t4", "finished"),
        ]  # fmt: skip
        a = acks.acks
        lateness = (at(a[0]) - start).total_seconds()
        assert -0.05 <= lateness <= START_TOLERANCE, f"slot started {lateness:+.3f} s from its time"
        assert 0.9 <= (at(a[1]) - at(a[0])).total_seconds() <= 2.0  # mpv really played the 1 s file
        assert all(x["slot"] == f"{STATION}/{start:%Y%m%dT%H%M%S}" and x["speaker"] == SPEAKER for x in a)
        assert "sha256 mismatch" in a[4]["detail"] and a[4]["notice"] == {"id": 7, "version": 1}
        log = speaker.events()
        assert any(e["event"] == "prefetch.failed" and e["item"] == "t3" for e in log)
        assert [e["item"] for e in log if e["event"] == "prefetch.ok"][:3] == ["t1", "t2", "t4"]

        # a schedule signed with another key: refused, logged, never played
        forged_start = datetime.now(UTC) + timedelta(seconds=2)
        forged = schedule(new_signer(), [slot(forged_start, [sched_item(audio, "t5")])])
        publish(broker.url, f"loa/v1/radio/{STATION}/schedule", forged, retain=True)
        assert speaker.wait_log(lambda e: e["event"] == "refused" and "schedule" in e["topic"], 5)
        time.sleep(3)
        assert len(acks.acks) == 7 and "t5" not in [x["item"] for x in acks.acks]
        refused = next(e for e in speaker.events() if e["event"] == "refused")
        assert "not the published key" in refused["reason"]
    finally:
        (root / "t3.mp3").write_bytes(original)
        assert speaker.stop() == 0
    status = json.loads(retained(broker.url, f"loa/v1/speakers/{SPEAKER}/status") or b"{}")
    assert status["state"] == "offline" and status["station"] == STATION and status["cache"]["items"] == 3
    assert abs(status["clock_skew_ms"]) < 1500  # the web server on this machine: HTTP Date vs local clock


def test_emergency_interrupts_the_slot_which_resumes_and_a_command_plays_once(broker, signer, acks, audio, tmp_path):
    cache, log = tmp_path / "cache", tmp_path / "speaker.log"
    speaker = Speaker(broker, audio["_base"], cache, log)
    alarm = audio["alarm"]
    try:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        items = [sched_item(audio, n) for n in ("l1", "l2", "l3")]
        publish(broker.url, f"loa/v1/radio/{STATION}/schedule", schedule(signer, [slot(start, items)]), retain=True)
        assert acks.wait(lambda a: ("l1", "started") in [(x["item"], x["event"]) for x in a], 15), acks.events()
        time.sleep(0.5)
        command = play(signer, [alarm], key="khan-cap-42-1")
        sent = datetime.now(UTC)
        publish(broker.url, f"loa/v1/radio/{STATION}/play", command)
        assert acks.wait(lambda a: ("l3", "finished") in [(x["item"], x["event"]) for x in a], 20), acks.events()
        assert acks.events() == [
            ("l1", "started"), ("l1", "interrupted"), ("alarm.mp3", "started"), ("alarm.mp3", "finished"),
            ("l2", "started"), ("l2", "finished"), ("l3", "started"), ("l3", "finished"),
        ]  # fmt: skip
        a = acks.acks
        assert a[2]["slot"] is None and a[2]["command"] == "khan-cap-42-1" and a[2]["notice"]["id"] == 42
        assert "emergency notice 42" in a[1]["detail"]
        assert (at(a[2]) - sent).total_seconds() < 2.0  # downloaded, verified and started within 2 s
        publish(broker.url, f"loa/v1/radio/{STATION}/play", command)  # the same command again
        assert speaker.wait_log(lambda e: e["event"] == "play.duplicate", 5)
    finally:
        assert speaker.stop() == 0
    # a restarted speaker remembers the keys it played
    speaker = Speaker(broker, audio["_base"], cache, log)
    try:
        publish(broker.url, f"loa/v1/radio/{STATION}/play", command)
        assert speaker.wait_log(lambda e: e["event"] == "play.duplicate" and e["command"] == "khan-cap-42-1", 5)
        time.sleep(1.5)
        assert [x["item"] for x in acks.acks].count("alarm.mp3") == 2  # started and finished, once
    finally:
        speaker.stop()


def test_broker_restart_mid_slot_does_not_stop_the_slot_and_acks_arrive_after_reconnect(
    broker, signer, acks, audio, tmp_path
):
    speaker = Speaker(broker, audio["_base"], tmp_path / "cache", tmp_path / "speaker.log")
    try:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        items = [sched_item(audio, n) for n in ("l4", "l5", "l6", "l7")]
        publish(broker.url, f"loa/v1/radio/{STATION}/schedule", schedule(signer, [slot(start, items)]), retain=True)
        assert acks.wait(lambda a: ("l4", "started") in [(x["item"], x["event"]) for x in a], 15), acks.events()
        broker.stop()
        stopped = time.time()
        time.sleep(4)
        restarted = time.time()
        broker.start()
        assert acks.wait(lambda a: ("l7", "finished") in [(x["item"], x["event"]) for x in a], 25), acks.events()
        expected = [(n, e) for n in ("l4", "l5", "l6", "l7") for e in ("started", "finished")]
        # QoS 1 across a broker restart is at least once: a redelivered ack is the same payload, counted once
        unique = list(dict.fromkeys(json.dumps(x, sort_keys=True) for x in acks.acks))
        assert [(x["item"], x["event"]) for x in map(json.loads, unique)] == expected
        a = {(x["item"], x["event"]): x for x in acks.acks}
        for prev, nxt in (("l4", "l5"), ("l5", "l6"), ("l6", "l7")):
            gap = (at(a[(nxt, "started")]) - at(a[(prev, "finished")])).total_seconds()
            assert 0 <= gap < 0.5, f"{nxt} started {gap:.2f} s after {prev} finished"
        during = [(t, x) for t, x in acks.received if stopped < at(x).timestamp() < restarted - 0.2]
        assert during, "no ack was made while the broker was down"
        assert all(t >= restarted for t, _ in during)  # queued by the speaker, delivered after reconnect
        assert speaker.wait_log(lambda e: e["event"] == "broker.disconnected", 1)
    finally:
        assert speaker.stop() == 0
