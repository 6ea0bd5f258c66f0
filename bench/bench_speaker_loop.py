"""The loudspeaker loop with Loa's own pieces (tests/speaker_loop.py), each figure beside a baseline from the
same run.

Loa's Mosquitto and generated ACL, the account from `create_speaker`, Loa's web server, Loa's listener, and
`loa speaker run --credentials FILE` (mpv --ao=null). One notice is dispatched to a station whose slots are
the next N minutes (slot times are HH:MM); Loa's publisher signs and retains the schedule; the speaker
prefetches and plays every slot.

- Slot start: the speaker's first "started" ack (as Loa's listener stored it) minus the slot's start time
  (same machine, same clock). Baseline: sleep until a start time and spawn the same player command.
- Emergency: approving an emergency notice and dispatching it (the dispatch run's code, without Prefect: the
  radio channel synthesises its audio, signs and sends the play command, rebuilds the slots and the schedule)
  to the speaker's "started" ack; split at the play command's arrival on the broker. Baseline: the same
  audio in a play command signed with Loa's key and published directly (what the speaker alone costs).
  Each emergency is withdrawn after it started (the stop command ends it).

    .venv/bin/python bench/bench_speaker_loop.py [--slots 10] [--emergencies 5]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.mqtt import make_client  # noqa: E402
from loa.model import Priority  # noqa: E402
from loa.signing import Signer  # noqa: E402
from tests.speaker_helpers import STATION, play, publish, stop  # noqa: E402
from tests.speaker_loop import PLAYER, Loop  # noqa: E402

TEXT = "Kính thưa bà con. Ủy ban nhân dân xã Hòa An thông báo lịch tiếp công dân tháng mười hai."
FLOOD = (
    "Khẩn cấp. Nước sông Bằng đang lên nhanh, có nguy cơ lũ quét tại các xóm ven sông. Đề nghị bà con "
    "khẩn trương di chuyển người già, trẻ em và tài sản đến nơi an toàn và làm theo hướng dẫn của xã."
)


def summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{name:<46} n={len(ms):>2}  median {statistics.median(ms):7.1f} ms  worst {max(ms, key=abs):7.1f} ms"


def at(ack: dict) -> float:
    return datetime.fromisoformat(ack["at"]).timestamp()


def spawn_baseline(path: Path, runs: int) -> list[float]:
    """Sleep until a start time, spawn the player: what no speaker can beat."""
    late = []
    for _ in range(runs):
        target = time.time() + 0.3
        time.sleep(max(0.0, target - time.time()))
        proc = subprocess.Popen(
            shlex.split(PLAYER.replace("{file}", str(path))), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        late.append(time.time() - target)
        proc.wait()
    return late


class PlayWatch:
    """When each play command reaches the broker's subscribers (Loa's monitor account)."""

    def __init__(self, loop: Loop):
        self.seen: list[tuple[float, dict]] = []
        ready = threading.Event()
        self.client = make_client(loop.cfg.mqtt_monitor, f"bench-play-{time.monotonic_ns()}")
        topic = f"loa/v1/radio/{STATION}/play"
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = lambda c, u, m: self.seen.append((time.time(), json.loads(m.payload)))
        self.client.connect(loop.cfg.mqtt.host, loop.cfg.mqtt.port)
        self.client.loop_start()
        assert ready.wait(5), "no SUBACK"

    def arrival(self, notice_id: int) -> float:
        return next(t for t, d in self.seen if d["notice"]["id"] == notice_id)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slots", type=int, default=10, help="slots, one a minute (HH:MM slot times)")
    parser.add_argument("--emergencies", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        loop = Loop(Path(tmp_name), airings=args.slots + 5)
        try:
            notice_id = loop.notice("Lịch tiếp công dân tháng 12", TEXT)
            starts = loop.slots(args.slots, lead=30)
            report = loop.dispatch(notice_id)
            if report.state != "published":
                sys.exit(f"dispatch: {report.state} {report.results}")
            by_id = {f"{STATION}/{s.astimezone(loop.cfg.tz):%Y%m%dT%H%M}": s for s in starts}
            print(f"{args.slots} slots from {starts[0]:%H:%M:%S} UTC, one a minute; waiting", flush=True)
            wait = (starts[-1] - datetime.now(UTC)).total_seconds() + 90
            ends = lambda a: {x["slot"] for x in a if x["event"] == "finished" and x["kind"] == "closing"}  # noqa: E731
            if not loop.wait_acks(lambda a: set(by_id) <= ends(a), wait):
                sys.exit(f"not every slot was played: {sorted(ends(loop.acks()))}; see {loop.speaker.log}")
            firsts: dict[str, float] = {}
            for a in loop.acks():
                if a["event"] == "started" and a["slot"] in by_id:
                    firsts.setdefault(a["slot"], at(a))
            lateness = [firsts[sid] - by_id[sid].timestamp() for sid in by_id]

            # emergencies, with the station's usual three slots a day
            loop.stations(["06:00", "11:00", "17:00"])
            watch = PlayWatch(loop)
            to_broker, to_start, urls = [], [], []
            for i in range(args.emergencies):
                nid = loop.notice(f"Cảnh báo lũ quét {i}", FLOOD, priority=Priority.EMERGENCY, approve=False)
                approved = time.time()
                loop.approve(nid)
                loop.dispatch(nid)
                started = lambda a, n=nid: [x for x in a if x["command"] and x["notice"]["id"] == n]  # noqa: E731
                if not loop.wait_acks(lambda a, s=started: any(x["event"] == "started" for x in s(a)), 30):
                    sys.exit(f"emergency {nid} did not start; see {loop.speaker.log}")
                first = next(x for x in started(loop.acks()) if x["event"] == "started")
                to_broker.append(watch.arrival(nid) - approved)
                to_start.append(at(first) - approved)
                urls.append(next(d for _, d in watch.seen if d["notice"]["id"] == nid)["audio"])
                loop.withdraw(nid)
                loop.wait_acks(lambda a, s=started: any(x["event"] == "interrupted" for x in s(a)), 15)
            watch.close()

            # baseline: the same audio, a play command signed with Loa's key, published directly
            signer = Signer.load_or_create(loop.cfg.layout.signing_key)
            direct = []
            for i in range(args.emergencies):
                audio = [(a["url"], a["seconds"], a["sha256"]) for a in urls[i]]
                before = len(loop.acks())
                cmd = play(signer, audio, key=f"bench-direct-{i}", notice=90_000 + i)
                sent = time.time()
                publish(loop.cfg.mqtt, f"loa/v1/radio/{STATION}/play", cmd)
                if not loop.wait_acks(lambda a, n=before: any(x["event"] == "started" for x in a[n:]), 15):
                    sys.exit(f"direct play {i} did not start; see {loop.speaker.log}")
                first = next(x for x in loop.acks()[before:] if x["event"] == "started")
                direct.append(at(first) - sent)
                publish(loop.cfg.mqtt, f"loa/v1/radio/{STATION}/stop", stop(signer, notice=90_000 + i))
                loop.wait_acks(lambda a, n=before: any(x["event"] == "interrupted" for x in a[n:]), 15)
            sample = next((loop.cfg.layout.radio / "audio").glob("*.mp3"))
        finally:
            loop.close()
        base_late = spawn_baseline(sample, args.slots)
    print(f"reference speaker with Loa's publisher, listener and web server; player: {PLAYER}")
    print(summary("slot start -> speaker's 'started' (stored)", lateness))
    print(summary("baseline: sleep to start -> player spawned", base_late))
    print(summary("emergency: approve -> play command on broker", to_broker))
    print(summary("emergency: approve -> speaker's 'started'", to_start))
    print(summary("baseline: play published -> 'started'", direct))


if __name__ == "__main__":
    main()
