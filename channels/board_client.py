"""A terminal reference board: subscribes like a real board and prints verified notices.

A board for commune C subscribes to C's, its district's and its province's
notice topics, takes Loa's public key from loa/v1/keys/notices, and shows
only notices whose signature verifies; an empty retained payload removes one.
"""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
from rich.console import Console

from loa.config import Config
from loa.errors import LoaError
from loa.signing import verify

from channels.boards import key_topic


def area_topics(cfg: Config, area: str) -> list[str]:
    parts = area.split("/")
    return [f"{cfg.mqtt_topic_prefix}/areas/{'/'.join(parts[:i])}/notices/+" for i in range(1, len(parts) + 1)]


def watch(cfg: Config, area: str, *, as_json: bool = False, console: Console | None = None,
          stop: threading.Event | None = None) -> None:
    console = console or Console()
    stop = stop or threading.Event()
    url = cfg.mqtt_monitor
    state: dict = {"key": None, "pending": []}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if url.username:
        client.username_pw_set(url.username, url.password)
    failed: list[str] = []

    def on_connect(c, _u, _f, rc, _p):
        if rc.is_failure:
            failed.append(str(rc))
            stop.set()
            return
        c.subscribe([(key_topic(cfg), 1)] + [(t, 1) for t in area_topics(cfg, area)])

    def show(topic: str, payload: bytes) -> None:
        if not payload:
            console.print_json(json.dumps({"topic": topic, "withdrawn": True})) if as_json else \
                console.print(f"[yellow]withdrawn[/] {topic}")
            return
        try:
            notice = json.loads(payload)
        except ValueError:
            console.print(f"[red]rejected[/] {topic}: not JSON")
            return
        ok = verify(notice, state["key"])
        if as_json:
            console.print_json(json.dumps({"topic": topic, "verified": ok, "notice": notice}, ensure_ascii=False))
        elif not ok:
            console.print(f"[red]rejected[/] {topic}: signature does not verify")
        else:
            console.rule(f"[bold]{notice.get('priority', 'normal').upper()}[/] · {notice.get('area_name')}")
            console.print(f"[bold]{notice['title']}[/]\n{notice.get('body', '')}\n{notice.get('url', '')}",
                          markup=False)

    def on_message(_c, _u, msg):
        if msg.topic == key_topic(cfg):
            state["key"] = json.loads(msg.payload)["public_key"]
            for topic, payload in state.pop("pending"):
                show(topic, payload)
            state["pending"] = []
        elif state["key"] is None:
            state["pending"].append((msg.topic, msg.payload))  # verify once the key arrives
        else:
            show(msg.topic, msg.payload)

    client.on_connect, client.on_message = on_connect, on_message
    try:
        client.connect(url.host, url.port, keepalive=30)
    except OSError as exc:
        raise LoaError(f"cannot reach the broker {url.masked()}: {exc}; is `loa run` running?") from exc
    client.loop_start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        client.disconnect()
        client.loop_stop()
    if failed:
        raise LoaError(f"the broker {url.masked()} refused the board: {failed[0]}")
