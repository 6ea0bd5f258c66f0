"""`loa board watch --area PATH`, the terminal board: prints verified notices with the profile's lines,
rejects forged ones and notes withdrawals."""

import json
import threading
import time

import pytest
from rich.console import Console

from channels.board_client import watch
from channels.boards import Boards, notice_topic
from channels.mqtt import Publisher
from loa.store import Store
from tests.unit.test_store import draft, entry

pytestmark = pytest.mark.integration
AREA = "cao-bang/dam-thuy"


def test_terminal_board_shows_verified_notices_only(broker_cfg):
    cfg = broker_cfg
    store = Store.open(cfg.database_url)
    n = draft(store, entry(ident="urn:watch", title="Thông báo lịch tiêm chủng xã Đàm Thủy"), areas=[AREA])
    store.set_variant(
        n.id, "boards", "Thông báo lịch tiêm chủng xã Đàm Thủy. Sáng thứ Hai tại trạm y tế xã.", "Nông Thị Hoa"
    )
    n = store.transition(n.id, "approve", "Nông Thị Hoa")
    boards = Boards(cfg, store)
    console, stop = Console(record=True, width=100, force_terminal=False), threading.Event()
    thread = threading.Thread(
        target=watch, args=(cfg, AREA), kwargs={"console": console, "stop": stop, "profile": "panel"}, daemon=True
    )
    thread.start()
    time.sleep(0.5)
    assert all(r.ok for r in boards.dispatch(n, [AREA]))
    forged = dict(boards.payload(n, AREA), id=990001, title="Giả mạo")
    with Publisher(cfg.mqtt, client_id="test-watch-forger") as pub:
        pub.publish(notice_topic(cfg, AREA, 990001), json.dumps(forged, ensure_ascii=False).encode())
    assert all(r.ok for r in boards.withdraw(n, [AREA]))
    time.sleep(1.0)
    stop.set()
    thread.join(5)
    text = console.export_text()
    assert "Thông báo lịch tiêm chủng xã Đàm Thủy" in text and "Sáng thứ Hai tại trạm y tế xã." in text
    assert f"rejected {notice_topic(cfg, AREA, 990001)}: signature does not verify" in text
    assert "Giả mạo" not in text
    # a withdrawal names the notice the reader saw, not the raw MQTT topic
    assert f"withdrawn notice {n.id}: Thông báo lịch tiêm chủng xã Đàm Thủy" in text
    assert notice_topic(cfg, AREA, n.id) not in text
