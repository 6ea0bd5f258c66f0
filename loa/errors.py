"""Errors that carry what failed, for which thing, and what to do."""

from __future__ import annotations


class LoaError(Exception):
    """Base class: str(err) is a complete, user-facing sentence."""


class ConfigError(LoaError):
    """A bad config value: names the file, the key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str):
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")


class FeedError(LoaError):
    """A feed that cannot be used this pass. `reason` is a short machine-readable tag."""

    def __init__(self, url: str, reason: str, detail: str, transient: bool = False):
        self.url, self.reason, self.detail, self.transient = url, reason, detail, transient
        super().__init__(f"feed {url}: {reason}: {detail}")


class NotFound(LoaError):
    pass


class InvalidTransition(LoaError):
    pass
