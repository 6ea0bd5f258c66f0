"""The sample site in headless Chromium, served over HTTP: desktop and phone screenshots, no feed script
ever runs, search as an enhancement, everything reachable without JavaScript, contrast and focus."""

from __future__ import annotations

import pytest

from loa.site.build import write_files
from tests.conftest import files_of, loopback_http
from tests.unit.site_sample import build

pytestmark = pytest.mark.browser

PAGES = {
    "home": "index.html",
    "notice": "notices/1.html",
    "notice-xss": "notices/6.html",
    "notice-withdrawn": "notices/3.html",
    "notice-old-version": "notices/4/v1.html",
    "commune": "areas/cao-bang/nam-tuan/index.html",
    "archive": "areas/cao-bang/nam-tuan/2026-11.html",
}

# WCAG 2 contrast of every visible text against the first opaque background behind it.
CONTRAST = """() => {
  const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (el) => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
      if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c; } return "rgb(255, 255, 255)"; };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || !box.width || getComputedStyle(el).visibility === "hidden") continue;
    const s = getComputedStyle(el), a = lum(s.color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 40)}`);
  }
  return bad;
}"""


def decode(png: bytes) -> list[str]:
    import io

    import zxingcpp
    from PIL import Image

    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))) if code.valid]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The golden sample site on a plain HTTP server: any web server can serve it."""
    root = tmp_path_factory.mktemp("site")
    write_files(root, build())
    with loopback_http(files_of(root)) as url:
        yield url


def open_page(browser, url, width=1280, height=900, **kw):
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    return context, page, dialogs


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_at_desktop_and_phone_width(browser, site, screenshot_dir, name):
    for label, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        context, page, dialogs = open_page(browser, f"{site}/{PAGES[name]}", width, height)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == "vi"
        assert page.locator("h1").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        assert page.evaluate(CONTRAST) == []
        if name.startswith("notice"):  # the QR code loads, and a phone reading it gets the notice's address
            notice_id = PAGES[name].split("/")[1].split(".")[0]
            assert decode(page.locator(".qr img").screenshot()) == [
                f"https://loa.example.gov.vn/notices/{notice_id}.html"
            ]
        page.screenshot(path=str(screenshot_dir / f"site-{name}-{label}.png"), full_page=True)
        assert dialogs == []  # no script from a feed ran
        context.close()


def test_feed_script_does_not_run_anywhere_even_in_search_results(browser, site):
    context, page, dialogs = open_page(browser, f"{site}/notices/6.html")
    assert page.locator("h1").inner_text() == 'Thông báo <script>alert("tiêu đề")</script> & "lịch" tiếp dân'
    assert page.locator("article script, article iframe, article img[src='x']").count() == 0
    page.goto(f"{site}/index.html")
    page.fill("#search-q", "tieu de")
    page.wait_for_selector(".search-results li")
    assert page.locator(".search-results li a").first.inner_text().startswith("Thông báo <script>")
    page.wait_for_timeout(300)
    assert dialogs == []
    context.close()


def test_search_is_an_enhancement_that_ignores_diacritics(browser, site, screenshot_dir):
    context, page, _ = open_page(browser, f"{site}/index.html", 390, 844)
    assert page.locator("form.search").is_visible()
    page.fill("#search-q", "lu quet nam tuan")
    page.wait_for_selector(".search-results li")
    titles = page.locator(".search-results li a").all_inner_texts()
    assert titles == ["Cảnh báo lũ quét và sạt lở đất trên địa bàn các xã Nam Tuấn, Bạch Đằng"]
    assert page.locator(".search-status").inner_text() == "Tìm thấy 1 thông báo."
    page.screenshot(path=str(screenshot_dir / "site-search-phone.png"), full_page=True)
    page.fill("#search-q", "3627/KH")
    page.wait_for_function("document.querySelector('.search-results a')?.textContent.startsWith('Kế hoạch')")
    page.fill("#search-q", "lich tiep cong dan nam tuan")  # withdrawn notices are found, and say so
    page.wait_for_function("document.querySelector('.search-status').textContent === 'Tìm thấy 2 thông báo.'")
    withdrawn = page.locator(".search-results li", has_text="Đã bị thu hồi")
    assert withdrawn.count() == 1
    withdrawn.locator("a").click()
    page.wait_for_url("**/notices/3.html")
    context.close()


def test_everything_is_reachable_without_javascript(browser, site, screenshot_dir):
    context, page, _ = open_page(browser, f"{site}/index.html", java_script_enabled=False)
    assert not page.locator("form.search").is_visible()  # the enhancement stays out of the way
    assert page.locator(".notice-list li").count() == 4
    page.get_by_role("link", name="Xã Nam Tuấn", exact=True).click()
    page.get_by_role("link", name="Tháng 11/2026").click()
    page.get_by_role("link", name="Thông báo lịch tiếp công dân xã Nam Tuấn").click()
    assert "Thông báo này đã bị thu hồi" in page.locator(".banner.withdrawn").inner_text()
    page.screenshot(path=str(screenshot_dir / "site-nojs-withdrawn.png"), full_page=True)
    context.close()


def test_keyboard_reaches_the_skip_link_and_focus_is_visible(browser, site):
    context, page, _ = open_page(browser, f"{site}/notices/1.html")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    context.close()
