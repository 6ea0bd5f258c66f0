"""Article pages of real portal shapes → their main text, without the page furniture."""

import unicodedata

import pytest

from loa.ingest.extract import ExtractError, extract_article
from tests.portal import PORTALS, extraction_score, golden_pages

BASE = "https://portal.example.gov.vn/"


@pytest.mark.parametrize("kind,page,expected", golden_pages(), ids=lambda v: getattr(v, "stem", None))
def test_golden_page_main_text_recovered_and_furniture_dropped(kind, page, expected):
    url = BASE + page.relative_to(PORTALS).as_posix()
    article = extract_article(page.read_bytes(), url, "text/html")
    recovered, left, missed, furniture = extraction_score(article.text, expected)
    assert missed == [] and recovered == 1.0
    assert furniture == [] and left == 0.0
    assert "<script" not in article.body_html and "style=" not in article.body_html  # sanitised
    assert list(article.attachments) == [BASE + f"{kind}/{a}" for a in expected.get("attachments", [])]


def test_the_feed_lead_and_the_title_repeated_by_the_page_are_dropped():
    page = PORTALS / "national/tin-tuc/nghi-dinh-mot-cua-thu-tuc-hanh-chinh-102250612.htm"
    lead = (
        "(Minh họa) - Chính phủ ban hành Nghị định số 118/2025/NĐ-CP về thực hiện thủ tục hành chính "
        "theo cơ chế một cửa, một cửa liên thông."
    )
    article = extract_article(
        page.read_bytes(),
        BASE + "a.htm",
        lead=lead,
        title="Nghị định mới về thực hiện thủ tục hành chính theo cơ chế một cửa",
    )
    assert "118/2025/NĐ-CP" not in article.text  # only the lead names it: the notice shows the lead
    assert article.text.startswith("Nghị định quy định việc tiếp nhận hồ sơ")


def test_page_title_only_when_asked():
    page = PORTALS / "gazette/van-ban/nghi-dinh-so-118-2025-nd-cp-46012.htm"
    assert extract_article(page.read_bytes(), BASE + "a.htm").title == ""
    titled = extract_article(page.read_bytes(), BASE + "a.htm", want_title=True)
    assert titled.title.startswith("Nghị định số 118/2025/NĐ-CP về thực hiện thủ tục hành chính")


def test_windows_1258_page_declared_in_meta_is_decoded():
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1258"></head><body>'
        '<div class="content"><p>Ủy ban nhân dân xã thông báo lịch tiếp công dân định kỳ vào thứ Năm hằng tuần '
        "tại trụ sở, bắt đầu từ 7 giờ 30 phút.</p><p>Người dân mang theo căn cước khi đến làm việc và "
        "đăng ký trước qua số điện thoại của Bộ phận Một cửa.</p></div></body></html>"
    )
    article = extract_article(_windows_1258(html), BASE + "b.htm")
    assert "Ủy ban nhân dân xã thông báo lịch tiếp công dân" in article.text


def test_counters_statistics_and_share_bars_go_even_inside_the_article():
    html = (
        "<html><body><article><h1>Thông báo</h1><p>Ngày đăng: 15/12/2025 | Lượt xem: 1967</p>"
        "<p>Ủy ban nhân dân xã Hồng Việt thông báo lịch tiếp nhận hồ sơ đăng ký hộ kinh doanh trong tháng 12 "
        "tại Bộ phận Một cửa, từ thứ Hai đến thứ Sáu.</p><p>Chia sẻ: Facebook | Zalo | In bài</p>"
        "<p>Đang truy cập: 53</p><h3>Thống kê truy cập</h3><p>Hôm nay 2.418</p>"
        "<h3>Tin khác</h3><ul><li>Hội nghị tổng kết năm 2025</li></ul></article></body></html>"
    )
    text = extract_article(html.encode(), BASE + "c.htm", title="Thông báo").text
    assert text.startswith("Ủy ban nhân dân xã Hồng Việt thông báo")
    for furniture in ("Lượt xem", "1967", "Chia sẻ", "Đang truy cập", "Thống kê", "2.418", "Tin khác", "Hội nghị"):
        assert furniture not in text


def test_a_page_of_only_navigation_is_an_error_not_an_empty_notice():
    html = (
        "<html><body><ul class='menu'><li><a href='/'>Trang chủ</a></li><li><a href='/gt'>Giới thiệu</a></li>"
        "</ul><div>Thống kê truy cập</div><div>Đang truy cập: 53</div></body></html>"
    )
    with pytest.raises(ExtractError):
        extract_article(html.encode(), BASE + "d.htm")


def _windows_1258(text: str) -> bytes:
    """As legacy Vietnamese sites encode: precomposed where the code page has it, else base + tone mark."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("windows-1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", ch)
            tone = next(m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323")
            out += unicodedata.normalize("NFC", marks.replace(tone, "")).encode("windows-1258") + tone.encode(
                "windows-1258"
            )
    return out
