"""The speaker's loop with its broker link replaced by a recorder (our seam) and a real player process
(`sh -c 'sleep …'`): stop commands, withdrawals while playing, messages before the key, late slots,
and acks kept on disk while disconnected."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loa.speaker.cache import Cache
from loa.speaker.log import EventLog
from loa.speaker.player import Player
from loa.speaker.runner import Options, Runner
from tests.speaker_helpers import STATION, item, new_signer, play, schedule, sha, slot, stop

SCHEDULE = f"loa/v1/radio/{STATION}/schedule"


class RecordingLink:
    def __init__(self, runner: Runner):
        self.runner = runner
        self.sent: list[tuple[str, dict, bool]] = []
        self.mid = 0
        self.closed: dict | None = None

    def publish(self, topic: str, payload: dict, retain: bool) -> int | None:
        self.mid += 1
        self.sent.append((topic, payload, retain))
        self.runner.inbox.put(("puback", self.mid))
        return self.mid

    def close(self, last_status: dict) -> None:
        self.closed = last_status

    def acks(self) -> list[tuple[str, str]]:
        return [(p["item"], p["event"]) for t, p, _ in self.sent if t.endswith("/ack")]


class Harness:
    def __init__(self, tmp: Path, seconds: float = 5.0, connect: bool = True):
        self.signer = new_signer()
        cache = Cache(tmp / "cache", 10_000_000)
        self.runner = Runner(
            Options(speaker="spk-1", station=STATION, grace=timedelta(seconds=2)),
            cache,
            Player(f"sh -c 'sleep {seconds}' {{file}}"),
            EventLog(stream=open(tmp / "log", "w")),
        )
        self.link = RecordingLink(self.runner)
        self.runner.link = self.link
        self.files: dict[str, tuple[str, float, str]] = {}
        for name in ("a", "b", "c", "alarm"):
            data = f"audio {name}".encode()
            (cache.root / sha(data)).write_bytes(data)  # already prefetched
            self.files[name] = (f"http://127.0.0.1:9/radio/{name}.mp3", 60.0, sha(data))
        if connect:
            self.runner.inbox.put(("connected",))
        self.thread = threading.Thread(target=self.runner.run, daemon=True)

    def send(self, topic_leaf: str, payload: dict) -> None:
        topic = self.runner.topic(topic_leaf)
        self.runner.inbox.put(("message", topic, json.dumps(payload).encode()))

    def key(self) -> None:
        self.send("key", self.signer.public_key_document())

    def items(self, *names: str) -> list[dict]:
        return [item(n, *self.files[n]) for n in names]

    def wait(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.link.acks()):
                return True
            time.sleep(0.02)
        return False

    def finish(self) -> None:
        self.runner.stop()
        self.thread.join(10)


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.finish()


def test_a_stop_command_ends_the_emergency_and_skips_its_other_files(h):
    h.thread.start()
    h.key()
    h.send("play", play(h.signer, [h.files["alarm"], h.files["b"]], key="k1"))
    assert h.wait(lambda a: ("alarm.mp3", "started") in a)
    h.send("stop", stop(h.signer))
    assert h.wait(lambda a: ("b.mp3", "skipped") in a)
    assert h.link.acks() == [("alarm.mp3", "started"), ("alarm.mp3", "interrupted"), ("b.mp3", "skipped")]
    assert h.runner.current is None


def test_an_item_withdrawn_while_playing_stops_and_the_slot_goes_on(h):
    h.thread.start()
    h.key()
    start = datetime.now(UTC) - timedelta(seconds=1)
    h.send("schedule", schedule(h.signer, [slot(start, h.items("a", "b"))], datetime.now(UTC) - timedelta(seconds=5)))
    assert h.wait(lambda a: ("a", "started") in a)
    h.send("schedule", schedule(h.signer, [slot(start, h.items("b"))]))  # notice a withdrawn
    assert h.wait(lambda a: ("b", "started") in a)
    assert h.link.acks() == [("a", "started"), ("a", "interrupted"), ("b", "started")]
    ack = next(p for t, p, _ in h.link.sent if t.endswith("/ack") and p["event"] == "interrupted")
    assert "withdrawn" in ack["detail"]
    status = [(p["state"], retain) for t, p, retain in h.link.sent if t.endswith("/status")]
    assert ("playing", True) in status and status[0][0] in ("online", "playing")


def test_messages_before_the_key_wait_for_it_and_late_slots_are_skipped(h):
    h.thread.start()
    past = datetime.now(UTC) - timedelta(minutes=10)  # 2 minutes of items, 2 s grace: long over
    h.send("schedule", schedule(h.signer, [slot(past, h.items("a", "b"))]))
    time.sleep(0.3)
    assert h.link.acks() == []  # nothing verified yet
    h.key()
    assert h.wait(lambda a: len(a) == 2)
    assert h.link.acks() == [("a", "skipped"), ("b", "skipped")]


def test_acks_wait_on_disk_while_disconnected_and_go_out_after_connecting(tmp_path):
    h = Harness(tmp_path, connect=False)
    h.thread.start()
    try:
        h.key()
        h.send("play", play(h.signer, [h.files["alarm"]], key="k2"))
        outbox = tmp_path / "cache" / "outbox.json"

        def stored() -> list:  # the file, not the in-memory list: it is written just after the list grows
            return json.loads(outbox.read_text()) if outbox.exists() else []

        deadline = time.monotonic() + 10
        while not stored() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert h.link.sent == []
        assert [e["payload"]["event"] for e in stored()][:1] == ["started"]
        h.runner.inbox.put(("connected",))
        assert h.wait(lambda a: ("alarm.mp3", "started") in a)
        deadline = time.monotonic() + 2
        while h.runner.outbox.items and time.monotonic() < deadline:
            time.sleep(0.02)
        assert h.runner.outbox.items == []  # confirmed by PUBACK, removed
    finally:
        h.finish()
    assert h.link.closed is not None and h.link.closed["state"] == "offline"
    assert ("alarm.mp3", "interrupted") in h.link.acks()  # shutdown interrupts what plays


def test_the_site_key_is_fetched_at_start_even_just_after_boot(tmp_path, monkeypatch):
    """time.monotonic() counts from boot: a device that starts its speaker a minute after booting must
    fetch the key at once, not an hour later (the first fetch was skipped while uptime < 1 h)."""
    import loa.speaker.runner as runner_module

    monkeypatch.setattr(runner_module.time, "monotonic", lambda: 60.0)
    runner = Runner(
        Options(speaker="spk-1", station=STATION, site="http://127.0.0.1:9", prefetch_every=0.05),
        Cache(tmp_path / "cache", 10_000_000),
        Player("true {file}"),
        EventLog(stream=open(tmp_path / "log", "w")),
    )
    fetched = threading.Event()
    monkeypatch.setattr(runner, "fetch_site_key", fetched.set)
    thread = threading.Thread(target=runner._prefetch_loop, daemon=True)
    thread.start()
    try:
        assert fetched.wait(5), "the key was not fetched from the site at start"
    finally:
        runner.stop()
        runner.prefetch_wake.set()
        thread.join(5)
