"""The desk as an editor uses it, in headless Chromium against Loa's web server on loopback:
log in (keyboard only), open a draft, edit the board text, approve, and see the notice on the website."""

import threading
import time

import pytest
import uvicorn

from channels.base import build_channels
from channels.dispatch import dispatch_notice
from loa.app.web import create_app
from loa.model import NoticeState
from loa.store import Store, users
from tests.conftest import free_port
from tests.integration.test_desk_http import APPROVER, PASSWORD, draft

pytestmark = pytest.mark.browser

BOARD_TEXT = "Từ ngày 1/12, bà con xã Nam Tuấn nộp hồ sơ hộ tịch tại bộ phận một cửa của Ủy ban nhân dân xã."


@pytest.fixture
def server(cfg, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))
    store = Store.open(cfg.database_url)
    users.add_user(store, APPROVER, "approver", PASSWORD)
    notice = draft(cfg, store)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the web server did not start on loopback"
    yield f"http://127.0.0.1:{port}", store, notice
    srv.should_exit = True
    thread.join(10)


def focus_ring(page) -> str:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                         "getComputedStyle(document.activeElement).outlineWidth")


def test_log_in_edit_the_board_text_approve_and_see_it_on_the_website(server, browser, cfg, screenshot_dir):
    base, store, notice = server
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # a small laptop
    page.goto(f"{base}/desk/")
    assert page.url.startswith(f"{base}/desk/login")
    page.screenshot(path=str(screenshot_dir / "desk-login.png"))

    # keyboard only: the name field has focus on load; Tab, Enter do the rest
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type(APPROVER)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/")
    assert "1 chờ duyệt" in page.inner_text(".counts")
    # the skip link comes first, shows where focus is, and takes focus past the navigation
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    assert focus_ring(page) == "solid 3px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.screenshot(path=str(screenshot_dir / "desk-queue.png"), full_page=True)

    link = page.get_by_role("link", name=notice.title)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/notices/{notice.id}?v=1")
    assert page.locator("h1").inner_text() == notice.title
    assert page.frame_locator("iframe.web").locator("h1").inner_text() == notice.title  # the web page as published

    board = page.get_by_label("Nội dung bảng tin (văn bản thường)")
    board.fill(BOARD_TEXT)
    assert page.inner_text("#count-boards").startswith(f"{len(BOARD_TEXT)}/")  # live budget count
    page.get_by_role("button", name="Lưu bảng tin điện tử").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**done=saved")
    assert "Đã lưu." in page.inner_text("[role=status]")
    assert BOARD_TEXT.split()[0] in page.inner_text(".board-lines")
    assert "Sửa nội dung bảng tin" in page.inner_text(".history")
    page.screenshot(path=str(screenshot_dir / "desk-notice-edited.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "desk-notice-phone.png"), full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})

    page.get_by_role("button", name="Duyệt").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**done=approved-offline")
    assert page.inner_text(".facts-line .badge >> nth=0") == "Đã duyệt"
    approved = store.notice(notice.id)
    assert approved.state == NoticeState.APPROVED and approved.approved_by == APPROVER
    assert approved.variants["boards"] == BOARD_TEXT
    page.screenshot(path=str(screenshot_dir / "desk-notice-approved.png"), full_page=True)

    # no Prefect server here: dispatch in-process, as the dispatch flow would (the lead's e2e covers Prefect)
    report = dispatch_notice(store, build_channels(cfg, store, ["website"]), notice.id)
    assert report.state == "published"
    page.goto(f"{base}/notices/{notice.id}.html")
    assert page.locator("h1").inner_text() == notice.title
    page.screenshot(path=str(screenshot_dir / "desk-published-website.png"), full_page=True)
    page.goto(f"{base}/desk/notices/{notice.id}")
    assert page.inner_text(".facts-line .badge >> nth=0") == "Đã đăng"
    page.close()
