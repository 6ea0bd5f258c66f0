"""The audio player: a real program (mpv by default) started per file, stoppable at once."""

from __future__ import annotations

import logging
import shlex
import subprocess
import tempfile
from pathlib import Path

from loa import tools

log = logging.getLogger(__name__)

DEFAULT_PLAYER = "mpv --no-video --really-quiet {file}"


def command(template: str, path: Path) -> list[str]:
    """The argv for one file: `{file}` in the template is replaced (appended when absent). No shell."""
    args = shlex.split(template)
    if not args:
        raise ValueError("the player command is empty")
    if not any("{file}" in a for a in args):
        return [*args, str(path)]
    return [a.replace("{file}", str(path)) for a in args]


class Playing:
    """One file being played."""

    def __init__(self, argv: list[str]):
        self._err = tempfile.TemporaryFile()
        try:
            self.proc = tools.spawn(
                argv, "player", argv[-1], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err
            )
        except tools.ToolError:
            self._err.close()
            raise

    def poll(self) -> int | None:
        return self.proc.poll()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()

    def problem(self) -> str:
        """The player's last stderr line (why it failed), or its exit code."""
        self._err.seek(0)
        lines = [ln for ln in self._err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        self._err.close()
        return (lines[-1].strip()[:200] if lines else "") or f"player exited with code {self.proc.returncode}"


class Player:
    def __init__(self, template: str = DEFAULT_PLAYER):
        self.template = template
        command(template, Path("x"))  # a bad template fails at start, not at slot time

    def start(self, path: Path) -> Playing:
        return Playing(command(self.template, path))
