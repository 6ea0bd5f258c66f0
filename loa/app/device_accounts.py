"""Broker accounts of boards (`loa boards add`) and loudspeakers (`loa speakers add|reset|disable`): one id
space for both, one way to write an account and to see the broker accept it."""

from __future__ import annotations

import time
from typing import Literal

from loa.config import Config
from loa.errors import LoaError, ToolError
from loa.store import Store


def check_id_free(store: Store, kind: Literal["board", "speaker"], device_id: str, exists_hint: str) -> None:
    """A LoaError when a board or a speaker has `device_id` (both are user names on one broker);
    `exists_hint` says what to do when the holder is a `kind` too."""
    from loa.store.boards import boards
    from loa.store.speakers import speakers

    taken = {"board": boards(store, only=device_id), "speaker": speakers(store, only=device_id)}
    holder = next((k for k, found in taken.items() if found), None)
    if holder == kind:
        raise LoaError(f"{kind} {device_id!r} already exists; {exists_hint}")
    if holder is not None:
        noun = "loudspeaker" if holder == "speaker" else holder
        raise LoaError(f"{device_id!r} is a {noun}'s account; a {kind} needs a name of its own")


def apply_account(cfg: Config, device_id: str, password: str | None, failed: str) -> tuple[bool, bool | None]:
    """Write a device's password (None: remove its account) and the ACL, and reload a running broker.

    Returns (reloaded, accepted): accepted is None when nothing was probed (another broker, none running,
    an account removed). A failed write is a LoaError: `failed` (which device, left in what state) and why.
    """
    from channels.mqtt import probe
    from loa.app import broker
    from loa.config import MqttURL

    if not broker.manages_accounts(cfg):
        return False, None
    try:
        # password hashed by mosquitto_passwd, ACL rewritten from the store, SIGHUP to a running broker
        accounts = [(device_id, password)] if password is not None else []
        reloaded = broker.set_device_accounts(cfg, accounts, remove=() if accounts else (device_id,))
    except (OSError, ToolError) as exc:
        raise LoaError(f"{failed} ({exc}); check {cfg.layout.mosquitto}") from exc
    if not reloaded or password is None:
        return reloaded, None
    url, deadline = cfg.mqtt, time.monotonic() + 5
    while (why := probe(MqttURL(url.host, url.port, device_id, password))) and time.monotonic() < deadline:
        time.sleep(0.1)  # Mosquitto applies SIGHUP on its next loop turn
    return reloaded, why is None
