"""Approve an emergency → its CAP alert served at its URL, and → a loopback SMS endpoint, under `loa run`.

Starts the whole system (Prefect server, Loa's Mosquitto, runner polling every second, the web server)
on free ports in a temp folder, with a `messaging` destination of kind sms pointing at a loopback JSON
endpoint (apprise's json://). Ingests a generated feed, makes each draft an emergency for a commune,
then times `loa approve` → (a) GET <site>/cap/<id>/v1.xml answering 200 with a valid CAP alert,
(b) the SMS endpoint receiving the notice's text. Baselines in the same run: apprise sending the same
SMS straight to the endpoint, and a GET of a static file from the same web server. Median of 5.

    .venv/bin/python bench/bench_cap_latency.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_approve_latency import LOA, start_loa_run  # noqa: E402

AREA = "cao-bang/nam-tuan"


class SmsEndpoint:
    """A loopback SMS gateway: records (arrival time, message) of every JSON POST."""

    def __init__(self):
        got = self.got = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                got.append((time.monotonic(), body["message"]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arrival(self, needle: str, timeout: float) -> float | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for at, message in list(self.got):
                if needle in message:
                    return at
            time.sleep(0.01)
        return None


def served(url: str, timeout: float) -> float | None:
    """When GET url first answers 200 with a CAP alert (polled every 20 ms)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            r = requests.get(url, timeout=2)
            if r.status_code == 200 and b"urn:oasis:names:tc:emergency:cap:1.2" in r.content:
                return time.monotonic()
        except requests.RequestException:
            pass
        time.sleep(0.02)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    import apprise

    from loa.cap.schema import problems
    from loa.model import Priority
    from loa.store import Store
    from loa.store import desk as desk_store

    sms = SmsEndpoint()
    tmp, cfg, env, proc = start_loa_run(
        args.runs, messaging=[{"name": "sms-bench", "kind": "sms", "url": sms.url, "areas": [AREA]}]
    )
    cap_times, sms_times = [], []
    try:
        out = subprocess.run([LOA, "ingest", "--json"], env=env, capture_output=True, text=True, check=True)
        ids = [i for r in json.loads(out.stdout) for i in r["drafted"]][: args.runs]
        store = Store.open(cfg.database_url)
        for nid in ids:
            desk_store.set_settings(store, nid, 1, "bench", priority=Priority.EMERGENCY, areas=[AREA])
        for nid in ids:
            url = f"{cfg.site_url}/cap/{nid}/v1.xml"
            t = time.monotonic()
            subprocess.run([LOA, "approve", str(nid), "--by", "bench"], env=env, capture_output=True, check=True)
            cap_at = served(url, 120)
            sms_at = sms.arrival(f"/notices/{nid}.html", 120)
            if cap_at is None or sms_at is None:
                sys.exit(
                    f"notice {nid}: CAP {'not ' if cap_at is None else ''}served, SMS "
                    f"{'not ' if sms_at is None else ''}received within 120 s; see {tmp / 'run.log'}"
                )
            assert problems(requests.get(url, timeout=5).content) == []
            cap_times.append(cap_at - t)
            sms_times.append(sms_at - t)
        # where the time goes, from the store: approval recorded → each channel's delivery
        stages: dict[str, list[float]] = {}
        for nid in ids:
            approved = store.notice(nid).approved_at
            rows = store.deliveries(nid, kind="publish")
            for d in rows:
                if d.status == "delivered":
                    stages.setdefault(f"{d.channel} delivered", []).append((d.updated_at - approved).total_seconds())
        # baselines, same run: apprise straight to the endpoint, a static GET from the same web server
        direct = []
        for i in range(20):
            sender = apprise.Apprise()
            sender.add(sms.url)
            t = time.monotonic()
            sender.notify(body=f"baseline {i}")
            direct.append(sms.arrival(f"baseline {i}", 10) - t)
        static = []
        for _ in range(20):
            t = time.monotonic()
            requests.get(f"{cfg.site_url}/cap/alerts.atom", timeout=5).raise_for_status()
            static.append(time.monotonic() - t)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        sms.server.shutdown()
    cap_med, sms_med = statistics.median(cap_times), statistics.median(sms_times)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("from the approval recorded (store times; the CLI's own start-up comes before it), median:")
    for name, values in sorted(stages.items(), key=lambda kv: statistics.median(kv[1])):
        print(f"  {name:22} {statistics.median(values):6.2f} s")
    direct_med, static_med = statistics.median(direct), statistics.median(static)
    print(
        f"approve(emergency) → CAP alert served, median of {len(cap_times)}: {cap_med:6.2f} s   "
        f"(runs: {', '.join(f'{x:.2f}' for x in cap_times)})"
    )
    print(
        f"approve(emergency) → loopback SMS, median of {len(sms_times)}:     {sms_med:6.2f} s   "
        f"(runs: {', '.join(f'{x:.2f}' for x in sms_times)})"
    )
    print(f"baseline: apprise → the same endpoint:           {direct_med * 1000:6.1f} ms (median of 20)")
    print(f"baseline: GET a static file from loa run:        {static_med * 1000:6.1f} ms (median of 20)")
    print(
        f"ratio approve→SMS / direct apprise send:         {sms_med / direct_med:6.0f}×  (the rest is the CLI "
        "process, the event, the trigger, the runner poll and the flow)"
    )


if __name__ == "__main__":
    main()
