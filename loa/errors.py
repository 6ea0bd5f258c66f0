"""Errors that carry what failed, for which thing, and what to do."""

from __future__ import annotations


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
