"""The reference board page in headless Chromium, against Loa's Mosquitto through Loa's relay.

A signed notice shows (with its QR code); forged, unsigned and foreign-key notices do not; an emergency
takes over the screen and leaves it when withdrawn; the board's acks and status reach the store
through Loa's board listener.
"""

import json
import time
import uuid

import pytest
from sqlalchemy import select

from channels.board_listener import BoardListener
from channels.boards import Boards, notice_topic
from channels.mqtt import Publisher
from loa.app.cli_boards import create_board
from loa.signing import Signer
from loa.store import Store
from loa.store.boards import ack_counts, boards
from loa.store.schema import NoticeVersionRow
from tests.integration.test_board_relay import WebServer
from tests.unit.test_store import draft, entry

pytestmark = pytest.mark.browser
HONG_VIET = "cao-bang/nam-tuan"


def approve(store, ident, title, text, areas, priority="normal"):
    n = draft(store, entry(ident=ident, title=title), areas=areas)
    store.set_variant(n.id, "boards", f"{title}. {text}", "Nông Thị Hoa")  # the board text begins with the title
    with store.session() as s:
        s.scalar(select(NoticeVersionRow).where(NoticeVersionRow.notice_id == n.id)).priority = priority
    return store.transition(n.id, "approve", "Nông Thị Hoa")


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def own_broker(tmp_path):
    """A Mosquitto of its own: the session broker holds other tests' province-wide notices, which this
    board would rightly show too."""
    from loa.app import broker
    from loa.config import Env, load_config
    from tests.conftest import write_config

    cfg = load_config(Env(home=tmp_path / "home", config_dir=write_config(tmp_path / "config", feeds=[])))
    proc = broker.start(cfg)
    yield cfg
    proc.terminate()
    proc.wait(10)


def test_board_page_verifies_rotates_takes_over_and_acks(own_broker, browser, screenshot_dir, tmp_path):
    cfg = own_broker
    store = Store.open(cfg.database_url)
    board = create_board(cfg, store, f"page-{uuid.uuid4().hex[:6]}", HONG_VIET)
    channel = Boards(cfg, store)
    listener = BoardListener(cfg, store, client_id=f"test-page-listener-{uuid.uuid4().hex[:6]}").start().wait_ready()
    normal = approve(
        store,
        "urn:page:1",
        "Lịch tiếp công dân tháng 12 của UBND xã Nam Tuấn",
        "Chủ tịch UBND xã tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở UBND xã. Người dân "
        "có thể gửi kiến nghị, phản ánh về thủ tục hành chính qua Cổng dịch vụ công trực tuyến "
        "hoặc hòm thư góp ý đặt tại bộ phận một cửa.",
        [HONG_VIET],
    )
    assert all(r.ok for r in channel.dispatch(normal, [HONG_VIET]))

    with WebServer(cfg) as web:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{web.base}/board/?board={board['id']}&area={HONG_VIET}&rotate=3#password={board['password']}")
        try:
            # 1. the signed notice shows, with its QR code; the password left the address bar
            page.wait_for_function(f"() => document.body.dataset.showing === '{normal.id}/1'", timeout=15000)
            shown = page.locator("#notice-lines").inner_text()
            assert shown.replace("\n", " ").startswith(normal.title)  # the panel lines, title first
            assert page.locator("#notice-lines strong").first.inner_text().startswith("Lịch tiếp công dân")
            assert page.locator("#qr svg").count() == 1
            assert "password" not in page.url
            page.screenshot(path=str(screenshot_dir / "board-notice.png"))

            # 2. forged, unsigned and foreign-key notices are rejected (published with Loa's own account,
            #    as a compromised publisher or a man in the middle would)
            good = channel.payload(normal, HONG_VIET)
            foreign = Signer.load_or_create(tmp_path / "attacker.pem")
            forged = [
                dict(good, id=900001, title="GIẢ MẠO: sửa tiêu đề", area=HONG_VIET),
                {k: v for k, v in dict(good, id=900002, title="GIẢ MẠO: không chữ ký").items() if k != "signature"},
                foreign.sign(
                    {k: v for k, v in dict(good, id=900003, title="GIẢ MẠO: khóa lạ").items() if k != "signature"}
                ),
            ]
            with Publisher(cfg.mqtt, client_id="test-forger") as pub:
                for doc in forged:
                    pub.publish(notice_topic(cfg, HONG_VIET, doc["id"]), json.dumps(doc, ensure_ascii=False).encode())
            page.wait_for_function("() => window.loaBoard.state.rejected.size >= 3", timeout=10000)
            reasons = page.evaluate("() => [...window.loaBoard.state.rejected.values()]")
            assert reasons == ["signature does not verify", "unsigned", f"signed with unknown key {foreign.key_id}"]
            time.sleep(3.5)  # a full rotation: only the genuine notice is ever on screen
            assert page.evaluate("() => [...window.loaBoard.state.notices.values()].map(n => n.id)") == [normal.id]
            assert "GIẢ MẠO" not in page.locator("body").inner_text()
            page.screenshot(path=str(screenshot_dir / "board-forged-rejected.png"))

            # 3. an emergency takes over the screen at once
            emergency = approve(
                store,
                "urn:page:2",
                "Lũ quét trên sông Bằng: sơ tán ngay",
                "Người dân ven sông các xã Nam Tuấn, Bạch Đằng di chuyển lên vùng cao, "
                "không qua ngầm tràn. Gọi 114 khi cần cứu hộ.",
                ["cao-bang"],
                priority="emergency",
            )
            assert all(r.ok for r in channel.dispatch(emergency, ["cao-bang"]))
            page.wait_for_function("() => document.body.classList.contains('emergency')", timeout=10000)
            assert page.evaluate("document.body.dataset.showing") == f"{emergency.id}/1"
            assert page.locator("#notice-priority").inner_text() == "KHẨN CẤP"
            time.sleep(3.5)  # it stays on screen through rotations
            assert page.evaluate("document.body.dataset.showing") == f"{emergency.id}/1"
            assert "Lũ quét trên sông Bằng" in page.locator("#notice-lines").inner_text()
            page.screenshot(path=str(screenshot_dir / "board-emergency.png"))

            # 4. withdrawn, it leaves the screen and normal rotation resumes
            assert all(r.ok for r in channel.withdraw(emergency, ["cao-bang"]))
            page.wait_for_function("() => !document.body.classList.contains('emergency')", timeout=10000)
            assert page.evaluate("document.body.dataset.showing") == f"{normal.id}/1"

            # 5. the board acknowledged both notices and reported itself online
            assert wait(
                lambda: (
                    ack_counts(store, normal.id).acknowledged == 1 and ack_counts(store, emergency.id).acknowledged == 1
                )
            ), "acks did not reach the store"
            assert wait(lambda: boards(store)[0].state == "online")
        finally:
            page.close()
        assert wait(lambda: boards(store)[0].state == "offline"), "closing the page did not report offline"
        assert errors == []
    listener.stop()
