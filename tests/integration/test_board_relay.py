"""Loa's web server for boards: the MQTT-over-WebSocket relay (the broker still authenticates), the board page,
and the ack counts a notice page can show."""

import json
import threading
import time

import paho.mqtt.client as mqtt
import pytest
import requests
import uvicorn
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.sync.client import connect as ws_connect

from channels.boards import Boards, notice_topic
from loa.app.cli_boards import create_board
from loa.app.web import create_app
from loa.board_protocol import Report
from loa.store import Store
from loa.store.boards import record_reports
from tests.conftest import free_port
from tests.unit.test_store import draft

pytestmark = pytest.mark.integration
HONG_VIET = "cao-bang/nam-tuan"


class WebServer:
    """Loa's real web app (create_app) under uvicorn on a free loopback port, in a thread."""

    def __init__(self, cfg, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(cfg), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.server.install_signal_handlers = lambda: None
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("web server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def web(broker_cfg):
    with WebServer(broker_cfg) as server:
        yield server


def ws_client(web, username, password, topics):
    """A paho client over WebSockets through Loa's relay; returns (client, messages, connack reasons)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, transport="websockets")
    client.ws_set_options(path="/mqtt")
    client.username_pw_set(username, password)
    messages, reasons = {}, []

    def on_connect(c, u, f, rc, p):
        reasons.append(rc)
        if not rc.is_failure:
            c.subscribe([(t, 1) for t in topics])

    client.on_connect = on_connect
    client.on_message = lambda c, u, msg: messages.__setitem__(msg.topic, msg.payload)
    client.connect("127.0.0.1", web.port, keepalive=30)
    client.loop_start()
    return client, messages, reasons


def test_a_board_reads_its_notice_through_the_relay_and_the_broker_still_authenticates(broker_cfg, web):
    store = Store.open(broker_cfg.database_url)
    board = create_board(broker_cfg, store, "relay-board", HONG_VIET)
    n = store.transition(draft(store, areas=[HONG_VIET]).id, "approve", "Nông Thị Hoa")
    assert all(r.ok for r in Boards(broker_cfg, store).dispatch(n, [HONG_VIET]))
    topic = notice_topic(broker_cfg, HONG_VIET, n.id)

    client, messages, reasons = ws_client(web, board["id"], board["password"], [topic])
    try:
        deadline = time.monotonic() + 10
        while topic not in messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(messages[topic])["id"] == n.id
        # and it can report through the relay too
        info = client.publish(f"loa/v1/boards/{board['id']}/status", b'{"state": "online"}', qos=1, retain=True)
        info.wait_for_publish(5)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()

    client, messages, reasons = ws_client(web, board["id"], "wrong password", [topic])
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()
    assert reasons and reasons[0].is_failure and topic not in messages


def test_the_relay_requires_the_mqtt_subprotocol(web):
    url = f"ws://127.0.0.1:{web.port}/mqtt"
    with pytest.raises((InvalidStatus, InvalidHandshake, ConnectionError)):
        with ws_connect(url, open_timeout=5) as ws:
            ws.recv(timeout=2)  # accepted without the subprotocol would be a bug
    with ws_connect(url, subprotocols=["mqtt"], open_timeout=5) as ws:
        assert ws.subprotocol == "mqtt"


def test_board_page_and_ack_counts_are_served(broker_cfg, web):
    page = requests.get(f"{web.base}/board/?board=x&area={HONG_VIET}", timeout=5)
    assert page.ok and page.headers["content-type"].startswith("text/html")
    assert "Bảng tin điện tử" in page.text and "/board/static/vendor/mqtt.min.js" in page.text
    settings = json.loads(page.text.split('id="loa-config">', 1)[1].split("</script>", 1)[0])
    assert settings["default_profile"] == "panel" and settings["areas"][HONG_VIET] == "xã Nam Tuấn"
    assert requests.get(f"{web.base}/board", timeout=5, allow_redirects=False).status_code == 308
    assert requests.get(f"{web.base}/board/static/vendor/mqtt.min.js", timeout=5).ok

    store = Store.open(broker_cfg.database_url)
    n = store.transition(draft(store, areas=["cao-bang"]).id, "approve", "Nông Thị Hoa")
    create_board(broker_cfg, store, "acks-1", HONG_VIET)
    create_board(broker_cfg, store, "acks-2", "cao-bang/bach-dang")
    record_reports(store, [Report("acks-1", "ack", n.approved_at, notice=n.id, version=1)])
    counts = requests.get(f"{web.base}/boards/acks/{n.id}.json", timeout=5).json()
    assert counts == {"notice_id": n.id, "version": 1, "boards": 2, "acknowledged": 1}
    assert requests.get(f"{web.base}/boards/acks/999999.json", timeout=5).status_code == 404


def test_the_board_pages_broker_url_is_configurable(tmp_path):
    """A broker with native websockets: boards.yaml's broker_ws_url goes to the page (else the relay is used)."""
    import yaml

    from loa.app.web_boards import page_settings
    from loa.config import Env, load_config
    from tests.conftest import write_config

    folder = write_config(tmp_path / "config", feeds=[])
    data = yaml.safe_load((folder / "boards.yaml").read_text())
    assert data["broker_ws_url"] == ""  # shipped: Loa's relay
    data["broker_ws_url"] = "wss://mqtt.caobang.gov.vn:8084/mqtt"
    (folder / "boards.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    assert page_settings(cfg)["broker_ws_url"] == "wss://mqtt.caobang.gov.vn:8084/mqtt"
