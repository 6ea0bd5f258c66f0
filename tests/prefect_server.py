"""A real Prefect server for the few tests that need one: a private PREFECT_HOME, a free port, no UI,
no scheduler (tests start runs themselves); SQLite unless a PostgreSQL URL is given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.conftest import free_port


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


@contextmanager
def prefect_server(home: Path, *, database_url: str | None = None, timeout: float = 120):
    """Yields the API URL of a Prefect server started for the test; stops it (and its children) after."""
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
            start_new_session=True,
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
        yield api
    finally:
        stop_group(proc, timeout=10)


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent
    except ProcessLookupError:
        pass
