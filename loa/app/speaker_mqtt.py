"""The reference speaker's broker connection (paho-mqtt 2, MQTT v5): subscribe, report, reconnect.

Client id = speaker id with a persistent session (1 h expiry), so an emergency play command sent
while the speaker was briefly offline still arrives (and never after its message expiry). paho's
loop thread reconnects with backoff (1 s doubling to 60 s); every callback only puts an event into
the runner's inbox. The last will is the retained status "offline".
"""

from __future__ import annotations

import json
import logging
import queue

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from loa.config import MqttURL

log = logging.getLogger(__name__)

SESSION_EXPIRY = 3600
KEEPALIVE = 30


class MqttLink:
    def __init__(self, url: MqttURL, client_id: str, topics: list[str], inbox: queue.Queue, will: tuple[str, dict]):
        self.url, self.topics, self.inbox = url, topics, inbox
        self.status_topic = will[0]
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=True
        )
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        self.client.will_set(will[0], json.dumps(will[1], ensure_ascii=False), qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        self.client.connect_async(self.url.host, self.url.port, KEEPALIVE, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.inbox.put(("disconnected", f"refused: {reason_code}"))
            return
        client.subscribe([(t, 1) for t in self.topics])
        self.inbox.put(("connected",))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.inbox.put(("disconnected", str(reason_code)))

    def _on_connect_fail(self, client, userdata) -> None:
        self.inbox.put(("unreachable", f"{self.url.host}:{self.url.port}"))

    def _on_message(self, client, userdata, msg) -> None:
        self.inbox.put(("message", msg.topic, bytes(msg.payload)))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if not reason_code.is_failure:
            self.inbox.put(("puback", mid))

    def publish(self, topic: str, payload: dict, retain: bool) -> int | None:
        """Send with QoS 1; the mid whose PUBACK will confirm it, or None when not connected."""
        if not self.client.is_connected():
            return None
        info = self.client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1, retain=retain)
        return info.mid if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def close(self, last_status: dict) -> None:
        """Retained "offline" (the will is for crashes), then a clean disconnect."""
        if self.client.is_connected():
            info = self.client.publish(self.status_topic, json.dumps(last_status), qos=1, retain=True)
            try:
                info.wait_for_publish(3)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
