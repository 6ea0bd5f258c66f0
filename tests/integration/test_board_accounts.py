"""Board accounts on Loa's own Mosquitto: `loa boards add` creates them, the ACL confines them.

A board reads only its commune's, district's and province's notices (and the key), writes only its
own status and ack, and cannot publish a notice. A board added while the broker runs works at once
(SIGHUP reload).
"""

import json
import time

import paho.mqtt.client as mqtt
import pytest

from channels.boards import Boards
from loa.app.cli_boards import create_board
from loa.config import MqttURL
from loa.errors import LoaError
from loa.store import Store
from tests.cli_inprocess import invoke
from tests.mqtt_helpers import Collector, retained
from tests.unit.test_store import draft, entry

pytestmark = pytest.mark.integration
HONG_VIET = "cao-bang/nam-tuan"


def board_url(cfg, board_id: str, password: str) -> MqttURL:
    return MqttURL(cfg.mqtt.host, cfg.mqtt.port, board_id, password)


def publish_as(url: MqttURL, topic: str, payload: bytes, retain: bool = False):
    """Publish with QoS 1 and return the broker's PUBACK reason code."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(url.username, url.password)
    codes = []
    client.on_publish = lambda c, u, mid, rc, props: codes.append(rc)
    client.connect(url.host, url.port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while not codes and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        client.disconnect()
        client.loop_stop()
    return codes[0]


@pytest.fixture
def store(broker_cfg):
    return Store.open(broker_cfg.database_url)


def published_everywhere(cfg, store):
    """One approved notice per area: the board's commune, district and province, and two areas it is not in."""
    areas = [HONG_VIET, "cao-bang", "cao-bang", "cao-bang/bach-dang", "cao-bang/ha-quang"]
    boards, topics = Boards(cfg, store), {}
    for i, area in enumerate(areas):
        n = draft(store, entry(ident=f"urn:acl:{i}"), areas=[area])
        n = store.transition(n.id, "approve", "Nông Thị Hoa")
        assert all(r.ok for r in boards.dispatch(n, [area]))
        topics[area] = f"loa/v1/areas/{area}/notices/{n.id}"
    return topics


def test_board_reads_only_its_commune_district_and_province(broker_cfg, store):
    board = create_board(broker_cfg, store, "nam-tuan-ubnd", HONG_VIET, "Nhà văn hóa xã Nam Tuấn")
    assert board["broker_reloaded"] and board["broker_accepts"]  # added while the broker runs: SIGHUP
    topics = published_everywhere(broker_cfg, store)
    url = board_url(broker_cfg, board["id"], board["password"])
    # it tries to read everything, and the other commune's topic by name. Mosquitto sends each filter's
    # retained messages in the order of the SUBSCRIBE's filters, on one connection: once the key (the last
    # filter's) has come, whatever the first two would have let through has come before it.
    c = Collector(url, ["loa/v1/areas/#", topics["cao-bang/bach-dang"], "loa/v1/keys/notices"]).wait_ready()
    assert c.wait_for("loa/v1/keys/notices", timeout=10) is not None
    c.close()
    got = set(c.messages)
    assert {topics[HONG_VIET], topics["cao-bang"], topics["cao-bang"]} <= got
    assert topics["cao-bang/bach-dang"] not in got and topics["cao-bang/ha-quang"] not in got
    assert "loa/v1/keys/notices" in got
    # the monitor account (which sees every area) proves the other areas really hold a notice
    assert retained(broker_cfg.mqtt_monitor, topics["cao-bang/bach-dang"])


def test_board_cannot_publish_notices_or_another_boards_reports(broker_cfg, store):
    a = create_board(broker_cfg, store, "board-a", HONG_VIET)
    create_board(broker_cfg, store, "board-b", "cao-bang/bach-dang")
    url = board_url(broker_cfg, a["id"], a["password"])
    forged = f"loa/v1/areas/{HONG_VIET}/notices/999999"
    assert publish_as(url, forged, b'{"title": "forged"}', retain=True).is_failure
    assert publish_as(url, "loa/v1/keys/notices", b'{"public_key": "forged"}', retain=True).is_failure
    assert publish_as(url, "loa/v1/boards/board-b/status", b'{"state": "offline"}', retain=True).is_failure
    assert not publish_as(url, "loa/v1/boards/board-a/status", b'{"state": "online"}', retain=True).is_failure
    assert not publish_as(url, "loa/v1/boards/board-a/ack", b'{"notice": 1, "version": 1}').is_failure
    assert retained(broker_cfg.mqtt_monitor, forged) is None


def test_password_is_kept_hashed_and_wrong_ones_refused(broker_cfg, store):
    board = create_board(broker_cfg, store, "hashed-board", HONG_VIET)
    line = next(
        row
        for row in (broker_cfg.home / "mosquitto" / "passwd").read_text().splitlines()
        if row.startswith("hashed-board:")
    )
    assert board["password"] not in line and line.split(":", 1)[1].startswith("$7$")  # PBKDF2-SHA512
    c = Collector(board_url(broker_cfg, "hashed-board", "wrong"), ["loa/v1/keys/notices"]).wait_ready()
    c.close()
    assert c.refused


def test_bad_ids_unknown_areas_and_duplicates_are_refused_with_a_reason(broker_cfg, store):
    with pytest.raises(LoaError, match="lowercase ASCII"):
        create_board(broker_cfg, store, "Bảng/+", HONG_VIET)
    with pytest.raises(LoaError, match="Loa's own broker accounts"):
        create_board(broker_cfg, store, "loa-publisher", HONG_VIET)
    with pytest.raises(LoaError, match="not in .*areas.yaml"):
        create_board(broker_cfg, store, "lost-board", "cao-bang/nowhere")
    create_board(broker_cfg, store, "twice", HONG_VIET)
    with pytest.raises(LoaError, match="already exists"):
        create_board(broker_cfg, store, "twice", HONG_VIET)


def test_cli_add_then_list(broker_cfg, monkeypatch, capsys):
    env = {
        "LOA_HOME": str(broker_cfg.home),
        "LOA_CONFIG_DIR": str(broker_cfg.config_dir),
        "LOA_DATABASE_URL": broker_cfg.database_url,
    }
    done = invoke(monkeypatch, capsys, env, "boards", "add", "cli-board", "--area", HONG_VIET, "--json")
    assert done.returncode == 0, done.stderr
    added = json.loads(done.stdout)
    assert added["broker_accepts"] is True and added["board_page"].endswith("#password=" + added["password"])
    listed = invoke(monkeypatch, capsys, env, "boards", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(b["id"], b["area"], b["state"], b["online"]) for b in json.loads(listed.stdout)] == [
        ("cli-board", HONG_VIET, "unknown", False)
    ]
