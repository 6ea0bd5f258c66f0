"""A world to kill `loa dispatch` in (bench/bench_faults.py and tests/integration/test_faults.py).

One LOA_HOME with Loa's own Mosquitto on a free port (project config: auth, ACL), a SQLite store, a
loopback webhook receiver and one subscriber on every topic under loa/v1/#. `dispatch()` runs the real
CLI (`loa dispatch ID`) in a child process, optionally with LOA_FAULT_POINT set or killed after a random
delay; `tally()` counts, per channel, the targets that never got the notice (lost) and the sends that
happened more than once (duplicated) — a play command by its idempotency key, a webhook by its
X-Loa-Delivery id, a board message per topic (retained: a re-send is harmless, counted apart).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.mqtt import make_client  # noqa: E402
from loa.app import broker as mosq  # noqa: E402
from loa.config import Config, Env, load_config  # noqa: E402
from loa.model import Priority  # noqa: E402
from loa.store import Store  # noqa: E402
from tests.conftest import write_config  # noqa: E402

AREAS = ("cao-bang/hoa-an", "cao-bang/nam-tuan")
CHANNELS = ("boards", "radio", "webhook")
LOA = str(Path(sys.executable).parent / "loa")


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[str]

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.received.append(self.headers.get("X-Loa-Delivery", "?"))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@dataclass
class Tally:
    lost: Counter = field(default_factory=Counter)
    duplicated: Counter = field(default_factory=Counter)
    resent_retained: int = 0  # a board message sent again on its retained topic (idempotent, not a duplicate)


class World:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        self.hook.received = []  # type: ignore[attr-defined]
        threading.Thread(target=self.hook.serve_forever, daemon=True).start()
        folder = write_config(
            root / "config",
            feeds=[],
            webhooks=[
                {
                    "name": "portal",
                    "url": f"http://127.0.0.1:{self.hook.server_address[1]}/hook",
                    "secret": "s" * 24,
                    "attempts": 1,
                    "timeout": 5,
                }
            ],
        )
        self.env_cfg = Env(home=root / "home", config_dir=folder, database_url=f"sqlite:///{root / 'loa.db'}")
        self.cfg: Config = load_config(self.env_cfg)
        self.broker = mosq.start(self.cfg)
        self.store = Store.open(self.cfg.database_url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self._subscribe()

    def _subscribe(self) -> None:
        ready = threading.Event()
        self.sub = make_client(self.cfg.mqtt, f"bench-faults-{time.monotonic_ns()}")
        self.sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{self.cfg.mqtt_topic_prefix}/#", qos=1)
        self.sub.on_subscribe = lambda *a: ready.set()
        self.sub.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload), m.retain))
        self.sub.connect(self.cfg.mqtt.host, self.cfg.mqtt.port)
        self.sub.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the bench subscriber got no SUBACK")

    def env(self, fault: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_"))}
        env.update(
            LOA_HOME=str(self.cfg.home),
            LOA_CONFIG_DIR=str(self.env_cfg.config_dir),
            LOA_DATABASE_URL=self.cfg.database_url,
        )
        if fault:
            env["LOA_FAULT_POINT"] = fault
        return env

    def emergency(self, title: str, radio: str | None = None) -> int:
        """An approved emergency for two communes (two stations, two board areas, the webhook)."""
        from tests.unit.test_radio_build import notice

        n = notice(self.store, title, areas=AREAS, priority=Priority.EMERGENCY, approve=False)
        text = radio or f"Khẩn cấp. {title}. Bà con sơ tán ngay."
        self.store.set_variant(n.id, "radio", text, "Nông Thị Hoa")
        return self.store.transition(n.id, "approve", "Nông Thị Hoa").id

    def dispatch(self, notice_id: int, fault: str | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [LOA, "dispatch", str(notice_id), "--json"],
            env=self.env(fault),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def fork_dispatch(self, notice_id: int, fault: str | None = None) -> int:
        """The dispatch core (loa.publishing.dispatch.dispatch_notice) for boards, radio and webhook in a
        forked child: the same code as `loa dispatch` without its start-up and the slow channels, so the
        bench runs many trials. Returns the child's pid."""
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            if fault:
                os.environ["LOA_FAULT_POINT"] = fault
            from channels.catalogue import build_channels
            from loa.publishing.dispatch import dispatch_notice

            store = Store.open(self.cfg.database_url)
            dispatch_notice(store, build_channels(self.cfg, store, list(CHANNELS)), notice_id)
            code = 0
        finally:
            os._exit(code)

    def withdraw(self, notice_id: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [LOA, "withdraw", str(notice_id), "--by", "Nông Thị Hoa", "--reason", "thử"],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )

    def sends(self, notice_id: int) -> dict[str, Counter]:
        """What reached the world for one notice, per channel: key → times."""
        out: dict[str, Counter] = {ch: Counter() for ch in CHANNELS}
        prefix = self.cfg.mqtt_topic_prefix
        for topic, payload, retain in list(self.messages):
            if topic.endswith(f"/notices/{notice_id}") and payload and not retain:
                out["boards"][topic.removeprefix(prefix)] += 1
            elif topic.startswith(f"{prefix}/radio/") and topic.endswith("/play"):
                body = json.loads(payload)
                if body["notice"]["id"] == notice_id:
                    out["radio"][body.get("idempotency_key") or topic] += 1
        for delivery in list(self.hook.received):  # type: ignore[attr-defined]
            if delivery.startswith(f"{notice_id}-v") and "published" in delivery:
                out["webhook"][delivery] += 1
        return out

    def stops(self, notice_id: int) -> Counter:
        got: Counter = Counter()
        for topic, payload, _ in list(self.messages):
            if topic.endswith("/stop") and json.loads(payload)["notice"]["id"] == notice_id:
                got[topic.split("/")[-2]] += 1
        return got

    def tally(self, notice_id: int) -> Tally:
        expected = {"boards": len(AREAS), "radio": len(AREAS), "webhook": 1}
        t = Tally()
        for ch, seen in self.sends(notice_id).items():
            t.lost[ch] += max(0, expected[ch] - len(seen))
            extra = sum(n - 1 for n in seen.values())
            if ch == "boards":
                t.resent_retained += extra
            else:
                t.duplicated[ch] += extra
        return t

    def settle(self, seconds: float = 0.5) -> None:
        time.sleep(seconds)

    def kill_broker(self) -> None:
        self.broker.send_signal(signal.SIGKILL)
        self.broker.wait(10)

    def restart_broker(self) -> None:
        self.broker = mosq.start(self.cfg)
        self.sub.loop_stop()
        self._subscribe()

    def close(self) -> None:
        self.sub.disconnect()
        self.sub.loop_stop()
        self.hook.shutdown()
        if self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)
        self.store.engine.dispose()


def scratch(name: str) -> Path:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"loa-faults-{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    return path


def dump(obj) -> str:
    return yaml.safe_dump(obj, allow_unicode=True, sort_keys=False)
