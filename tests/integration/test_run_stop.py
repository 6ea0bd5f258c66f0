"""Stopping `loa run`: every service at once, each whole process group (a service's own children too),
a service that ignores SIGTERM killed after the grace period, Mosquitto's pid file removed."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from loa.app import broker
from loa.app.run import GRACE_SECONDS, stop_together, terminate

pytestmark = pytest.mark.integration

# a service that ignores SIGTERM and has a child of its own (as `prefect server start` runs its API)
STUBBORN = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def stubborn() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, start_new_session=True)
    return proc, int(proc.stdout.readline())


def gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":  # killed, not yet reaped by init
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_services_stop_together_groups_and_all_and_the_pid_file_goes(cfg, capsys):
    mosquitto = broker.start(cfg)
    assert broker.pid_file(cfg).exists()
    (a, a_child), (b, b_child) = stubborn(), stubborn()
    seconds = stop_together(
        [
            ("Mosquitto", lambda: broker.stop(cfg, mosquitto, lambda: terminate(mosquitto))),
            ("runner", lambda: terminate(a)),
            ("Prefect server", lambda: terminate(b)),
        ]
    )
    # two services that each need the whole grace period: together, not one after the other
    assert seconds < 2 * GRACE_SECONDS, seconds
    assert mosquitto.poll() is not None and a.poll() is not None and b.poll() is not None
    assert gone(a_child) and gone(b_child), "a service's own child outlived it"
    assert not broker.pid_file(cfg).exists(), "mosquitto.pid left behind"
    out = capsys.readouterr()
    said = out.out + out.err
    assert "stopping: Mosquitto, runner, Prefect server…" in said
    for name in ("Mosquitto", "runner", "Prefect server"):
        assert f"stopped {name} (" in said, said


def test_a_service_already_gone_is_no_error(cfg):
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    proc.wait()
    terminate(proc)  # no ProcessLookupError, no wait
    assert proc.returncode == 0
