"""A small blocking MQTT v5 publisher on paho-mqtt 2, shared by the boards and radio channels.

It connects once per dispatch call, publishes with QoS 1 and waits for each
PUBACK, so a returned success means the broker has the message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from loa.config import MqttURL
from loa.errors import LoaError

log = logging.getLogger(__name__)


class BrokerUnavailable(LoaError):
    """The MQTT broker cannot be reached or refused the connection."""


def private_client_id(url: MqttURL, client_id: str) -> str:
    """Loa's own client ids carry a suffix derived from the service account's password.

    A client id is a session on the broker, and Mosquitto lets any account connect with any id,
    taking over (and kicking) the session of that id: a board that connected as
    "loa-board-listener" used to steal the listener's session. Boards do not know Loa's
    passwords, so they cannot name these ids; the same account always gets the same id, so the
    listener's persistent session survives restarts.
    """
    if not client_id.startswith("loa-") or not url.password:
        return client_id
    tag = hmac.new(url.password.encode(), client_id.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{client_id}-{tag}"


def make_client(url: MqttURL, client_id: str = "", manual_ack: bool = False) -> mqtt.Client:
    """A paho MQTT v5 client with the account from `url` (not yet connected)."""
    client_id = private_client_id(url, client_id)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    return client


def probe(url: MqttURL, timeout: float = 5.0) -> str | None:
    """Connect once with `url`'s account: None when the broker accepts it, else why not."""
    client = make_client(url, f"loa-probe-{secrets.token_hex(4)}")
    done, why = threading.Event(), []

    def on_connect(c, u, f, rc, p) -> None:
        if rc.is_failure:
            why.append(str(rc))
        done.set()

    client.on_connect = on_connect
    try:
        client.connect(url.host, url.port, keepalive=10)
    except OSError as exc:
        return f"cannot reach the broker {url.masked()}: {exc}"
    client.loop_start()
    try:
        if not done.wait(timeout):
            return f"no CONNACK from {url.masked()} within {timeout:.0f} s"
        return why[0] if why else None
    finally:
        client.disconnect()
        client.loop_stop()


class Publisher:
    def __init__(self, url: MqttURL, client_id: str = "", timeout: float = 10.0):
        self.url, self.timeout = url, timeout
        self.client = make_client(url, client_id)
        self._connected = threading.Event()
        self._reason: str | None = None
        self.client.on_connect = self._on_connect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self._reason = str(reason_code)
        self._connected.set()

    def __enter__(self) -> Publisher:
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

    def retained(self, topic: str, settle: float = 0.05) -> bytes | None:
        """The message retained on `topic` now (None: none seen). Mosquitto sends it right after the SUBACK,
        so a short wait after the SUBACK is enough on a healthy link; a miss only means a needless republish."""
        seen: list[bytes] = []
        subscribed = threading.Event()
        self.client.message_callback_add(topic, lambda c, u, msg: seen.append(bytes(msg.payload)))
        self.client.on_subscribe = lambda *a: subscribed.set()
        try:
            self.client.subscribe(topic, qos=0)
            if subscribed.wait(self.timeout):
                deadline = time.monotonic() + settle
                while not seen and time.monotonic() < deadline:
                    time.sleep(0.002)
            self.client.unsubscribe(topic)
        finally:
            self.client.message_callback_remove(topic)
        return seen[0] if seen else None

    def send(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool = True,
        expiry: int | None = None,
        content_type: str | None = "application/json",
        user: dict[str, str] | None = None,
    ):
        """Queue a QoS-1 publish without waiting: several can be in flight; `confirm` each one."""
        props = Properties(PacketTypes.PUBLISH)
        if expiry is not None:
            props.MessageExpiryInterval = max(1, int(expiry))
        if content_type and payload:
            props.ContentType = content_type
            props.PayloadFormatIndicator = 1  # UTF-8 text
        if user:
            props.UserProperty = list(user.items())
        return self.client.publish(topic, payload, qos=1, retain=retain, properties=props)

    def confirm(self, info, topic: str, deadline: float | None = None) -> None:
        """Wait for the broker's PUBACK of a sent message; raise BrokerUnavailable without one."""
        left = self.timeout if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            info.wait_for_publish(left)
        except (RuntimeError, ValueError) as exc:
            raise BrokerUnavailable(f"publishing {topic} to {self.url.masked()} failed: {exc}") from exc
        if not info.is_published():
            raise BrokerUnavailable(
                f"the broker {self.url.masked()} did not acknowledge {topic} within {self.timeout:.0f} s"
            )

    def publish(self, topic: str, payload: bytes, **options) -> None:
        """Publish with QoS 1 and wait for the broker's PUBACK; raise BrokerUnavailable otherwise."""
        self.confirm(self.send(topic, payload, **options), topic)
