"""`loa run`'s board and speaker monitoring: the board listener, with state changes sent as Prefect events.

A board going offline becomes a `loa.board.offline` event (resource `loa.board.<id>`,
related to its area) that operators see in the Prefect UI and can automate on; when it
reports again, `loa.board.online` (the "board offline" automation waits for it).
"""

from __future__ import annotations

import logging

from loa import events
from loa.config import Config
from loa.store import Store

log = logging.getLogger(__name__)

log = logging.getLogger("loa.boards")


def board_event(cfg: Config, change) -> tuple[str, dict, list[dict], dict] | None:
    """loa.board.offline when a board goes offline; loa.board.online when an offline board reports again."""
    if change.new == "offline":
        name = events.BOARD_OFFLINE
    elif change.new == "online" and change.old == "offline":
        name = events.BOARD_ONLINE
    else:
        return None  # first sight of a board (unknown → online) is not news
    board = change.board
    return (
        name,
        events.resource("board", board.id, board.name or board.id),
        [events.resource("area", board.area, cfg.area_name(board.area), role="area")],
        {"board": board.id, "area": board.area, "previous": change.old, "at": change.at.isoformat()},
    )


def speaker_event(cfg: Config, change) -> tuple[str, dict, list[dict], dict] | None:
    """loa.speaker.offline / .online like a board's; loa.speaker.failed for an item it could not play."""
    sp = change.speaker
    payload = {"speaker": sp.id, "station": sp.station, "previous": change.old, "at": change.at.isoformat()}
    if change.new == "failed":
        name = events.SPEAKER_FAILED
        ack = change.ack or {}
        notice = ack.get("notice")
        payload |= {
            "slot": ack.get("slot") or "",
            "item": ack.get("item") or "",
            "notice": list(notice) if notice else None,
            "detail": ack.get("detail") or "",
        }
    elif change.new == "offline":
        name = events.SPEAKER_OFFLINE
    elif change.old == "offline":
        name = events.SPEAKER_ONLINE
    else:
        return None  # first sight, or online → playing → idle: not news
    return (
        name,
        events.resource("speaker", sp.id, sp.name or sp.id),
        [events.resource("station", sp.station, sp.station, role="station")],
        payload,
    )


def start(cfg: Config, prefect_api: str | None, store: Store | None = None):
    """Start the listener in the background (it connects when the broker is up); returns it for stop()."""
    from channels.board_listener import BoardListener
    from loa.app.events import post_event

    def on_change(change) -> None:
        event = board_event(cfg, change)
        if event is None or not prefect_api:
            return
        name, resource, related, payload = event
        post_event(prefect_api, name, resource, related=related, payload=payload)

    def on_speaker(change) -> None:
        event = speaker_event(cfg, change)
        if event is None or not prefect_api:
            return
        name, resource, related, payload = event
        post_event(prefect_api, name, resource, related=related, payload=payload)

    return BoardListener(cfg, store or Store.open(cfg.database_url), on_change=on_change, on_speaker=on_speaker).start()
