"""`loa` run inside the test process: the console script's own entry point (`loa.app.cli:main`) with its
argv, environment and terminal width, as a new process would have them, minus the ~1 s of imports and
start-up each `loa` process costs. For what `loa` prints and its exit status; what is about the process
itself (the installed executable, a traceback on a crash) stays with a real subprocess."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from loa import runtime
from loa.app.cli import main
from loa.app.cli_common import err, out

LOA = str(Path(sys.executable).parent / "loa")


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def invoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str
) -> Done:
    """Run `loa *args` with only these LOA_* variables (and no PREFECT_* ones), like a subprocess given
    `env`; stdout and stderr are those of the command alone."""
    with monkeypatch.context() as m:
        for name in list(os.environ):
            if name.startswith(("LOA_", "PREFECT_")) or name in ("COLUMNS", "LINES"):
                m.delenv(name)
        for name, value in env.items():
            m.setenv(name, value)
        m.setattr(sys, "argv", [LOA, *args])  # the callback that validates the config reads it (--help)
        # Rich sizes a console from COLUMNS/LINES when it is made (at import): unset, it reads them on
        # each print, as the new process's consoles would have them.
        for console in (out, err):
            m.setattr(console, "_width", None)
            m.setattr(console, "_height", None)
        # a new process loads (and validates) the config and opens the store afresh
        runtime._config.cache_clear()
        runtime._open.cache_clear()
        capsys.readouterr()
        try:
            main()
            returncode = 0
        except SystemExit as exc:
            returncode = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            runtime._config.cache_clear()
            runtime._open.cache_clear()
        done = capsys.readouterr()
    return Done(returncode, done.out, done.err)
