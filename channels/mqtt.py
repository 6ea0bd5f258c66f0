"""A small blocking MQTT v5 publisher on paho-mqtt 2, shared by the boards and radio channels.

It connects once per dispatch call, publishes with QoS 1 and waits for each
PUBACK, so a returned success means the broker has the message.
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from loa.config import MqttURL


class BrokerUnavailable(Exception):
    pass


class Publisher:
    def __init__(self, url: MqttURL, client_id: str = "", timeout: float = 10.0):
        self.url, self.timeout = url, timeout
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        self._connected = threading.Event()
        self._reason: str | None = None
        self.client.on_connect = self._on_connect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self._reason = str(reason_code)
        self._connected.set()

    def __enter__(self) -> "Publisher":
        try:
            self.client.connect(self.url.host, self.url.port, keepalive=30)
        except OSError as exc:
            raise BrokerUnavailable(f"cannot reach the broker {self.url.masked()}: {exc}") from exc
        self.client.loop_start()
        if not self._connected.wait(self.timeout) or self._reason:
            self.client.loop_stop()
            why = self._reason or f"no CONNACK within {self.timeout:.0f} s"
            raise BrokerUnavailable(f"the broker {self.url.masked()} refused the connection: {why}")
        return self

    def __exit__(self, *exc) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = True, expiry: int | None = None,
                content_type: str | None = "application/json", user: dict[str, str] | None = None) -> None:
        """Publish with QoS 1 and wait for the broker's PUBACK; raise BrokerUnavailable otherwise."""
        props = Properties(PacketTypes.PUBLISH)
        if expiry is not None:
            props.MessageExpiryInterval = max(1, int(expiry))
        if content_type and payload:
            props.ContentType = content_type
        if user:
            props.UserProperty = list(user.items())
        info = self.client.publish(topic, payload, qos=1, retain=retain, properties=props)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise BrokerUnavailable(f"publishing {topic} to {self.url.masked()} failed: {exc}") from exc
        if not info.is_published():
            raise BrokerUnavailable(f"the broker {self.url.masked()} did not acknowledge {topic} "
                                    f"within {self.timeout:.0f} s")
