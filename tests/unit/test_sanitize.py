from __future__ import annotations

import unicodedata

import pytest

from loa.ingest.sanitize import html_to_text, sanitize_html


@pytest.mark.parametrize(
    "dirty",
    [
        "<p>Tin<script>alert('x')</script></p>",
        "<p>Tin<SCRIPT src=https://evil.example/x.js></SCRIPT></p>",
        '<p>Tin<img src="x" onerror="alert(1)"></p>',
        '<p onclick="alert(1)" onmouseover="alert(2)">Tin</p>',
        '<p>Tin<svg onload="alert(1)"><circle r="1"/></svg></p>',
        '<p>Tin<iframe src="https://evil.example/"></iframe></p>',
        "<p>Tin<style>body{display:none}</style></p>",
        '<p>Tin<object data="x.swf"></object><embed src="x.swf"></p>',
        '<p style="background:url(javascript:alert(1))">Tin</p>',
        '<p>Tin<form action="https://evil.example/"><input name="otp"></form></p>',
    ],
)
def test_active_content_is_removed(dirty: str) -> None:
    clean = sanitize_html(dirty).lower()
    for bad in (
        "script",
        "alert",
        "onerror",
        "onclick",
        "onload",
        "iframe",
        "style",
        "object",
        "embed",
        "svg",
        "form",
        "input",
    ):
        assert bad not in clean
    assert "tin" in clean


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_dangerous_link_schemes_lose_their_href(href: str) -> None:
    clean = sanitize_html(f'<a href="{href}">xem</a>')
    assert "href" not in clean
    assert ">xem</a>" in clean


def test_links_are_kept_with_rel_and_title_only() -> None:
    clean = sanitize_html(
        '<a href="https://caobang.example/vb/1.pdf" title="Toàn văn" target="_blank" id="x" class="y">Tải về</a>'
    )
    assert clean == (
        '<a href="https://caobang.example/vb/1.pdf" title="Toàn văn" rel="noopener noreferrer nofollow">Tải về</a>'
    )


def test_the_allowlist_keeps_structure_and_unwraps_the_rest() -> None:
    dirty = (
        "<div class='x'><h2>Kế hoạch</h2><h3>Mục tiêu</h3><h4>Chỉ tiêu</h4><p><strong>100%</strong> <em>hồ sơ</em><br>"
        "<b>đúng</b> <i>hạn</i></p><ul><li>một</li></ul><ol><li>hai</li></ol><blockquote>trích</blockquote>"
        "<table><caption>Bảng</caption><thead><tr><th>Số</th></tr></thead><tbody><tr><td colspan='2'>1</td></tr></tbody></table>"
        "<span style='color:red'><font face='Arial'>chữ</font></span><h1>to</h1></div>"
    )
    clean = sanitize_html(dirty)
    for kept in (
        "<h2>",
        "<h3>",
        "<h4>",
        "<strong>",
        "<em>",
        "<br>",
        "<b>",
        "<i>",
        "<ul>",
        "<ol>",
        "<li>",
        "<blockquote>",
        "<table>",
        "<caption>",
        "<thead>",
        "<th>",
        '<td colspan="2">',
    ):
        assert kept in clean
    for dropped in ("<div", "<span", "<font", "<h1", "class=", "style="):
        assert dropped not in clean
    assert "chữ" in clean and "to" in clean


def test_comments_are_dropped_and_output_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "<p>Cải cách hành chính<!-- <script>x</script> --></p>")
    clean = sanitize_html(decomposed)
    assert clean == "<p>Cải cách hành chính</p>"
    assert unicodedata.is_normalized("NFC", clean)


def test_html_to_text_decodes_collapses_and_separates_blocks() -> None:
    html = (
        "<h2>Thông&nbsp;báo</h2><p>Lịch   tiếp\n công dân &amp; doanh nghiệp</p><ul><li>Thứ Hai</li><li>Thứ Năm</li></ul>"
        "<script>var x = '<p>no</p>';</script><style>p{}</style>Giờ&#58; 8h<br>Địa điểm: UBND xã"
    )
    assert html_to_text(html) == "Thông báo Lịch tiếp công dân & doanh nghiệp Thứ Hai Thứ Năm Giờ: 8h Địa điểm: UBND xã"


def test_html_to_text_is_nfc_and_plain_text_passes_through() -> None:
    assert html_to_text(unicodedata.normalize("NFD", "Sắp xếp đơn vị hành chính")) == "Sắp xếp đơn vị hành chính"
    assert html_to_text("  5 &lt; 7  ") == "5 < 7"
    assert html_to_text("") == ""
