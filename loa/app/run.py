"""`loa run`: the whole system on embedded defaults, supervised in one terminal.

Starts (unless told to use existing ones) a Prefect server on SQLite and
Loa's Mosquitto, then the web server and the deployment runner; prints every
URL; stops all of it on Ctrl-C or SIGTERM. Writes LOA_HOME/run.json so other
`loa` commands talk to this Prefect server instead of starting their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import requests
import uvicorn
from rich.console import Console

from loa import events
from loa.app import board_monitor, broker
from loa.app.automations import BackgroundSync
from loa.app.web import create_app
from loa.config import Config
from loa.errors import LoaError
from loa.store import Store

console = Console(stderr=True)


def prefect_env(cfg: Config) -> dict[str, str]:
    """Settings for every Prefect process Loa starts: private home, no telemetry (offline machines)."""
    return {
        "PREFECT_HOME": str(cfg.layout.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        # ... but a flow or task run's own logger (get_run_logger) reports at INFO, so a run's page in
        # the Prefect UI says what it did (it inherited WARNING and showed "This run didn't generate logs")
        "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
        "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
        # warnings and errors of Loa's own modules during a run reach its page too
        "PREFECT_LOGGING_EXTRA_LOGGERS": "loa,channels,flows",
    }


# a service that has not exited this long after SIGTERM is killed (the goal: stopped in < 5 s). The deployment
# runner (flows.serve) is the one that uses it all: measured, it exits neither on SIGTERM nor SIGINT within 3 s
GRACE_SECONDS = 3.0
LABELS = {"prefect-server": "Prefect server", "mosquitto": "Mosquitto", "deployments": "deployments"}


@contextmanager
def step(what: str, hint: str = "") -> Iterator[None]:
    """One start-up step, with the seconds it has taken so far: in place on a terminal, a line every 10 s
    in a log. A first Prefect start creates its database (~30 s); a silent terminal reads as a hang."""
    started, done = time.monotonic(), threading.Event()
    with console.status(f"{what}{hint}…") as status:
        if not console.is_terminal:
            console.print(f"{what}{hint}…")

        def tick() -> None:
            ticks = 0
            while not done.wait(1):
                ticks += 1
                seconds = time.monotonic() - started
                status.update(f"{what}{hint}… {seconds:.0f} s")
                if not console.is_terminal and ticks % 10 == 0:
                    console.print(f"  still {what}… {seconds:.0f} s")

        ticker = threading.Thread(target=tick, name="start-up ticker", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
    console.print(f"  {what.removeprefix('starting ')} ready in {time.monotonic() - started:.1f} s")


def terminate(proc: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM a service's whole process group (each is started in its own session: `prefect server start`
    runs its API in a child process that a plain terminate() never reaches), SIGKILL it after `grace`."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def stop_together(parts: list[tuple[str, Callable[[], None]]]) -> float:
    """Stop every part at once, each in its own thread, saying what is stopped and when each is done."""
    started = time.monotonic()
    console.print(f"stopping: {', '.join(name for name, _ in parts)}…")

    def one(name: str, stop: Callable[[], None]) -> None:
        began = time.monotonic()
        try:
            stop()
            console.print(f"  stopped {name} ({time.monotonic() - began:.1f} s)")
        except Exception as exc:  # one part failing to stop must not keep the others running
            console.print(f"[red]  could not stop {name} cleanly: {exc}[/]")

    threads = [threading.Thread(target=one, args=part, name=f"stop {part[0]}") for part in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LoaError(f"{what} exited with code {proc.returncode} while starting; see its log above")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise LoaError(f"{what} did not answer {url} within {timeout:.0f} s")


@dataclass
class Supervisor:
    cfg: Config
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    web: uvicorn.Server | None = None
    web_thread: threading.Thread | None = None
    urls: dict[str, str] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.cfg.layout.log(name), "ab")
        proc = subprocess.Popen(
            argv, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append((name, proc))
        return proc

    def start_prefect(self) -> str:
        if os.environ.get("PREFECT_API_URL"):
            return os.environ["PREFECT_API_URL"]
        port = self.cfg.ports.prefect
        api = f"http://{self.cfg.bind_host}:{port}/api"
        with step("starting Prefect server", " (a first start creates its database: about 30 s)"):
            proc = self.spawn(
                "prefect-server",
                [sys.executable, "-m", "prefect", "server", "start", "--host", self.cfg.bind_host, "--port", str(port)],
                prefect_env(self.cfg) | {"PREFECT_UI_API_URL": api},
            )  # the UI's API is not always :4200
            wait_http(f"{api}/health", 90, proc, f"Prefect server (log: {self.cfg.layout.log('prefect-server')})")
        self.urls["Prefect UI"] = f"http://{self.cfg.bind_host}:{port}"
        return api

    def start_broker(self) -> None:
        if os.environ.get("LOA_MQTT_URL"):
            self.urls["MQTT broker"] = self.cfg.mqtt.masked()
            return
        with step("starting Mosquitto"):
            self.procs.append(("mosquitto", broker.start(self.cfg)))
        self.urls["MQTT broker"] = f"mqtt://{self.cfg.bind_host}:{self.cfg.ports.mqtt}"

    def start_web(self) -> None:
        from channels.website import Website
        from loa.store.desk import index_unindexed

        store = Store.open(self.cfg.database_url)
        index_unindexed(store)  # versions drafted before the desk search was indexed at draft time
        # a site exists before the first notice is published (a full build only when there is none)
        if not self.cfg.layout.site_index.exists():
            Website(self.cfg, store).rebuild()
        config = uvicorn.Config(
            create_app(self.cfg), host=self.cfg.bind_host, port=self.cfg.ports.web, log_level="warning", lifespan="off"
        )
        self.web = uvicorn.Server(config)
        # the supervisor owns signals: uvicorn installs none when it runs off the main thread
        self.web_thread = threading.Thread(target=self.web.run, name="web", daemon=True)
        self.web_thread.start()
        base = f"http://{self.cfg.bind_host}:{self.cfg.ports.web}"
        wait_http(f"{base}/healthz", 15, what="web server")
        self.urls["Website"] = base + "/"
        self.urls["Radio playlists"] = base + "/radio/stations/"
        self.urls["Editorial desk"] = base + "/desk/"
        self.urls["Board page"] = base + "/board/"

    def start_runner(self, api: str) -> None:
        env = prefect_env(self.cfg) | {
            "PREFECT_API_URL": api,
            "PREFECT_RUNNER_POLL_FREQUENCY": str(max(1, int(self.cfg.runner_poll_seconds))),
            "LOA_HOME": str(self.cfg.home),
            "LOA_CONFIG_DIR": str(self.cfg.config_dir),
            "LOA_DATABASE_URL": self.cfg.database_url,
        }
        if not os.environ.get("LOA_MQTT_URL"):
            mq = self.cfg.mqtt
            env["LOA_MQTT_URL"] = f"mqtt://{mq.username}:{mq.password}@{mq.host}:{mq.port}"
        self.spawn("deployments", [sys.executable, "-m", "flows.serve"], env)
        wait_deployments(api, ["ingest/ingest", "dispatch/dispatch", "withdraw/withdraw"], 60)

    def proc(self, name: str) -> subprocess.Popen | None:
        return next((p for n, p in self.procs if n == name), None)

    def replace(self, name: str, proc: subprocess.Popen) -> None:
        self.procs = [(n, proc if n == name else p) for n, p in self.procs]

    def stopping(self) -> list[tuple[str, Callable[[], None]]]:
        """What there is to stop, as (name, how), for stop_together."""
        parts: list[tuple[str, Callable[[], None]]] = []
        if self.web is not None:
            parts.append(("web server", self._stop_web))
        for name, proc in reversed(self.procs):
            if name == "mosquitto":
                parts.append((LABELS[name], partial(broker.stop, self.cfg, proc, partial(terminate, proc))))
            else:
                parts.append((LABELS.get(name, name), partial(terminate, proc)))
        return parts

    def _stop_web(self) -> None:
        if self.web is not None:
            self.web.should_exit = True
        if self.web_thread is not None:
            self.web_thread.join(GRACE_SECONDS)


@dataclass
class Restarts:
    """When to restart a child that died: 1, 2, 4 … 60 s after each death, back to 1 s once it has
    stayed up for `healthy_after` seconds. Pure (times are passed in), so it is tested without processes."""

    first: float = 1.0
    longest: float = 60.0
    healthy_after: float = 300.0
    count: int = 0
    _delay: float = 0.0
    _started: float = 0.0

    def died(self, now: float) -> float:
        """Seconds to wait before the next start."""
        if self.count and now - self._started >= self.healthy_after:
            self._delay = 0.0  # it ran long enough: a new death starts the backoff again
        self._delay = self.first if not self._delay else min(self._delay * 2, self.longest)
        self.count += 1
        return self._delay

    def started(self, now: float) -> None:
        self._started = now


class BrokerKeeper:
    """Loa's own Mosquitto, kept running: a broker that dies (killed, out of memory) is started again with
    backoff while the website, desk and Prefect keep serving; each death and restart is printed and posted
    as an event (loa.broker.down, loa.broker.restarted) for the Prefect UI and automations. Retained
    notices survive in Mosquitto's persistence file (autosave every 30 s)."""

    def __init__(self, sup: Supervisor, api: str):
        self.sup, self.api = sup, api
        self.restarts = Restarts()
        self.restarts.started(time.monotonic())
        self.due: float | None = None

    def _event(self, name: str, **payload) -> None:
        from loa.app.events import post_event
        from loa.events import resource

        cfg = self.sup.cfg
        try:
            post_event(
                self.api,
                name,
                resource("broker", f"{cfg.bind_host}:{cfg.ports.mqtt}", "Loa's Mosquitto"),
                payload=payload,
            )
        except Exception as exc:  # an unreachable Prefect server must not stop the broker's restart
            console.print(f"[yellow]  could not post {name} to Prefect: {exc}[/]")

    def check(self, now: float) -> None:
        """Called once a second by `loa run`'s loop."""
        proc = self.sup.proc("mosquitto")
        if proc is None:
            return
        if self.due is None and proc.poll() is not None:
            delay = self.restarts.died(now)
            self.due = now + delay
            console.print(
                f"[red]mosquitto exited with code {proc.returncode}[/]; the website, desk and Prefect go "
                f"on; restarting it in {delay:.0f} s (restart {self.restarts.count}; log: "
                f"{self.sup.cfg.layout.mosquitto_log})"
            )
            self._event(events.BROKER_DOWN, exit_code=proc.returncode, restart_in_seconds=delay)
        if self.due is not None and now >= self.due:
            try:
                self.sup.replace("mosquitto", broker.start(self.sup.cfg))
            except LoaError as exc:
                delay = self.restarts.died(time.monotonic())
                self.due = time.monotonic() + delay
                console.print(f"[red]mosquitto did not start again: {exc}[/]; next try in {delay:.0f} s")
                return
            self.due = None
            self.restarts.started(time.monotonic())
            console.print(f"[green]mosquitto is running again[/] (restart {self.restarts.count})")
            self._event(events.BROKER_RESTARTED, restarts=self.restarts.count)


def wait_deployments(api: str, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    missing = names
    while time.monotonic() < deadline:
        missing = [n for n in names if requests.get(f"{api}/deployments/name/{n}", timeout=5).status_code != 200]
        if not missing:
            return
        time.sleep(0.5)
    raise LoaError(
        f"the deployment runner did not register {', '.join(missing)} within {timeout:.0f} s; "
        f"see {api} and LOA_HOME/logs/deployments.log"
    )


def run(cfg: Config, *, deployments: bool = True) -> int:
    started = time.monotonic()
    cfg.layout.logs.mkdir(parents=True, exist_ok=True)
    Store.open(cfg.database_url)  # migrate before anything else touches it
    sup = Supervisor(cfg)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    listener = automations = None
    try:
        api = sup.start_prefect()
        sup.start_broker()
        listener = board_monitor.start(cfg, api)  # board status and acks → store, loa.board.offline
        with step("starting web server"):
            sup.start_web()
        if deployments:  # off on a scale-out front machine: workers run prefect.yaml's deployments
            with step("starting deployments", " (the runner registers ingest, dispatch, withdraw…)"):
                sup.start_runner(api)
        cfg.layout.run_file.write_text(json.dumps({"prefect_api_url": api, "pid": os.getpid(), **sup.urls}))
        console.print(f"[bold green]Loa is running[/] (started in {time.monotonic() - started:.1f} s)")
        for name, url in sup.urls.items():
            console.print(f"  {name:16} {url}")
        console.print(f"  {'Prefect API':16} {api}")
        console.print(f"  {'Data (LOA_HOME)':16} {cfg.home}")
        console.print("Press Ctrl-C to stop.")
        automations = BackgroundSync(cfg, api, console)  # operators' alerts; start-up does not wait for it
        keeper = BrokerKeeper(sup, api)
        while not stop.wait(1):
            keeper.check(time.monotonic())  # the broker is restarted, never fatal
            dead = [(n, p.returncode) for n, p in sup.procs if n != "mosquitto" and p.poll() is not None]
            if dead:
                name, code = dead[0]
                console.print(f"[red]{name} exited with code {code}; stopping (log: {cfg.layout.logs})[/]")
                return 1
        return 0
    except LoaError as exc:
        console.print(f"[red]loa run: {exc}[/]")
        return 1
    finally:
        parts = sup.stopping()
        if listener is not None:
            parts.insert(1, ("board listener", listener.stop))
        if automations is not None and automations.proc.poll() is None:
            parts.append(("automations sync", automations.stop))
        seconds = stop_together(parts)
        cfg.layout.run_file.unlink(missing_ok=True)
        console.print(f"Loa stopped in {seconds:.1f} s")
