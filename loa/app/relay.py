"""MQTT over WebSockets for browser boards: a byte relay to the broker's TCP listener (DESIGN §9).

Debian 12's Mosquitto 2.0.11 cannot open a websockets listener here, so Loa's
web server accepts WebSocket connections with the "mqtt" subprotocol and
copies bytes both ways to the broker. The relay reads nothing: the browser
speaks MQTT to the broker, which authenticates it and applies its ACL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from loa.config import Config

log = logging.getLogger(__name__)

log = logging.getLogger("loa.relay")
SUBPROTOCOL = "mqtt"
CHUNK = 64 * 1024


def allowed_origins(cfg: Config) -> set[str]:
    """Pages that may open the relay: the configured website (site_url) — besides the page's own host."""
    parts = urlsplit(cfg.site_url)
    return {f"{parts.scheme}://{parts.netloc}".lower()} if parts.scheme and parts.netloc else set()


class RelayGate:
    """Who may use the relay: a browser page from Loa's own site (the Origin header, which browsers
    always send on a WebSocket and pages cannot forge), at most `per_address` connections per address."""

    def __init__(self, origins: Iterable[str], per_address: int):
        self.origins, self.per_address = set(origins), per_address
        self.open: Counter[str] = Counter()

    def refusal(self, origin: str | None, host: str | None, address: str) -> str | None:
        """Why this connection is refused, or None. No Origin: not a browser (a device's MQTT client)."""
        if origin is not None:
            same_host = host is not None and urlsplit(origin).netloc.lower() == host.lower()
            if not same_host and origin.lower() not in self.origins:
                return f"origin {origin!r} is not this site"
        if self.open[address] >= self.per_address:
            return f"{address} already has {self.per_address} connections"
        return None


async def relay(ws: WebSocket, host: str, port: int, gate: RelayGate | None = None) -> None:
    """Serve one browser connection: accept with subprotocol mqtt, then pump bytes until either side closes."""
    offered = ws.scope.get("subprotocols") or []
    if SUBPROTOCOL not in offered:
        await ws.close(code=1002, reason="use the 'mqtt' WebSocket subprotocol")
        return
    address = ws.client.host if ws.client else "?"
    if gate is not None:
        refused = gate.refusal(ws.headers.get("origin"), ws.headers.get("host"), address)
        if refused:
            log.warning("relay: refused a connection: %s", refused)
            await ws.close(code=1008, reason=refused[:120])  # 1008: policy violation
            return
        gate.open[address] += 1
    try:
        await _pump(ws, host, port)
    finally:
        if gate is not None:
            gate.open[address] -= 1
            if gate.open[address] <= 0:
                del gate.open[address]


async def _pump(ws: WebSocket, host: str, port: int) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        log.warning("relay: broker %s:%s unreachable: %s", host, port, exc)
        await ws.close(code=1011, reason="the MQTT broker is unreachable")
        return
    await ws.accept(subprotocol=SUBPROTOCOL)

    async def browser_to_broker() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                data = (message.get("text") or "").encode()
            writer.write(data)
            await writer.drain()

    async def broker_to_browser() -> None:
        while data := await reader.read(CHUNK):
            await ws.send_bytes(data)

    tasks = [asyncio.create_task(browser_to_broker()), asyncio.create_task(broker_to_browser())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError, RuntimeError):
                await task
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await ws.close()  # the browser may already have gone
