"""The channel interface: what a channel does and what it declares for the dispatch.

A channel is built from validated config (bad config fails at start), names its targets for a notice,
and delivers to them. Delivery failures come back as DeliveryResult values, never exceptions, so one
unreachable target never stops the others; the dispatcher records each result as a delivery row.
The channels Loa dispatches to are one literal list in channels/catalogue.py (by dotted path, imported
when built); no channel module imports another (shared file names are in loa/layout.py).
"""

from __future__ import annotations

import logging
from typing import Protocol

from loa.model import DeliveryResult, NoticeView

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str
    #: channels whose delivery must be done (whatever its outcome) before this one starts
    after: tuple[str, ...]
    #: publishes to the MQTT broker: its deliveries share the broker publish limit
    broker: bool
    #: delivered from the approving process itself (loa/publishing): not a class declaration but set on
    #: the built channel from its channels/catalogue.py entry, so an approval imports no other channel
    at_approval: bool

    def targets(self, notice: NoticeView) -> list[str]:
        """Where this notice goes on this channel (site, area paths, station ids)."""

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        """Publish the notice's variant for this channel to each target; idempotent per target."""

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        """Take the notice off each target."""

    def describe(self) -> dict:
        """Settings for operators, secrets masked."""


def failure(channel: str, targets: list[str], detail: str, transient: bool = True) -> list[DeliveryResult]:
    """The one form of a failed delivery: a value per target, logged once (the dispatch records it)."""
    if targets:
        log.warning("%s → %s: %s%s", channel, ", ".join(targets), detail, " (may pass on its own)" if transient else "")
    return [DeliveryResult(channel, t, False, detail, transient) for t in targets]


def failed(channel: str, target: str, detail: str, transient: bool = True) -> DeliveryResult:
    """failure() for one target."""
    return failure(channel, [target], detail, transient)[0]
