"""Board fan-out through Loa's Mosquitto: what one notice costs the broker and the boards channel.

Starts Loa's own Mosquitto (project config: auth, ACL) on a free port, connects --subscribers boards
(each subscribed like a real board to its commune, district and province notice topics; they use the
read-only monitor account), and measures in the same run:

  1. fan-out of one retained QoS-1 notice on the province topic to every board: raw paho publish
     (the baseline) and Loa's BoardsChannel.dispatch (signed payload, key check), p50/p99/last arrival;
  2. publishing to --topics distinct area topics (a notice for many communes): raw paho with
     pipelined PUBACKs (baseline) against BoardsChannel.dispatch, messages/s;
  3. the broker's resident memory per connected board.

    .venv/bin/python bench/bench_fanout.py [--subscribers 300] [--topics 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402

from loa.app import broker as mosquitto  # noqa: E402
from loa.config import Env, load_config  # noqa: E402
from loa.model import NoticeState, NoticeView, Priority  # noqa: E402
from loa.store import Store  # noqa: E402
from tests.conftest import write_config  # noqa: E402

COMMUNE = "cao-bang/nam-tuan"


class Board:
    """A subscriber like a real board: its commune, district and province notice topics."""

    def __init__(self, url, n: int, arrivals: dict):
        self.arrivals, self.ready = arrivals, threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-board-{n}", protocol=mqtt.MQTTv5)
        self.client.username_pw_set(url.username, url.password)
        parts = COMMUNE.split("/")
        topics = [(f"loa/v1/areas/{'/'.join(parts[:i])}/notices/+", 1) for i in (1, 2, 3)]
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topics)
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = lambda c, u, m: self.arrivals.setdefault(m.topic, []).append(time.perf_counter())
        self.client.connect(url.host, url.port, keepalive=60)
        self.client.loop_start()

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_all(arrivals: dict, topic: str, n: int, timeout: float = 60) -> list[float]:
    deadline = time.monotonic() + timeout
    while len(arrivals.get(topic, [])) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    return arrivals.get(topic, [])


def summary(start: float, times: list[float]) -> str:
    ms = sorted((t - start) * 1000 for t in times)
    p99 = ms[max(0, int(len(ms) * 0.99) - 1)]
    return f"p50 {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms  last {ms[-1]:6.1f} ms  ({len(ms)} boards)"


def notice(nid: int, areas: list[str]) -> NoticeView:
    return NoticeView(
        id=nid,
        version=1,
        state=NoticeState.APPROVED,
        priority=Priority.NORMAL,
        title="Kế hoạch cải cách hành chính năm 2026 của UBND tỉnh Cao Bằng",
        summary_html="<p>Nội dung</p>",
        source_url="https://caobang.gov.vn/1",
        feed_title="Mẫu",
        areas=areas,
        created_at=datetime.now(UTC),
        approved_at=datetime.now(UTC),
        approved_by="Nông Thị Hoa",
        variants={"boards": "UBND tỉnh ban hành Kế hoạch cải cách hành chính năm 2026. " * 6},
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=300)
    ap.add_argument("--topics", type=int, default=300)
    args = ap.parse_args()

    from channels.boards import Boards

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_config(Path(tmp) / "config", feeds=[])
        cfg = load_config(
            Env(home=Path(tmp) / "home", config_dir=folder, database_url=f"sqlite:///{Path(tmp) / 'loa.db'}")
        )
        proc = mosquitto.start(cfg)
        try:
            store = Store.open(cfg.database_url)
            channel = Boards(cfg, store)
            idle = rss_kb(proc.pid)
            arrivals: dict[str, list[float]] = {}
            started = time.perf_counter()
            boards = [Board(cfg.mqtt_monitor, n, arrivals) for n in range(args.subscribers)]
            deadline = time.monotonic() + 30
            missing = [b for b in boards if not b.ready.wait(max(0.0, deadline - time.monotonic()))]
            if missing:  # paho's select() loop cannot use file descriptors above 1024: ~900 boards per process
                raise SystemExit(
                    f"{len(missing)} of {args.subscribers} boards got no SUBACK within 30 s; "
                    f"use fewer --subscribers (one process holds about 900)"
                )
            connected = rss_kb(proc.pid)
            print(
                f"{args.subscribers} boards connected and subscribed in {time.perf_counter() - started:.1f} s; "
                f"broker RSS {idle / 1024:.1f} MB idle → {connected / 1024:.1f} MB "
                f"({(connected - idle) / args.subscribers:.1f} KB per board)"
            )

            # 1. one notice on the province topic, to every board
            payload = json.dumps(channel.payload(notice(1, ["cao-bang"]), "cao-bang"), ensure_ascii=False).encode()
            raw = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
            raw.username_pw_set(cfg.mqtt.username, cfg.mqtt.password)
            raw.connect(cfg.mqtt.host, cfg.mqtt.port)
            raw.loop_start()
            time.sleep(0.3)
            raw_results, loa_results = [], []
            for i in range(3):  # interleaved, so a busy machine hurts both alike
                topic = f"loa/v1/areas/cao-bang/notices/{900 + i}"
                t0 = time.perf_counter()
                raw.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
                raw_results.append((t0, wait_all(arrivals, topic, args.subscribers)))
                n = notice(1000 + i, ["cao-bang"])
                t0 = time.perf_counter()
                results = channel.dispatch(n, ["cao-bang"])
                call = time.perf_counter() - t0
                assert all(r.ok for r in results), results
                loa_results.append(
                    (t0, wait_all(arrivals, f"loa/v1/areas/cao-bang/notices/{n.id}", args.subscribers), call)
                )
            print(f"\n1. one notice ({len(payload)} bytes) to {args.subscribers} boards (3 rounds, last round shown)")
            t0, times = raw_results[-1]
            print(f"   baseline raw paho publish   {summary(t0, times)}")
            t0, times, call = loa_results[-1]
            print(f"   Loa BoardsChannel.dispatch  {summary(t0, times)}  (dispatch call {call * 1000:.0f} ms)")
            base_last = statistics.median((max(t) - s) for s, t in raw_results)
            loa_last = statistics.median((max(t) - s) for s, t, _ in loa_results)
            print(
                f"   median last arrival: baseline {base_last * 1000:.1f} ms, Loa {loa_last * 1000:.1f} ms "
                f"(ratio {loa_last / base_last:.2f}×)"
            )

            # 2. one notice to many area topics (no subscribers there: publish cost only)
            areas = [f"cao-bang/bench/c{i:04d}" for i in range(args.topics)]
            t0 = time.perf_counter()
            infos = [raw.publish(f"loa/v1/areas/{a}/notices/7", payload, qos=1, retain=True) for a in areas]
            for info in infos:
                info.wait_for_publish(30)
            raw_rate = args.topics / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            results = channel.dispatch(notice(8, areas), areas)
            loa_rate = args.topics / (time.perf_counter() - t0)
            assert all(r.ok for r in results)
            print(f"\n2. one notice to {args.topics} area topics")
            print(f"   baseline raw paho (pipelined PUBACKs)  {raw_rate:8.0f} messages/s")
            print(
                f"   Loa BoardsChannel.dispatch (sign, wait for each PUBACK)  {loa_rate:8.0f} messages/s "
                f"(ratio {loa_rate / raw_rate:.2f}×)"
            )
            raw.loop_stop()
            raw.disconnect()
        finally:
            for b in locals().get("boards", []):
                b.close()
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
