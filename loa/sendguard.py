"""The check a channel makes just before it sends (issue 17: withdrawal wins, at most once).

The dispatcher (loa.publishing.dispatch.deliver) installs a guard for the channel call it makes; a
channel asks `allowed(channel, targets)` right before publishing and `sent(channel)` right after.
The guard re-reads the notice (a withdrawal or a newer version stops what is not yet sent), renews the
claims and, for a send that cannot be taken back, records that it starts. Without a guard (a channel
used on its own, as in unit tests or `loa boards reassert`) everything is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from loa import faults

Check = Callable[[str, list[str]], list[str]]

_guard: ContextVar[Check | None] = ContextVar("loa_send_guard", default=None)


@contextmanager
def installed(check: Check) -> Iterator[None]:
    token = _guard.set(check)
    try:
        yield
    finally:
        _guard.reset(token)


def allowed(channel: str, targets: list[str]) -> list[str]:
    """The targets still to be sent now (none once the notice was withdrawn or replaced)."""
    check = _guard.get()
    return list(targets) if check is None else check(channel, list(targets))


def sent(channel: str) -> None:
    """A send was acknowledged (a fault point for the bench)."""
    faults.point("after_send", channel)
