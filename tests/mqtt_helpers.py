"""A real MQTT v5 subscriber for tests: collects retained and live messages on topics."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt

from loa.config import MqttURL


class Collector:
    def __init__(self, url: MqttURL, topics: list[str]):
        self.messages: dict[str, bytes] = {}
        self.received: list[tuple[float, str, bytes, bool]] = []
        self._ready = threading.Event()
        self.refused: str | None = None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        self.client.on_connect = lambda c, u, f, rc, p: self._connected(c, rc, topics)
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.on_message = self._message
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def _connected(self, client, rc, topics):
        if rc.is_failure:
            self.refused = str(rc)
            self._ready.set()
            return
        client.subscribe([(t, 1) for t in topics])

    def _message(self, _c, _u, msg):
        self.received.append((time.monotonic(), msg.topic, msg.payload, msg.retain))
        self.messages[msg.topic] = msg.payload

    def wait_ready(self, timeout=5.0) -> Collector:
        assert self._ready.wait(timeout), "no SUBACK from the broker"
        return self

    def wait_for(self, topic: str, timeout=10.0, predicate=lambda p: True) -> bytes | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if topic in self.messages and predicate(self.messages[topic]):
                return self.messages[topic]
            time.sleep(0.02)
        return None

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def retained(url: MqttURL, topic: str, settle: float = 1.0) -> bytes | None:
    """What a board connecting now would get retained on `topic` (None: nothing)."""
    c = Collector(url, [topic]).wait_ready()
    time.sleep(settle)
    c.close()
    return c.messages.get(topic) or None
