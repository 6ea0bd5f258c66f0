"""Health-check latency while 20 logins are hashed at once (issue 17, item 7), beside the idle figure
from the same run.

Loa's web app (create_app, real scrypt N=2^15) runs under uvicorn in its own process on a free
loopback port; 20 clients post wrong passwords at once (no account needed, as an attacker would)
while a probe asks /healthz every 20 ms. Printed: /healthz median and worst when idle and during
the logins, and how long the 20 logins took. Password hashing runs in worker threads (anyio's
limiter), so the probe should stay in milliseconds; on the event loop it took seconds.

    .venv/bin/python bench/bench_logins.py [--logins 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loa.config import Env, load_config  # noqa: E402
from loa.store import Store, users  # noqa: E402
from tests.conftest import free_port, write_config  # noqa: E402

SERVE = """
import sys, uvicorn
from loa.config import Env, load_config
from loa.app.web import create_app
from pathlib import Path
cfg = load_config(Env(home=Path(sys.argv[1]), config_dir=Path(sys.argv[2])))
uvicorn.run(create_app(cfg), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", lifespan="off")
"""


def probe(base: str, until: threading.Event, out: list[float]) -> None:
    while not until.is_set():
        t = time.perf_counter()
        requests.get(f"{base}/healthz", timeout=60).raise_for_status()
        out.append(time.perf_counter() - t)
        time.sleep(0.02)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logins", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_config(Path(tmp) / "config", feeds=[])
        cfg = load_config(Env(home=Path(tmp) / "home", config_dir=folder))
        users.add_user(Store.open(cfg.database_url), "Người đo", "editor", "mật khẩu đúng 2026")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-c", SERVE, str(cfg.home), str(folder), str(port)])
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the web server did not start")
                time.sleep(0.1)
            idle: list[float] = []
            stop = threading.Event()
            t = threading.Thread(target=probe, args=(base, stop, idle))
            t.start()
            time.sleep(2)
            stop.set()
            t.join()

            sessions = []
            for _ in range(args.logins):
                s = requests.Session()
                page = s.get(f"{base}/desk/login", timeout=10)
                sessions.append((s, re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)))

            def login(i: int, s: requests.Session, token: str) -> None:
                s.post(
                    f"{base}/desk/login",
                    data={"name": f"Người thử {i}", "password": "sai", "login_token": token},
                    timeout=120,
                    allow_redirects=False,
                )

            busy: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(target=probe, args=(base, stop, busy))
            clients = [threading.Thread(target=login, args=(i, s, tok)) for i, (s, tok) in enumerate(sessions)]
            started = time.perf_counter()
            prober.start()
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            took = time.perf_counter() - started
            stop.set()
            prober.join()
        finally:
            server.terminate()
            server.wait(10)
    ms = lambda xs: f"median {statistics.median(xs) * 1000:7.1f} ms, worst {max(xs) * 1000:7.1f} ms"  # noqa: E731
    print(f"/healthz idle (baseline)          : {ms(idle)}  ({len(idle)} probes)")
    print(f"/healthz during {args.logins} parallel logins: {ms(busy)}  ({len(busy)} probes)")
    print(f"the {args.logins} logins (scrypt N=2^15) took {took:.2f} s in all")


if __name__ == "__main__":
    main()
