"""The channels Loa dispatches to: one literal list, and how they are built (and wired) from config."""

from __future__ import annotations

from typing import Protocol

from channels.base import Channel
from channels.boards import Boards
from channels.cap import Cap
from channels.messaging import Messaging
from channels.printed import Printed
from channels.radio import Radio
from channels.webhook import Webhook
from channels.website import Website
from loa.config import Config
from loa.store import Store


class ChannelClass(Protocol):
    """A channel class: its declarations, read before any channel is built, and its constructor."""

    name: str
    at_approval: bool

    def __call__(self, cfg: Config, store: Store) -> Channel: ...


CHANNEL_CLASSES: tuple[ChannelClass, ...] = (Website, Boards, Radio, Printed, Webhook, Cap, Messaging)
NAMES = tuple(cls.name for cls in CHANNEL_CLASSES)


def build_channels(cfg: Config, store: Store, names: list[str] | None = None) -> dict[str, Channel]:
    """The channels named (all by default), in the order of CHANNEL_CLASSES."""
    unknown = set(names or ()) - set(NAMES)
    if unknown:
        raise ValueError(f"no channel named {', '.join(sorted(unknown))}; the channels are {', '.join(NAMES)}")
    built: dict[str, Channel] = {}
    for cls in CHANNEL_CLASSES:
        if names is None or cls.name in names:
            built[cls.name] = printed(cfg, store) if cls is Printed else cls(cfg, store)
    return built


def printed(cfg: Config, store: Store) -> Printed:
    """The print channel, re-rendering the website's area pages when bulletins are remade."""
    return Printed(cfg, store, pages=Website(cfg, store).refresh_areas)
