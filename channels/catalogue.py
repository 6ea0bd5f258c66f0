"""The channels Loa dispatches to: one literal list, and how they are built (and wired) from config.

Each entry names its class by dotted path, imported only when that channel is built: the approving
process (`loa approve`, the desk) builds only the channels delivered at approval and never imports the
website's, radio's, print or CAP code. What the dispatch needs to know of a channel (`after`, `broker`)
is declared on its class; whether the approving process delivers it itself is a wiring decision made
here (`at_approval`: fast, signed text only, nothing to prepare), set on the built channel.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from channels.base import Channel
    from channels.printed import Printed
    from loa.config import Config
    from loa.store import Store


@dataclass(frozen=True)
class Entry:
    name: str
    path: str  # "module:Class"
    #: delivered from the approving process itself, before the dispatch run starts (loa/publishing)
    at_approval: bool = False


CATALOGUE: tuple[Entry, ...] = (
    Entry("website", "channels.website:Website"),
    Entry("boards", "channels.boards:Boards", at_approval=True),
    Entry("radio", "channels.radio:Radio"),
    Entry("print", "channels.printed:Printed"),
    Entry("webhook", "channels.webhook:Webhook"),
    Entry("cap", "channels.cap:Cap"),
    Entry("messaging", "channels.messaging:Messaging"),
)
NAMES = tuple(e.name for e in CATALOGUE)
AT_APPROVAL = tuple(e.name for e in CATALOGUE if e.at_approval)


@cache
def channel_class(name: str) -> type:
    """The class of the channel named, imported now."""
    entry = _entry(name)
    module, _, attribute = entry.path.partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    if cls.name != name:
        raise ValueError(f"channels/catalogue.py: {entry.path} is the {cls.name!r} channel, not {name!r}")
    return cls


def channel_classes() -> tuple[type, ...]:
    """Every channel class, in catalogue order (imports them all)."""
    return tuple(channel_class(name) for name in NAMES)


def build_channels(cfg: Config, store: Store, names: list[str] | tuple[str, ...] | None = None) -> dict[str, Channel]:
    """The channels named (all by default), in catalogue order; only their modules are imported."""
    unknown = set(names or ()) - set(NAMES)
    if unknown:
        raise ValueError(f"no channel named {', '.join(sorted(unknown))}; the channels are {', '.join(NAMES)}")
    built: dict[str, Channel] = {}
    for entry in CATALOGUE:
        if names is None or entry.name in names:
            made = printed(cfg, store) if entry.name == "print" else channel_class(entry.name)(cfg, store)
            channel = cast("Channel", made)  # at_approval is the catalogue's word, set here
            channel.at_approval = entry.at_approval
            built[entry.name] = channel
    return built


def printed(cfg: Config, store: Store) -> Printed:
    """The print channel, re-rendering the website's area pages when bulletins are remade."""
    return channel_class("print")(cfg, store, pages=channel_class("website")(cfg, store).refresh_areas)


def _entry(name: str) -> Entry:
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise ValueError(f"no channel named {name}; the channels are {', '.join(NAMES)}")
