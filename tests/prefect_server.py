"""A real Prefect server for the few tests that need one: a private PREFECT_HOME, a free port, no UI,
no scheduler (tests start runs themselves); SQLite unless a PostgreSQL URL is given.

`shared_prefect_api` is one server for the whole pytest run, whichever xdist workers use it: starting
one costs ~13 s of CPU (most of it migrating a fresh database). Its users share its flows, deployments,
events and automations, so each test creates and queries only names and ids of its own."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

from tests.conftest import STATE, free_port, once_per_run, run_folder, sqlite_copy

SHARED = "prefect-shared"  # its once_per_run folder in the run's temp root: lock, state, PREFECT_HOME
#: leads the shared server's process group: when the pytest process that owns the run is gone (killed,
#: crashed) without stopping the server, it kills the group, itself included
WATCHDOG = "import os, select, sys; select.select([os.pidfd_open(int(sys.argv[1]))], [], []); os.killpg(0, 9)"
_shared: list[subprocess.Popen] = []  # the shared server and its watchdog, if this process started them


def prefect_env(home: Path, api: str | None = None) -> dict[str, str]:
    """The environment for Prefect processes in a test: nothing inherited from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_"))}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    if api:
        env["PREFECT_API_URL"] = api
    return env


def api_post(url: str, body: dict, attempts: int = 20) -> dict:
    """POST to the Prefect API, retrying its 503s: it sends them for errors a client can retry
    (SQLite busy while the server's own services start)."""
    for _ in range(attempts):
        response = requests.post(url, json=body, timeout=10)
        if response.status_code != 503:
            break
        time.sleep(0.5)
    response.raise_for_status()
    return response.json()


def _start(home: Path, database_url: str | None, timeout: float, group: int = 0) -> tuple[subprocess.Popen, str]:
    """Start a server in process group `group` (0: a group of its own) and wait until it answers."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = prefect_env(home) | {
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    }
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    log = home / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=group,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"prefect server exited ({proc.returncode}): {log.read_text()[-3000:]}")
            try:  # /ready also checks the database, which /health does not
                if requests.get(f"{api}/health", timeout=2).ok and requests.get(f"{api}/ready", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not answer within {timeout:.0f} s: {log.read_text()[-3000:]}")
            time.sleep(0.3)
    except BaseException:
        stop_group(proc, timeout=10, group=group)
        raise
    return proc, api


@contextmanager
def prefect_server(home: Path, *, database_url: str | None = None, timeout: float = 120):
    """Yields the API URL of a Prefect server started for the test; stops it (and its children) after."""
    proc, api = _start(home, database_url, timeout)
    try:
        yield api
    finally:
        stop_group(proc, timeout=10)


def stop_group(proc: subprocess.Popen, timeout: float = 20, group: int = 0) -> None:
    """Stop a process started in a process group of its own (start_new_session=True, process_group=0), or
    in `group`, and everything in that group."""
    group = group or proc.pid
    if proc.poll() is None:
        os.killpg(group, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            proc.wait(5)
    try:
        os.killpg(group, signal.SIGKILL)  # children that outlived their parent
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def shared_prefect_api(tmp_path_factory) -> str:
    """The API URL of the run's one Prefect server. The first process to ask starts it while the others
    wait on a lock; the run's controlling pytest process stops it at the end (`stop_shared_server`, from
    conftest), or its watchdog does if that process dies first."""

    def start(folder: Path) -> dict:
        owner = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()  # xdist's controller
        watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(owner)], process_group=0)
        _shared.append(watchdog)  # (a Popen dropped while its process runs warns)
        proc, api = _start(folder / "home", None, 120, group=watchdog.pid)
        _shared.append(proc)
        # its database, migrated and still empty: other Prefect homes of the run start from a copy
        _backup(folder / "home" / "prefect.db", folder / TEMPLATE_DB)
        return {"api": api, "pid": proc.pid, "pgid": watchdog.pid}

    return once_per_run(tmp_path_factory, SHARED, start)["api"]


TEMPLATE_DB = "template-prefect.db"


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its WAL included), written under another name first."""
    partial = target.with_suffix(".partial")
    sqlite_copy(source, partial)
    partial.replace(target)


@pytest.fixture(scope="session")
def migrated_prefect_db(tmp_path_factory, shared_prefect_api) -> Path:
    """A Prefect SQLite database already migrated (a copy of the shared server's, taken before any test
    used it). A fresh Prefect home spends ~6 s of CPU and of start-up migrating its database; a `loa run`
    in a test starts from a copy of this one instead (seed_prefect_home)."""
    return run_folder(tmp_path_factory, SHARED) / TEMPLATE_DB


def seed_prefect_home(home: Path, template: Path) -> None:
    """Put the migrated database where Prefect looks for it (PREFECT_HOME/prefect.db) before a first start;
    the server then only checks that its migrations are applied."""
    _backup(template, home / "prefect.db")


def stop_shared_server(basetemp: Path, timeout: float = 10) -> None:
    """Stop the run's shared server, if one was started (called by the controller: `basetemp` is its own)."""
    state = basetemp / SHARED / STATE
    if not state.exists():
        return
    server = json.loads(state.read_text())
    try:
        exited = os.pidfd_open(server["pid"])
        os.killpg(server["pgid"], signal.SIGTERM)
    except ProcessLookupError:
        return
    select.select([exited], [], [], timeout)  # until the server has exited (or the timeout)
    os.close(exited)
    with suppress(ProcessLookupError):
        os.killpg(server["pgid"], signal.SIGKILL)  # what outlived it
    for pid in (server["pid"], server["pgid"]):  # without xdist they are this process's children: reap them
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)
