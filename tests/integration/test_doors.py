"""Doors a security probe found open (issue 17): each test fails on the code before the fix.

- the per-account login limit counted the stripped name while authentication collapsed inner whitespace;
- scrypt ran on the event loop, so 20 logins stalled every route, the public website included;
- an id beyond 64 bits was an HTTP 500 (the database refused the number), on public routes too;
- the /mqtt relay took connections from any page (Origin) and any number per address;
- a board account could connect with Loa's own client ids and take over their sessions.
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
import requests
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from channels.board_listener import BoardListener
from loa.app.cli_boards import create_board
from loa.app.web import create_app, names_no_id
from loa.config import Env, load_config
from loa.store import Store, users
from loa.store.schema import LoginAttemptRow
from tests.conftest import write_config
from tests.integration.test_board_relay import WebServer

pytestmark = pytest.mark.integration
NAME, PASSWORD = "Nông Thị Hoa", "mật khẩu đủ dài 2026"


def _login_token(client) -> str:
    page = client.get("/desk/login")
    return re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)


def test_the_login_limit_counts_the_name_that_authentication_uses(cfg, monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))
    store = Store.open(cfg.database_url)
    users.add_user(store, NAME, "editor", PASSWORD)
    client = TestClient(create_app(cfg))
    token = _login_token(client)
    spellings = [
        "Nông  Thị Hoa",
        "Nông\tThị Hoa",
        "Nông\u00a0Thị Hoa",
        "Nông\u3000Thị Hoa",
        " Nông Thị Hoa ",
        "Nông Thị\u2003Hoa",
    ]
    codes = [
        client.post("/desk/login", data={"name": name, "password": "sai mật khẩu", "login_token": token}).status_code
        for name in spellings
    ]
    # five failures under any spelling lock the one account; the sixth spelling is refused unheard
    assert codes == [401] * users.MAX_FAILURES_PER_NAME + [429]
    right = client.post("/desk/login", data={"name": NAME, "password": PASSWORD, "login_token": token})
    assert right.status_code == 429  # even the right password waits now
    with store.session() as s:
        assert set(s.scalars(select(LoginAttemptRow.name)).all()) == {NAME}
    assert users.canonical_name("Nông\u3000 Thị\tHoa") == NAME


def test_spellings_that_authentication_accepts_are_the_account(cfg, monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))
    store = Store.open(cfg.database_url)
    users.add_user(store, NAME, "editor", PASSWORD)
    client = TestClient(create_app(cfg))
    r = client.post(
        "/desk/login",
        data={"name": "Nông\u00a0 Thị Hoa", "password": PASSWORD, "login_token": _login_token(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_password_hashing_does_not_stall_the_web_server(cfg):
    """Real scrypt (N=2^15): 12 logins at once are hashed in worker threads while / and /healthz answer."""
    store = Store.open(cfg.database_url)
    users.add_user(store, NAME, "editor", PASSWORD)
    (cfg.home / "site").mkdir(parents=True, exist_ok=True)
    (cfg.home / "site" / "index.html").write_text("<!doctype html><title>Loa</title>")
    done: dict[str, float] = {}
    with WebServer(cfg) as web:
        sessions = []
        for _ in range(12):
            s = requests.Session()
            page = s.get(f"{web.base}/desk/login", timeout=10)
            sessions.append((s, re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)))

        def login(i, s, token):
            s.post(
                f"{web.base}/desk/login",
                data={"name": f"Người thử {i}", "password": "sai mật khẩu", "login_token": token},
                timeout=60,
                allow_redirects=False,
            )
            done[f"login {i}"] = time.monotonic()

        threads = [threading.Thread(target=login, args=(i, s, t)) for i, (s, t) in enumerate(sessions)]
        for t in threads:
            t.start()
        time.sleep(0.05)  # the logins are in the server
        for path in ("/healthz", "/"):
            assert requests.get(f"{web.base}{path}", timeout=60).ok
            done[path] = time.monotonic()
        for t in threads:
            t.join(60)
    logins = sorted(v for k, v in done.items() if k.startswith("login"))
    assert len(logins) == 12
    # served while the hashing goes on: before half the logins are answered (on the loop: after all of them)
    assert done["/"] < logins[len(logins) // 2], (done, logins)


@pytest.mark.parametrize(
    "path",
    [
        "/boards/acks/99999999999999999999.json",  # public
        "/desk/notices/99999999999999999999",
        "/desk/notices/1?v=99999999999999999999",
        "/desk/notices/1/v99999999999999999999/preview/print",
        "/notices/99999999999999999999.html",
    ],
)
def test_an_id_no_row_can_have_is_404_not_500(cfg, path):
    Store.open(cfg.database_url)
    client = TestClient(create_app(cfg), raise_server_exceptions=False)
    assert client.get(path, follow_redirects=False).status_code == 404


def test_only_numbers_beyond_64_bits_are_refused():
    assert names_no_id("/boards/acks/9223372036854775808.json", "")
    assert not names_no_id("/boards/acks/9223372036854775807.json", "")
    assert names_no_id("/desk/", "page=1&v=99999999999999999999")
    assert not names_no_id("/desk/notices/3", "v=2")
    # a file name with a long hash is not an id
    assert not names_no_id("/desk/notices/3/v1/audio/notice-3-v1-vi-12345678901234567890abc.mp3", "")


def _relay_cfg(tmp_path, broker, **boards):
    folder = write_config(tmp_path / "config", feeds=[])
    data = yaml.safe_load((folder / "boards.yaml").read_text())
    data.update(boards)
    (folder / "boards.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    # the session's broker: same accounts
    main = yaml.safe_load((folder / "loa.yaml").read_text())
    main["ports"]["mqtt"] = broker.mqtt.port
    (folder / "loa.yaml").write_text(yaml.safe_dump(main, allow_unicode=True))
    return load_config(Env(home=broker.home, config_dir=folder, database_url=f"sqlite:///{tmp_path / 'loa.db'}"))


def test_the_relay_takes_only_pages_of_this_site_and_few_connections_per_address(tmp_path, broker):
    cfg = _relay_cfg(tmp_path, broker, relay_max_per_address=2)
    with WebServer(cfg) as web:
        url = f"ws://127.0.0.1:{web.port}/mqtt"
        with pytest.raises(InvalidStatus):  # a page on another site (its browser sends its Origin)
            ws_connect(url, subprotocols=["mqtt"], origin="https://evil.example", open_timeout=5)
        same_host = f"http://127.0.0.1:{web.port}"
        first = ws_connect(url, subprotocols=["mqtt"], origin=same_host, open_timeout=5)
        second = ws_connect(url, subprotocols=["mqtt"], open_timeout=5)  # no Origin: a device, not a page
        with pytest.raises(InvalidStatus):
            ws_connect(url, subprotocols=["mqtt"], origin=same_host, open_timeout=5)
        first.close()
        deadline = time.monotonic() + 5
        while True:  # the slot is free again once the relay has seen the close
            try:
                third = ws_connect(url, subprotocols=["mqtt"], origin=same_host, open_timeout=5)
                break
            except InvalidStatus:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        third.close()
        second.close()


def test_the_board_page_allows_only_configured_brokers(tmp_path, broker):
    cfg = _relay_cfg(tmp_path, broker, allowed_broker_urls=["wss://mqtt.caobang.gov.vn:8084/mqtt"])
    client = TestClient(create_app(cfg))
    r = client.get("/board/?board=b1&area=cao-bang", headers={"host": "loa.example:8080"})
    csp = r.headers["content-security-policy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    assert set(connect) == {
        "'self'",
        "wss://mqtt.caobang.gov.vn:8084/mqtt",
        "ws://loa.example:8080/mqtt",
        "wss://loa.example:8080/mqtt",
    }
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    settings = r.text.split('id="loa-config">', 1)[1].split("</script>", 1)[0]
    assert '"allowed_brokers": ["", "wss://mqtt.caobang.gov.vn:8084/mqtt"]' in settings.replace('","', '", "')
    # a Host header cannot write into the policy
    evil = client.get("/board/", headers={"host": "x; script-src *"}).headers["content-security-policy"]
    assert "script-src *" not in evil


def test_a_board_account_cannot_take_over_loa_client_ids(broker_cfg):
    store = Store.open(broker_cfg.database_url)
    board = create_board(broker_cfg, store, f"takeover-{uuid.uuid4().hex[:6]}", "cao-bang")
    listener = BoardListener(broker_cfg, store).start().wait_ready()
    drops = []
    listener.client.on_disconnect = lambda *a: (drops.append(a), listener.connected.clear())
    thief = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="loa-board-listener", protocol=mqtt.MQTTv5)
    thief.username_pw_set(board["id"], board["password"])
    thief_connects = []
    thief.on_connect = lambda c, u, f, rc, p: thief_connects.append(rc)
    thief.connect(broker_cfg.mqtt.host, broker_cfg.mqtt.port)
    thief.loop_start()
    try:
        deadline = time.monotonic() + 10
        while not thief_connects and time.monotonic() < deadline:
            time.sleep(0.05)
        assert thief_connects and not thief_connects[0].is_failure  # the board itself may connect ...
        time.sleep(2)
        assert drops == [] and listener.connected.is_set()  # ... but Loa's listener keeps its session
    finally:
        thief.loop_stop()
        thief.disconnect()
        listener.stop()
