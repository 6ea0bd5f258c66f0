"""The website as a person sees it: a real Chromium renders the Vietnamese page, and script from a feed never runs."""

import pytest

from channels.website import Website
from tests.unit.test_website import publish

pytestmark = pytest.mark.browser


def test_notice_page_renders_vietnamese_and_runs_no_feed_script(cfg, browser, screenshot_dir):
    store, n = publish(cfg)
    Website(cfg, store).dispatch(n, ["site"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((cfg.home / "site" / "notices" / f"{n.id}.html").as_uri())
    assert page.locator("h1").inner_text() == 'Kế hoạch <b>"cải cách"</b> & chuyển đổi số'
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.screenshot(path=str(screenshot_dir / "notice-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "notice-phone.png"), full_page=True)
    assert dialogs == []  # the feed's alert() never ran
    page.close()
