"""The channel interface and registry.

A channel is built from validated config (bad config fails at start), names
its targets for a notice, and delivers to them. Delivery failures come back
as DeliveryResult values, never exceptions, so one unreachable target never
stops the others; the dispatcher records each result as a delivery row.
"""

from __future__ import annotations

from typing import Protocol

from loa.config import Config
from loa.model import DeliveryResult, NoticeView
from loa.store import Store


class Channel(Protocol):
    name: str

    def targets(self, notice: NoticeView) -> list[str]:
        """Where this notice goes on this channel (site, area paths, station ids)."""

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        """Publish the notice's variant for this channel to each target; idempotent per target."""

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        """Take the notice off each target."""

    def describe(self) -> dict:
        """Settings for operators, secrets masked."""


REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    REGISTRY[cls.name] = cls
    return cls


def build_channels(cfg: Config, store: Store, names: list[str] | None = None) -> dict[str, Channel]:
    from channels import boards, printed, radio, webhook, website  # noqa: F401  (registers the classes)
    from channels import cap, messaging  # noqa: F401  issue 16 hook: CAP alerts, messaging apps and SMS

    return {name: cls(cfg, store) for name, cls in REGISTRY.items() if names is None or name in names}


# Channels whose output links the radio audio, so they run once radio is done (issue 16 added "cap").
AFTER_RADIO = ("cap", "website")


def failure(channel: str, targets: list[str], detail: str, transient: bool = True) -> list[DeliveryResult]:
    return [DeliveryResult(channel, t, False, detail, transient) for t in targets]
