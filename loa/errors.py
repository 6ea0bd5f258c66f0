"""Errors that carry what failed, for which thing, and what to do."""

from __future__ import annotations

from pathlib import Path


class LoaError(Exception):
    """Base class: str(err) is a complete, user-facing sentence."""


class ConfigError(LoaError):
    """A bad config value: names the file, the key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str):
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")

    def __reduce__(self):  # rebuilt from its parts when it crosses a process boundary
        return type(self), (self.file, self.key, self.problem)


class FeedError(LoaError):
    """A feed that cannot be used this pass. `reason` is a short machine-readable tag."""

    def __init__(self, url: str, reason: str, detail: str, transient: bool = False):
        self.url, self.reason, self.detail, self.transient = url, reason, detail, transient
        super().__init__(f"feed {url}: {reason}: {detail}")

    def __reduce__(self):  # raised in a parse worker process, re-raised in the pass that asked
        return type(self), (self.url, self.reason, self.detail, self.transient)


class NotFound(LoaError):
    pass


class InvalidTransition(LoaError):
    pass


class ToolError(LoaError):
    """An external program (ffmpeg, espeak-ng, mosquitto_passwd ...) is missing, failed or ran too
    long. str() names the program, the file it worked for and what to do; `detail` keeps the end
    of its stderr for the log."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        tool: str | None = None,
        returncode: int | None = None,
        detail: str | None = None,
    ):
        self.path, self.tool, self.returncode, self.detail = path, tool, returncode, detail
        super().__init__(message)


class AudioError(ToolError):
    """Audio could not be made or read. str() says what failed, for which file, and what to do."""
