"""The boards part of Loa's web server: the MQTT WebSocket relay, the reference board page, ack counts.

- /mqtt                   WebSocket (subprotocol "mqtt") relayed to the broker's TCP listener
- /board/                 the reference board page (?board=ID&area=PATH[&profile=…][&broker=wss://…])
- /board/static/…         its script, style and vendored libraries (mqtt.js, qrcode-generator)
- /boards/acks/<id>.json  how many of a notice's target boards have shown it (for the notice page)
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from loa.app.relay import RelayGate, allowed_origins, relay
from loa.config import Config
from loa.errors import NotFound

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static" / "board"


def renamed_paths() -> dict[str, str]:
    """Every pre-2025 commune path the shipped mapping files place, with the 2025 unit it became."""
    from loa.area_migration import mappings

    return {old: place for m in mappings() for old in m.communes if (place := m.remap(old).place) is not None}


def page_settings(cfg: Config) -> dict:
    """What the board page needs to know; public (no secrets): the board's password comes from its URL fragment."""
    from loa.signing import Signer

    settings = cfg.boards
    return {
        "topic_prefix": cfg.mqtt_topic_prefix,
        "broker_ws_url": settings.broker_ws_url,
        # the only brokers the page may send its credentials to ("" is Loa's own relay at /mqtt);
        # a ?broker= naming any other is refused by the page, and by the CSP's connect-src
        "allowed_brokers": list(settings.broker_urls),
        "default_profile": settings.default_profile,
        "profiles": [{"id": p.id, "name": p.name, "width": p.width, "lines": p.lines} for p in settings.profiles],
        "rotate_seconds": settings.rotate_seconds,
        "areas": {path: area.name for path, area in cfg.areas.items()},
        # pre-2025 three-level paths a board may still be configured with → their 2025 unit
        "renamed": renamed_paths(),
        # served by Loa itself, so the board can pin the key and refuse any other on the key topic
        "pinned_key": Signer.load_or_create(cfg.layout.signing_key).public_key_document(),
    }


def board_csp(cfg: Config, host: str) -> str:
    """The board page's Content-Security-Policy: its own scripts only, and connections only to the relay
    on this host and the configured brokers, so even a script injected somehow cannot hand the board's
    password to another server."""
    brokers = [u for u in cfg.boards.broker_urls if u]
    if re.fullmatch(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", host):
        brokers += [f"ws://{host}/mqtt", f"wss://{host}/mqtt"]
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {' '.join(brokers)}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def mount_boards(app: FastAPI, cfg: Config) -> None:
    from loa.render import make_env

    env = make_env()
    broker = cfg.mqtt

    @lru_cache(maxsize=1)
    def store():
        from loa.store import Store

        return Store.open(cfg.database_url)

    gate = RelayGate(allowed_origins(cfg), cfg.boards.relay_max_per_address)

    @app.websocket("/mqtt")
    async def mqtt_relay(ws: WebSocket) -> None:
        await relay(ws, broker.host, broker.port, gate)

    @app.get("/board", include_in_schema=False)
    def board_slash(request: Request) -> RedirectResponse:
        return RedirectResponse(request.url.replace(path="/board/"), status_code=308)

    @app.get("/board/", response_class=HTMLResponse)
    def board_page(request: Request) -> HTMLResponse:
        html = env.get_template("board/page.html").render(
            site_title=cfg.site_title, static="/board/static", settings=page_settings(cfg)
        )
        return HTMLResponse(
            html,
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": board_csp(cfg, request.headers.get("host", "")),
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @app.get("/boards/acks/{notice_id}.json")
    def acks(notice_id: int) -> dict:
        from loa.store.boards import ack_counts

        try:
            return ack_counts(store(), notice_id).as_dict()
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    app.mount("/board/static", StaticFiles(directory=STATIC), name="board-static")
