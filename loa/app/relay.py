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

from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("loa.relay")
SUBPROTOCOL = "mqtt"
CHUNK = 64 * 1024


async def relay(ws: WebSocket, host: str, port: int) -> None:
    """Serve one browser connection: accept with subprotocol mqtt, then pump bytes until either side closes."""
    offered = ws.scope.get("subprotocols") or []
    if SUBPROTOCOL not in offered:
        await ws.close(code=1002, reason="use the 'mqtt' WebSocket subprotocol")
        return
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
