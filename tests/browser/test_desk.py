"""The desk as an editor uses it, in headless Chromium against Loa's web server on loopback:
log in (keyboard only), open a draft, edit the board text, approve, and see the notice on the website."""

import threading
import time

import pytest
import uvicorn

from channels.catalogue import build_channels
from loa.app.web import create_app
from loa.model import NoticeState
from loa.publishing.dispatch import dispatch_notice
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
    srv = uvicorn.Server(
        uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
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
    return page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' + "
        "getComputedStyle(document.activeElement).outlineWidth"
    )


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
    # the panel shows the edited text (the ticker: title, number, date and link)
    assert BOARD_TEXT.split()[0] in page.locator(".board-lines").last.inner_text()
    assert "Sửa nội dung bảng tin" in page.inner_text(".history")
    page.screenshot(path=str(screenshot_dir / "desk-notice-edited.png"), full_page=True)
    page.locator("#ch-boards").screenshot(path=str(screenshot_dir / "desk-board-previews.png"))  # each profile's lines
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


# what one notice's deliveries look like after a dispatch to a grouping (the former huyện Hòa An's communes) and a
# withdrawal retry (the desk's deliveries table): long topics, playlist paths and an error message without spaces
DELIVERIES = (
    [
        (
            "website",
            "site",
            True,
            "notices/{id}.html, areas/cao-bang/hoa-an/index.html, areas/cao-bang/nam-tuan/index.html, "
            "areas/cao-bang/nguyen-hue/index.html, areas/cao-bang/bach-dang/index.html, atom.xml, rss.xml",
        )
    ]
    + [
        ("boards", f"cao-bang/{c}", True, f"loa/v1/areas/cao-bang/{c}/notices/{{id}} (retained, QoS 1)")
        for c in ("hoa-an", "nam-tuan", "nguyen-hue")
    ]
    + [
        (
            "radio",
            s,
            True,
            f"plays notice-{{id}}-v1-vi.mp3, notice-{{id}}-v1-tay.mp3; stations/{s}/2026-12-03-0600.m3u8, "
            f"stations/{s}.m3u8",
        )
        for s in ("hoa-an", "nam-tuan")
    ]
    + [
        ("print", "cao-bang/hoa-an", True, "print/cao-bang/hoa-an/2026-W49.pdf (2 trang)"),
        (
            "boards",
            "cao-bang/bach-dang",
            False,
            "broker mqtt://127.0.0.1:1884 unreachable: [Errno 111] Connection refused; Loa retries at the next dispatch",
        ),
        (
            "webhook",
            "https://mot-cua.caobang.gov.vn/api/loa/notices?token-free-endpoint-with-a-very-long-path",
            False,
            "HTTP 502 from https://mot-cua.caobang.gov.vn/api/loa/notices?token-free-endpoint-with-a-very-long-path",
        ),
    ]
)


def log_in(page, base: str, name: str = APPROVER, password: str = PASSWORD) -> None:
    """Through the desk's login form, as an editor would, onto the queue."""
    page.goto(f"{base}/desk/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/")


def layout(page) -> dict:
    """What a phone user scrolls: the page's size against the viewport, and the narrowest deliveries cell."""
    return page.evaluate("""() => {
        const d = document.documentElement;
        const cells = [...document.querySelectorAll('.deliveries td.detail')].map(c => c.getBoundingClientRect().width);
        const wide = [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1);
        return {width: d.scrollWidth, viewport: d.clientWidth, height: d.scrollHeight, tables_scroll: wide.length,
                narrowest_cell: cells.length ? Math.min(...cells) : null};
    }""")


def clipped_selects(page) -> list[str]:
    """Filter fields whose chosen option's text is wider than the room the select gives it (padding and
    the arrow taken off): what an editor sees cut off."""
    return page.evaluate("""() => {
        const ctx = document.createElement('canvas').getContext('2d');
        return [...document.querySelectorAll('.filters select')].filter(sel => {
            const cs = getComputedStyle(sel);
            ctx.font = cs.font;
            const text = ctx.measureText(sel.options[sel.selectedIndex].text).width;
            const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
            return text > room;
        }).map(sel => sel.id);
    }""")


@pytest.mark.parametrize("width", [360, 390])
def test_queue_and_notice_page_work_on_a_phone(server, browser, width, screenshot_dir):
    """Editors approve from their phones in the field: at 360-390 px no page scrolls sideways, the deliveries
    table stacks each delivery into a readable card, and the notice page stays a phone's few screens long
    (it was 16,700 px at 390 px with the detail column squeezed to 44 px)."""
    from loa.model import DeliveryResult

    base, store, notice = server
    approved = store.transition(notice.id, "approve", APPROVER)
    for channel, target, ok, detail in DELIVERIES:
        result = DeliveryResult(channel, target, ok, detail.replace("{id}", str(notice.id)))
        store.record_delivery(approved.id, approved.version, "publish", result)
    page = browser.new_page(viewport={"width": width, "height": 844})
    log_in(page, base)
    queue = layout(page)
    page.screenshot(path=str(screenshot_dir / f"desk-queue-{width}.png"), full_page=True)
    page.goto(f"{base}/desk/notices/{notice.id}")
    notice_page = layout(page)
    page.screenshot(path=str(screenshot_dir / f"desk-notice-{width}.png"), full_page=True)
    print(f"{width} px: queue {queue}, notice {notice_page}")
    page.get_by_role("link", name="Quyết định").click()  # the decision is far below on a phone: one tap away
    assert page.evaluate("document.getElementById('h-decide').getBoundingClientRect().top") < 844
    for name, m in (("queue", queue), ("notice", notice_page)):
        assert m["width"] <= m["viewport"], f"the {name} page scrolls sideways at {width} px: {m}"
        assert m["tables_scroll"] == 0, f"a table on the {name} page scrolls sideways at {width} px: {m}"
    assert notice_page["narrowest_cell"] >= width * 0.8, notice_page  # the detail takes the card's width
    assert notice_page["height"] <= 7500, notice_page
    assert queue["height"] <= 2000, queue
    page.close()


@pytest.mark.parametrize("width", [1366, 1024, 390])
def test_no_queue_filter_is_cut_off(server, browser, width):
    """The state filter's first choice ("Tất cả (phiên bản mới nhất)") was cut off on a laptop."""
    base, _, _ = server
    page = browser.new_page(viewport={"width": width, "height": 800})
    log_in(page, base)
    assert clipped_selects(page) == []
    page.select_option("#state", "partially_published")
    assert clipped_selects(page) == []
    page.close()
