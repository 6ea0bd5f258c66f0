"""An approved emergency: an immediate playlist and a signed MQTT play command per station (Loa's own
Mosquitto, auth and ACL on), not retained, expiring; broker down is retried; withdrawal sends stop."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from channels.catalogue import build_channels
from channels.mqtt import make_client
from loa.config import Env, MqttURL, load_config
from loa.model import Priority
from loa.publishing.dispatch import dispatch_notice, withdraw_notice
from loa.signing import Signer, verify
from loa.store import Store
from tests.conftest import free_port, write_config
from tests.mqtt_helpers import retained
from tests.unit.test_radio_build import notice

pytestmark = pytest.mark.integration


def _url(mq: MqttURL) -> str:
    return f"mqtt://{mq.username}:{mq.password}@{mq.host}:{mq.port}"


@pytest.fixture
def radio_cfg(broker, tmp_path):
    """A fresh LOA_HOME and store; the session's Mosquitto through the publisher account."""
    folder = write_config(tmp_path / "config", feeds=[])
    return load_config(
        Env(
            home=tmp_path / "home",
            config_dir=folder,
            mqtt_url=_url(broker.mqtt),
            database_url=f"sqlite:///{tmp_path / 'loa.db'}",
        )
    )


class Subscriber:
    """Records each message with its MQTT properties (retain flag, message expiry)."""

    def __init__(self, url: MqttURL, topic: str):
        self.messages: list = []
        ready = threading.Event()
        self.client = make_client(url, f"test-radio-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = lambda c, u, m: self.messages.append(m)
        self.client.connect(url.host, url.port)
        self.client.loop_start()
        assert ready.wait(5), "no SUBACK"

    def wait(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def emergency(store):
    n = notice(
        store,
        "Lũ quét: sơ tán ngay khỏi ven suối",
        areas=("cao-bang/hoa-an", "cao-bang/nam-tuan"),
        priority=Priority.EMERGENCY,
        approve=False,
    )
    store.set_variant(
        n.id, "radio", "Khẩn cấp. Lũ quét đang về. Bà con ven suối sơ tán ngay lên chỗ cao.", "Nông Thị Hoa"
    )
    return store.transition(n.id, "approve", "Nông Thị Hoa")


def test_emergency_plays_now_with_a_signed_command(radio_cfg):
    cfg = radio_cfg
    store = Store.open(cfg.database_url)
    sub = Subscriber(cfg.mqtt, "loa/v1/radio/+/play")
    try:
        n = emergency(store)
        report = dispatch_notice(store, build_channels(cfg, store, ["radio"]), n.id)
        assert [(r.target, r.ok) for r in report.results] == [("hoa-an", True), ("nam-tuan", True)], report.results
        messages = sub.wait(2)
    finally:
        sub.close()
    assert sorted(m.topic for m in messages) == ["loa/v1/radio/hoa-an/play", "loa/v1/radio/nam-tuan/play"]
    key = Signer.load_or_create(cfg.home / "keys" / "notice-signing.pem").public_key_document()["public_key"]
    audio = f"notice-{n.id}-v1-vi.mp3"
    for m in messages:
        assert not m.retain and m.qos == 1
        assert 3500 <= m.properties.MessageExpiryInterval <= 3600
        payload = json.loads(m.payload)
        station = m.topic.split("/")[3]
        assert verify(payload, key)
        assert payload["schema"] == "loa.radio.play" and payload["station"] == station
        assert payload["idempotency_key"] == f"notice-{n.id}-v1-{station}"  # the same on every try
        assert payload["notice"] == {
            "id": n.id,
            "version": 1,
            "priority": "emergency",
            "title": n.title,
            "expires_at": None,
        }
        [item] = payload["audio"]  # Vietnamese only: no Tày recording yet
        assert item["url"] == f"{cfg.site_url}/radio/audio/{audio}" and item["language"] == "vi"
        assert item["sha256"] == hashlib.sha256((cfg.home / "radio/audio" / audio).read_bytes()).hexdigest()
        assert payload["playlist"] == f"{cfg.site_url}/radio/stations/{station}/emergency.m3u8"
        tampered = dict(payload, audio=[dict(item, url="http://evil.example/x.mp3")])
        assert not verify(tampered, key)
        playlist = (cfg.home / "radio/stations" / station / "emergency.m3u8").read_text(encoding="utf-8")
        assert f"{cfg.site_url}/radio/audio/{audio}" in playlist
        assert f"{cfg.site_url}/radio/audio/{audio}" in (cfg.home / "radio/stations" / f"{station}.m3u8").read_text(
            encoding="utf-8"
        )
    # not retained: a speaker connecting later does not start an old alarm
    assert retained(cfg.mqtt, "loa/v1/radio/nam-tuan/play", settle=0.3) is None
    assert store.notice(n.id).state.value == "published"


def test_broker_down_is_retried_and_only_pending_stations_are_sent_again(radio_cfg, broker, tmp_path):
    cfg = radio_cfg
    store = Store.open(cfg.database_url)
    n = emergency(store)
    down = load_config(
        Env(
            home=cfg.home,
            config_dir=cfg.config_dir,
            database_url=cfg.database_url,
            mqtt_url=_url(MqttURL(broker.mqtt.host, free_port(), "loa-publisher", "x")),
        )
    )
    first = dispatch_notice(store, build_channels(down, store, ["radio"]), n.id)
    assert [(r.ok, r.transient) for r in first.results] == [(False, True), (False, True)]
    assert "emergency playlist built, command not sent: cannot reach the broker" in first.results[0].detail
    assert (cfg.home / "radio/stations/nam-tuan/emergency.m3u8").exists()  # the playlist does not wait for MQTT

    sub = Subscriber(cfg.mqtt, "loa/v1/radio/+/play")
    try:
        second = dispatch_notice(store, build_channels(cfg, store, ["radio"]), n.id)
        assert [r.ok for r in second.results] == [True, True]
        assert len(sub.wait(2)) == 2
        third = dispatch_notice(store, build_channels(cfg, store, ["radio"]), n.id)
        assert third.results == []  # delivered targets are never sent again
        time.sleep(0.3)
        assert len(sub.messages) == 2
    finally:
        sub.close()


def test_withdrawn_emergency_stops_and_leaves_the_playlists(radio_cfg):
    cfg = radio_cfg
    store = Store.open(cfg.database_url)
    n = emergency(store)
    dispatch_notice(store, build_channels(cfg, store, ["radio"]), n.id)
    sub = Subscriber(cfg.mqtt, "loa/v1/radio/+/stop")
    try:
        store.transition(n.id, "withdraw", "Nông Thị Hoa", "hết nguy hiểm")
        report = withdraw_notice(store, build_channels(cfg, store, ["radio"]), n.id)
        assert [r.ok for r in report.results] == [True, True], report.results
        messages = sub.wait(2)
    finally:
        sub.close()
    key = Signer.load_or_create(cfg.home / "keys" / "notice-signing.pem").public_key_document()["public_key"]
    assert sorted(m.topic for m in messages) == ["loa/v1/radio/hoa-an/stop", "loa/v1/radio/nam-tuan/stop"]
    assert all(verify(json.loads(m.payload), key) and json.loads(m.payload)["notice"]["id"] == n.id for m in messages)
    for station in ("hoa-an", "nam-tuan"):
        for name in (f"{station}/emergency.m3u8", f"{station}.m3u8", f"{station}.xspf"):
            assert f"notice-{n.id}-" not in (cfg.home / "radio/stations" / name).read_text(encoding="utf-8"), name
