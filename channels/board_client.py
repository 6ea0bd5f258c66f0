"""A terminal reference board: subscribes like a real board and prints verified notices.

A board for commune C subscribes to C's and its province's notice topics (a
pre-2025 three-level path is read as its 2025 commune), takes Loa's public key from loa/v1/keys/notices, and shows
only notices whose signature verifies, that were published for the topic they
arrived on and have not expired; an empty retained payload removes one.
(`loa board watch` reads with the monitor account; a real board uses its own.)
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

from rich.console import Console
from rich.markup import escape

from channels.mqtt import make_client
from loa import clock
from loa.board_protocol import board_subscriptions, key_topic, notice_topic
from loa.config import Config
from loa.errors import LoaError
from loa.signing import verify


def area_topics(cfg: Config, area: str) -> list[str]:
    return board_subscriptions(cfg.mqtt_topic_prefix, area)


def check(cfg: Config, topic: str, notice: dict, key: str | None) -> str | None:
    """Why a board must not show this notice, or None when it may."""
    if not isinstance(notice, dict) or notice.get("schema") != "loa.notice":
        return "not a loa.notice payload"
    if key is None or not verify(notice, key):
        return "signature does not verify"
    if topic != notice_topic(cfg.mqtt_topic_prefix, notice.get("area", ""), notice.get("id", "")):
        return "published for another topic"
    expires = notice.get("expires_at")
    if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")) <= clock.now():
        return "expired"
    return None


def watch(
    cfg: Config,
    area: str,
    *,
    as_json: bool = False,
    console: Console | None = None,
    stop: threading.Event | None = None,
    profile: str | None = None,
) -> None:
    console = console or Console()
    stop = stop or threading.Event()
    profile = profile or cfg.boards.default_profile
    url = cfg.mqtt_monitor
    state: dict = {"key": None, "pending": []}
    client = make_client(url)
    failed: list[str] = []

    def on_connect(c, _u, _f, rc, _p):
        if rc.is_failure:
            failed.append(str(rc))
            stop.set()
            return
        c.subscribe([(key_topic(cfg.mqtt_topic_prefix), 1)] + [(t, 1) for t in area_topics(cfg, area)])

    shown: dict[str, str] = {}  # topic → title of the notice on screen, to name it when it is withdrawn

    def show(topic: str, payload: bytes) -> None:
        if not payload:
            notice_id = topic.rsplit("/", 1)[-1]
            title = shown.pop(topic, None)
            if as_json:
                console.print_json(
                    json.dumps({"topic": topic, "withdrawn": True, "id": notice_id, "title": title}, ensure_ascii=False)
                )
            else:  # a removal of a notice this board never showed has no title to give
                console.print(
                    f"[yellow]withdrawn[/] notice {escape(notice_id)}" + (f": {escape(title)}" if title else ""),
                    highlight=False,
                )
            return
        try:
            notice = json.loads(payload)
        except ValueError:
            console.print(f"[red]rejected[/] {topic}: not JSON")
            return
        problem = check(cfg, topic, notice, state["key"])
        if as_json:
            console.print_json(
                json.dumps(
                    {"topic": topic, "verified": problem is None, "problem": problem, "notice": notice},
                    ensure_ascii=False,
                )
            )
        elif problem:
            console.print(f"[red]rejected[/] {topic}: {problem}")
        else:
            console.rule(
                f"[bold]{notice.get('priority', 'normal').upper()}[/] · {escape(str(notice.get('area_name')))}"
            )
            lines = (notice.get("lines") or {}).get(profile) or [notice.get("body", "")]
            console.print(f"[bold]{escape(notice['title'])}[/]", highlight=False)
            shown[topic] = str(notice["title"])
            console.print("\n".join(lines) + f"\n{notice.get('url', '')}", markup=False, highlight=False)

    def on_message(_c, _u, msg):
        if msg.topic == key_topic(cfg.mqtt_topic_prefix):
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
