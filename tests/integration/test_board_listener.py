"""Loa's board listener against Loa's Mosquitto: status (with the broker's last will) and acks reach the store."""

import json
import socket
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from channels.board_listener import BoardListener
from loa.app.board_monitor import board_event
from loa.app.cli_boards import create_board
from loa.board_protocol import ack_payload, ack_topic, status_payload, status_topic
from loa.store import Store
from loa.store.boards import Change, ack_counts, boards, status_history
from tests.unit.test_store import draft

pytestmark = pytest.mark.integration
HONG_VIET = "cao-bang/nam-tuan"


class SimBoard:
    """A board as the protocol asks: last will 'offline' (retained), 'online' (retained) on connect, acks."""

    def __init__(self, cfg, board_id, password):
        self.id, self.prefix = board_id, cfg.mqtt_topic_prefix
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=board_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(board_id, password)
        will = json.dumps(status_payload(board_id, "offline"))
        self.client.will_set(status_topic(self.prefix, board_id), will, qos=1, retain=True)
        self.client.connect(cfg.mqtt.host, cfg.mqtt.port, keepalive=30)
        self.client.loop_start()
        self.send(status_topic(self.prefix, board_id), status_payload(board_id, "online", area=HONG_VIET), True)

    def send(self, topic, doc, retain=False):
        info = self.client.publish(topic, json.dumps(doc), qos=1, retain=retain)
        info.wait_for_publish(5)
        assert info.is_published()

    def ack(self, notice):
        self.send(
            ack_topic(self.prefix, self.id),
            ack_payload(self.id, {"id": notice.id, "version": notice.version, "area": HONG_VIET}),
        )

    def lose_power(self):
        """Drop the TCP connection without DISCONNECT: the broker then publishes the last will."""
        self.client.loop_stop()
        self.client.socket().shutdown(socket.SHUT_RDWR)
        self.client.socket().close()


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def setup(broker_cfg):
    store = Store.open(broker_cfg.database_url)
    board = create_board(broker_cfg, store, f"b-{uuid.uuid4().hex[:8]}", HONG_VIET)
    notice = store.transition(draft(store, areas=["cao-bang"]).id, "approve", "Nông Thị Hoa")
    return broker_cfg, store, board, notice


def listener(cfg, store, changes, client_id):
    return BoardListener(cfg, store, on_change=changes.append, client_id=client_id).start().wait_ready()


def test_online_acks_and_last_will_offline_are_recorded(setup):
    cfg, store, board, notice = setup
    changes = []
    lst = listener(cfg, store, changes, f"test-listener-{uuid.uuid4().hex[:6]}")
    try:
        sim = SimBoard(cfg, board["id"], board["password"])
        sim.ack(notice)
        sim.ack(notice)  # shown again on the next rotation: still one ack
        assert wait(lambda: boards(store)[0].state == "online" and boards(store)[0].acks == 1)
        assert ack_counts(store, notice.id).as_dict() == {
            "notice_id": notice.id,
            "version": 1,
            "boards": 1,
            "acknowledged": 1,
        }
        sim.lose_power()
        assert wait(lambda: boards(store)[0].state == "offline"), "the broker's last will was not recorded"
        assert wait(lambda: any(c.new == "offline" for c in changes))
    finally:
        lst.stop()
    assert [(c.old, c.new) for c in changes] == [("unknown", "online"), ("online", "offline")]
    assert [h.state for h in status_history(store, board["id"])] == ["offline", "online"]
    assert board_event(cfg, changes[0]) is None  # first sight of a board is not news
    name, resource, related, payload = board_event(cfg, changes[-1])
    assert name == "loa.board.offline" and resource["prefect.resource.id"] == f"loa.board.{board['id']}"
    assert related[0]["prefect.resource.id"] == f"loa.area.{HONG_VIET}" and payload["previous"] == "online"
    back = Change(changes[-1].board, "offline", "online", changes[-1].at)
    assert board_event(cfg, back)[0] == "loa.board.online"


def test_acks_sent_while_loa_is_down_are_recorded_when_it_returns(setup):
    cfg, store, board, notice = setup
    client_id = f"test-listener-{uuid.uuid4().hex[:6]}"
    listener(cfg, store, [], client_id).stop()  # the session now exists at the broker
    sim = SimBoard(cfg, board["id"], board["password"])
    sim.ack(notice)  # nobody is listening
    time.sleep(0.3)
    assert boards(store)[0].acks == 0
    lst = listener(cfg, store, [], client_id)
    try:
        assert wait(lambda: boards(store)[0].acks == 1), "the queued ack was lost"
    finally:
        lst.stop()
        sim.client.disconnect()
        sim.client.loop_stop()


def test_garbage_from_a_board_does_not_stop_the_listener(setup):
    cfg, store, board, notice = setup
    lst = listener(cfg, store, [], f"test-listener-{uuid.uuid4().hex[:6]}")
    try:
        sim = SimBoard(cfg, board["id"], board["password"])
        props = Properties(PacketTypes.PUBLISH)
        for junk in (b"\xff\xfe", b"[]", b'{"notice": "1"}', b"{" * 10000):
            sim.client.publish(
                ack_topic(cfg.mqtt_topic_prefix, board["id"]), junk, qos=1, properties=props
            ).wait_for_publish(5)
        sim.ack(notice)
        assert wait(lambda: boards(store)[0].acks == 1)
    finally:
        lst.stop()
