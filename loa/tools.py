"""The one way Loa runs an external program (ffmpeg, ffprobe, espeak-ng, a voice command,
mosquitto_passwd): looked up on PATH at call time, stopped by a watchdog when it runs too long,
and every failure a ToolError (or the caller's subclass, e.g. AudioError) that names the
program, the file it worked for, its exit code and last message, and what to do.

`run()` is for a program that reads its input and ends; `spawn()` + `Watchdog` for the
streaming pipelines of loa.speech.tts, which feed several processes at once.
Long-running services (Mosquitto, the web server, Prefect workers in loa/app/run.py and
loa/app/broker.py) are supervised processes, not tools: they are started there on purpose.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loa.errors import ToolError

log = logging.getLogger(__name__)

#: seconds one tool may run before it is killed (a 1,000-word notice takes ~1.5 s in all)
TIMEOUT: float = 600.0

#: what to do when a program is not found, by its label
INSTALL = {
    "espeak-ng": "install espeak-ng (apt-get install espeak-ng) or set LOA_ESPEAK_BIN to its path",
    "ffmpeg": "install ffmpeg with libmp3lame (apt-get install ffmpeg) or set LOA_FFMPEG_BIN to its path",
    "ffprobe": "install ffmpeg, which provides ffprobe (apt-get install ffmpeg), or set LOA_FFPROBE_BIN",
    "mosquitto_passwd": "install mosquitto (apt-get install mosquitto)",
}

_NOISE = re.compile(r"corrupt input packet|Packet corrupt|Guessed Channel Layout|^size=|^video:")
_TELLING = re.compile(
    r"error|invalid|no such|not found|unknown|unable|cannot|could not|failed|denied|does not exist|permission|no space",
    re.I,
)


def find(
    program: str,
    label: str,
    subject: object,
    *,
    hint: str | None = None,
    error: type[ToolError] = ToolError,
    extra: Sequence[Path] = (),
) -> str:
    """The full path of `program` (a name on PATH or a path), else `error` saying what to install.
    `extra`: places to look when it is not on PATH (e.g. /usr/sbin for a non-root user)."""
    found = shutil.which(program) or next((str(p) for p in extra if p.is_file()), None)
    if not found:
        raise error(
            f"{label} not found (looked for {program!r} on PATH) while making {subject}: "
            f"{hint or INSTALL.get(label, f'install {label} or give its full path')}",
            path=subject if isinstance(subject, Path) else None,
            tool=label,
        )
    return found


def last_message(stderr: str) -> str:
    """The line of a tool's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not _NOISE.search(ln)]
    for ln in reversed(lines):
        if _TELLING.search(ln):
            return ln[:300]
    return lines[-1][:300] if lines else "(no message)"


class Watchdog:
    """Kills the given processes (the list may grow while it runs) if the stage runs longer
    than `timeout` seconds; `fired` tells afterwards whether it did."""

    def __init__(self, procs: list[subprocess.Popen], timeout: float | None = None):
        self.fired = False
        self.timeout = TIMEOUT if timeout is None else timeout
        self._procs = procs
        self._timer = threading.Timer(self.timeout, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        self.fired = True
        for p in self._procs:
            if p.poll() is None:
                p.kill()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def failure(
    tool: str,
    returncode: int,
    stderr: str,
    subject: object,
    doing: str,
    hint: str,
    *,
    timed_out: float | None = None,
    error: type[ToolError] = ToolError,
) -> ToolError:
    """The error for a tool that failed (`timed_out`: the watchdog's limit when it stopped it)."""
    path = subject if isinstance(subject, Path) else None
    if timed_out is not None:
        return error(
            f"{tool} took longer than {timed_out:.0f} s {doing} for {subject} and was stopped; "
            "the input may be unusually long, or the machine overloaded (loa.tools.TIMEOUT)",
            path=path,
            tool=tool,
            returncode=returncode,
        )
    return error(
        f"{tool} failed (exit code {returncode}) {doing} for {subject}: {last_message(stderr)}; {hint}",
        path=path,
        tool=tool,
        returncode=returncode,
        detail=stderr[-4000:],
    )


def _not_started(
    cmd: list[str], tool: str, subject: object, doing: str, exc: OSError, error: type[ToolError]
) -> ToolError:
    return error(
        f"{tool} could not be started{doing} for {subject}: {exc}; check that {cmd[0]} is an executable program",
        path=subject if isinstance(subject, Path) else None,
        tool=tool,
    )


def spawn(
    cmd: list[str], tool: str, subject: object, *, error: type[ToolError] = ToolError, **popen: Any
) -> subprocess.Popen:
    """Start `cmd` (a program that could not even be started is `error`, naming it)."""
    log.debug("start %s: %s", tool, cmd)
    try:
        return subprocess.Popen(cmd, **popen)
    except OSError as exc:
        raise _not_started(cmd, tool, subject, "", exc, error) from exc


def run(
    cmd: list[str],
    tool: str,
    subject: object,
    doing: str,
    hint: str,
    *,
    input: bytes | None = None,
    timeout: float | None = None,
    error: type[ToolError] = ToolError,
) -> subprocess.CompletedProcess[bytes]:
    """Run `cmd` to its end with stdout and stderr captured; a non-zero exit, or a run longer
    than `timeout` (default TIMEOUT), is `error` naming the tool, `subject`, `doing` and `hint`."""
    limit = TIMEOUT if timeout is None else timeout
    log.debug("run %s %s for %s", tool, doing, subject)
    try:
        proc = subprocess.run(
            cmd,
            input=input,
            capture_output=True,
            timeout=limit,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise failure(tool, -9, "", subject, doing, hint, timed_out=limit, error=error) from exc
    except OSError as exc:
        raise _not_started(cmd, tool, subject, f" {doing}", exc, error) from exc
    if proc.returncode != 0:
        raise failure(tool, proc.returncode, proc.stderr.decode("utf-8", "replace"), subject, doing, hint, error=error)
    return proc
