"""Approve → board latency under `loa run`, from the CLI and from the desk, against raw Mosquitto
publish → receive in the same run.

Starts the whole system (Prefect server, Loa's Mosquitto, runner polling every second) on free
ports in a temp folder, ingests a generated feed of reform notices, then approves them one by one
and times the approval → the retained message reaching a subscribed board: `loa approve` (a new
process each time, as an operator types it) and the desk's approve button over HTTP (a logged-in
approver). Prints median and worst of each (goal: under 2 s median, 3 s worst, on a quiet machine),
and the CPU seconds of each `loa approve` process: on a shared machine the wall time is that CPU time
multiplied by the load, so the CPU figure is the one to compare between runs.

    .venv/bin/python bench/bench_approve_latency.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loa.config import Env, load_config  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.mqtt_helpers import Collector  # noqa: E402

LOA = str(Path(sys.executable).parent / "loa")
PASSWORD = "mật khẩu đo thời gian 2026"


class DeskClient:
    """A logged-in approver on the desk over HTTP, as a browser would be."""

    def __init__(self, web: str):
        import re

        import requests

        self.web, self.re, self.http = web.rstrip("/"), re, requests.Session()
        page = self.http.get(f"{self.web}/desk/login", timeout=10).text
        token = re.search(r'name="login_token" value="([^"]+)"', page).group(1)
        r = self.http.post(
            f"{self.web}/desk/login",
            data={"name": "Bench Duyệt", "password": PASSWORD, "login_token": token, "next": "/desk/"},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303, r.text[-500:]
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.http.get(f"{self.web}/desk/account").text).group(1)

    def approve(self, nid: int) -> None:
        r = self.http.post(
            f"{self.web}/desk/notices/{nid}/approve",
            data={"csrf": self.csrf, "version": "1"},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303 and "approved-dispatch" in r.headers["location"], (r.status_code, r.headers)


def feed_xml(n: int) -> str:
    items = "".join(
        f"<item><title>Kế hoạch cải cách hành chính số {100 + i}/KH-UBND năm 2026 (đợt {i})</title>"
        f"<guid>urn:bench:{i}</guid><description>Triển khai cải cách thủ tục hành chính, "
        f"dịch vụ công trực tuyến toàn trình tại xã, đợt {i}.</description></item>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title>{items}</channel></rss>'
    )


def raw_baseline(url, runs: int) -> list[float]:
    import paho.mqtt.client as mqtt

    topic = "loa/v1/areas/cao-bang/notices/bench-raw"
    sub = Collector(url, [topic]).wait_ready()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.username_pw_set(url.username, url.password)
    pub.connect(url.host, url.port)
    pub.loop_start()
    times = []
    for i in range(runs):
        t0 = time.monotonic()
        pub.publish(topic, f"{i}".encode(), qos=1).wait_for_publish(5)
        sub.wait_for(topic, 5, lambda p, i=i: p == f"{i}".encode())
        times.append(time.monotonic() - t0)
    pub.disconnect()
    pub.loop_stop()
    sub.close()
    return times


def start_loa_run(entries: int, **main):
    """`loa run` in a temp folder on free ports, with a feed of `entries` reform notices and loa.yaml
    keys `main`; returns (folder, config, environment, process) once every URL is served."""
    tmp = Path(tempfile.mkdtemp(prefix="loa-bench-"))
    (tmp / "feed.xml").write_text(feed_xml(entries), encoding="utf-8")
    folder = write_config(
        tmp / "config", feeds=[{"url": (tmp / "feed.xml").as_uri(), "name": "bench", "area": "cao-bang"}], **main
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_"))}
    env |= {"LOA_HOME": str(tmp / "home"), "LOA_CONFIG_DIR": str(folder)}
    cfg = load_config(Env(home=tmp / "home", config_dir=folder))
    proc = subprocess.Popen([LOA, "run"], env=env, stdout=open(tmp / "run.log", "wb"), stderr=subprocess.STDOUT)
    while not cfg.layout.run_file.exists():
        if proc.poll() is not None:
            sys.exit("loa run failed to start: " + (tmp / "run.log").read_text()[-2000:])
        time.sleep(0.2)
    return tmp, cfg, env, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    t0 = time.monotonic()
    tmp, cfg, env, proc = start_loa_run(2 * args.runs)
    try:
        startup = time.monotonic() - t0
        out = subprocess.run([LOA, "ingest", "--json"], env=env, capture_output=True, text=True, check=True)
        ids = [i for r in json.loads(out.stdout) for i in r["drafted"]]
        subprocess.run(
            [LOA, "users", "add", "Bench Duyệt", "--role", "approver", "--password-stdin"],
            env=env,
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        desk = DeskClient(json.loads(cfg.layout.run_file.read_text())["Website"])

        cpu: list[float] = []  # CPU seconds of each `loa approve` process: what load multiplies into wall time

        def cli(nid: int) -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([LOA, "approve", str(nid), "--by", "bench"], env=env, capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

        def timed(approve, nids) -> list[float]:
            times = []
            for nid in nids:
                topic = f"loa/v1/areas/cao-bang/notices/{nid}"
                board = Collector(cfg.mqtt_monitor, [topic]).wait_ready()
                t = time.monotonic()
                approve(nid)
                assert board.wait_for(topic, 60), f"notice {nid} never reached the board"
                times.append(time.monotonic() - t)
                board.close()
                time.sleep(1)  # let the dispatch run finish: each approval starts from a quiet system
            return times

        latencies = timed(cli, ids[: args.runs])
        desk_latencies = timed(desk.approve, ids[args.runs : 2 * args.runs])
        raw = raw_baseline(cfg.mqtt, 50)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    raw_med = statistics.median(raw)
    print(f"loa run start-up (to all URLs served):     {startup:6.1f} s   (load {os.getloadavg()[0]:.1f})")
    for label, xs in (("CLI  `loa approve`", latencies), ("desk approve button", desk_latencies)):
        print(
            f"approve → board, {label:20}: median {statistics.median(xs):5.2f} s, worst {max(xs):5.2f} s of {len(xs)}"
        )
        print(f"    runs: {', '.join(f'{x:.2f}' for x in xs)}")
    print(f"CPU of one `loa approve` process:          median {statistics.median(cpu):5.2f} s, worst {max(cpu):5.2f} s")
    print(f"baseline: raw Mosquitto publish→receive:   {raw_med * 1000:6.1f} ms  (median of {len(raw)})")
    print(
        "(the CLI figure includes starting a Python process; the boards are delivered by the approving "
        "process itself, the other channels by the dispatch run)"
    )


if __name__ == "__main__":
    main()
