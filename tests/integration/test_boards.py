"""The boards channel against Loa's own Mosquitto (project config: auth and ACL on)."""

import json

import paho.mqtt.client as mqtt
import pytest

from channels.boards import Boards, key_topic, notice_topic
from loa.config import MqttURL, Ports
from loa.signing import verify
from loa.store import Store
from tests.mqtt_helpers import Collector, retained
from tests.unit.test_store import draft

pytestmark = pytest.mark.integration


@pytest.fixture
def approved(broker_cfg):
    store = Store.open(broker_cfg.database_url)
    n = draft(store, areas=["cao-bang/nam-tuan"])
    return store, store.transition(n.id, "approve", "Lò Văn Pải")


def test_dispatch_publishes_a_signed_retained_notice(broker_cfg, approved):
    store, notice = approved
    results = Boards(broker_cfg, store).dispatch(notice, ["cao-bang/nam-tuan"])
    assert [r.ok for r in results] == [True]
    topic = notice_topic(broker_cfg, "cao-bang/nam-tuan", notice.id)
    assert topic == f"loa/v1/areas/cao-bang/nam-tuan/notices/{notice.id}"
    payload = json.loads(retained(broker_cfg.mqtt_monitor, topic))
    key = json.loads(retained(broker_cfg.mqtt_monitor, key_topic(broker_cfg)))["public_key"]
    assert payload["schema"] == "loa.notice" and payload["id"] == notice.id and payload["version"] == 1
    assert payload["title"] == notice.title and payload["area_name"] == "xã Nam Tuấn"
    assert verify(payload, key)


def test_withdraw_clears_the_retained_message(broker_cfg, approved):
    store, notice = approved
    boards = Boards(broker_cfg, store)
    area = "cao-bang/nam-tuan"
    boards.dispatch(notice, [area])
    assert retained(broker_cfg.mqtt_monitor, notice_topic(broker_cfg, area, notice.id))
    assert [r.ok for r in boards.withdraw(notice, [area])] == [True]
    assert retained(broker_cfg.mqtt_monitor, notice_topic(broker_cfg, area, notice.id)) is None


def test_broker_down_is_a_transient_failure_not_an_exception(broker_cfg, approved):
    from tests.conftest import free_port

    store, notice = approved
    nowhere = broker_cfg.model_copy(update={"ports": Ports(mqtt=free_port())})  # Config is frozen: a variant
    results = Boards(nowhere, store).dispatch(notice, ["cao-bang"])
    assert len(results) == 1 and not results[0].ok and results[0].transient
    assert "cannot reach the broker" in results[0].detail and "retried" in results[0].detail


def test_anonymous_and_wrong_password_are_refused(broker_cfg):
    url = broker_cfg.mqtt
    for creds in (MqttURL(url.host, url.port, None, None), MqttURL(url.host, url.port, "loa-publisher", "wrong")):
        c = Collector(creds, ["loa/v1/#"]).wait_ready()
        c.close()
        assert c.refused, f"broker accepted {creds.masked()}"


def test_monitor_account_cannot_publish_notices(broker_cfg):
    """The read-only account's publish is refused by the ACL (MQTT v5 PUBACK reason 'Not authorized')."""
    url = broker_cfg.mqtt_monitor
    topic = "loa/v1/areas/cao-bang/notices/999999"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(url.username, url.password)
    codes = []
    client.on_publish = lambda c, u, mid, rc, props: codes.append(rc)
    client.connect(url.host, url.port)
    client.loop_start()
    client.publish(topic, b'{"forged": true}', qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    assert codes and codes[0].is_failure
    assert retained(broker_cfg.mqtt_monitor, topic) is None
