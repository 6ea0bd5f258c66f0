"""Broker accounts of the devices Loa serves, boards (`loa boards add`) and loudspeakers (`loa speakers
add|reset|disable`): one id space for both, one way to write an account and see the broker accept it."""

from __future__ import annotations

import time
from typing import Literal

from loa.config import Config
from loa.errors import LoaError, ToolError
from loa.store import Store

Kind = Literal["board", "speaker"]
_NOUN: dict[Kind, str] = {"board": "board", "speaker": "loudspeaker"}

#: how long a reloaded broker has to accept a new password before the account counts as not accepted
ACCEPT_WITHIN = 5.0


def check_id_free(store: Store, kind: Kind, device_id: str, exists_hint: str) -> None:
    """A LoaError when a board or a speaker already has `device_id`: both are user names on one broker.
    `exists_hint` says what to do when a device of the same kind has it."""
    from loa.store.boards import boards
    from loa.store.speakers import speakers

    holder: Kind | None = (
        "board"
        if any(b.id == device_id for b in boards(store))
        else "speaker"
        if any(sp.id == device_id for sp in speakers(store))
        else None
    )
    if holder == kind:
        raise LoaError(f"{kind} {device_id!r} already exists; {exists_hint}")
    if holder is not None:
        raise LoaError(f"{device_id!r} is a {_NOUN[holder]}'s account; a {kind} needs a name of its own")


def apply_account(cfg: Config, device_id: str, password: str | None, failed: str) -> tuple[bool, bool | None]:
    """Write a device's password (None: remove its account) and the ACL, and reload a running broker.

    Returns (reloaded, accepted): whether a running broker was told to reload, and whether it then accepts
    the new password (None when nothing was checked: another broker, none running, or an account removed).
    A write that fails is a LoaError beginning with `failed` (which device, and what state it is left in).
    """
    from loa.app import broker

    if not broker.manages_accounts(cfg):
        return False, None
    try:
        # password hashed by mosquitto_passwd, ACL rewritten from the store, SIGHUP to a running broker
        accounts = [(device_id, password)] if password is not None else []
        reloaded = broker.add_board_accounts(cfg, accounts, remove=() if password is not None else (device_id,))
    except (OSError, ToolError) as exc:
        raise LoaError(f"{failed} ({exc}); check {cfg.layout.mosquitto}") from exc
    if not reloaded or password is None:
        return reloaded, None
    return reloaded, _accepts(cfg, device_id, password)


def _accepts(cfg: Config, user: str, password: str) -> bool:
    from channels.mqtt import probe
    from loa.config import MqttURL

    url, deadline = cfg.mqtt, time.monotonic() + ACCEPT_WITHIN
    while (why := probe(MqttURL(url.host, url.port, user, password))) and time.monotonic() < deadline:
        time.sleep(0.1)  # Mosquitto applies SIGHUP on its next loop turn
    return why is None
