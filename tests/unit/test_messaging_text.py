"""SMS and chat texts: an SMS always fits its declared segments, the link survives whole, Vietnamese is
UCS-2 unless the destination asks for unaccented GSM-7."""

import pytest

from loa.messaging import chat, sms, sms_budget, sms_segments, sms_units, unaccent
from loa.model import Priority

URL = "https://caobang.gov.vn/notices/1024.html"
TITLES = [
    "Cảnh báo lũ quét, sạt lở đất tại các xã Hồng Việt, Bế Triều, Nam Tuấn do mưa lớn kéo dài từ đêm 01/12",
    "Thông báo lịch tiếp công dân",
    "Khẩn: sơ tán",
    "Quyết định số 1234/QĐ-UBND ngày 02/12/2026 của Ủy ban nhân dân tỉnh Cao Bằng về việc công bố tình huống "
    "khẩn cấp về thiên tai trên địa bàn xã Đàm Thủy, huyện Trùng Khánh",
]


@pytest.mark.parametrize("title", TITLES)
@pytest.mark.parametrize("segments,unaccented", [(1, False), (2, False), (3, False), (1, True), (2, True)])
def test_every_sms_fits_its_segments_with_the_whole_link(title, segments, unaccented):
    text = sms(title, URL, priority=Priority.EMERGENCY, segments=segments, unaccented=unaccented)
    encoding, units = sms_units(text)
    assert encoding == ("GSM-7" if unaccented else "UCS-2")
    assert units <= sms_budget(segments, unaccented) and sms_segments(text) <= segments
    assert text.endswith(" " + URL)
    assert text.startswith("[KHAN CAP] " if unaccented else "[KHẨN CẤP] ")
    body = text[len("[KHẨN CẤP] ") : -len(URL) - 1]
    if body.endswith(("…", "...")):  # cut at a word boundary: the kept words are the title's first words
        kept = body.rstrip(".…")
        source = unaccent(title) if unaccented else title
        assert source.startswith(kept) and source[len(kept)] in " ,;:.-–"


def test_short_titles_are_not_cut_and_priority_labels():
    assert sms("Thông báo lịch tiếp công dân", URL, priority=Priority.NORMAL) == f"Thông báo lịch tiếp công dân {URL}"
    assert sms("Họp khẩn", URL, priority=Priority.PRIORITY).startswith("[ƯU TIÊN] Họp khẩn ")
    assert sms("Họp khẩn", URL, priority=Priority.PRIORITY, withdrawn=True).startswith("[THU HỒI] ")


def test_a_link_too_long_for_the_budget_leaves_the_title_alone():
    long_url = "https://caobang.gov.vn/" + "a" * 80
    text = sms(TITLES[0], long_url, priority=Priority.EMERGENCY)
    assert long_url not in text and sms_segments(text) == 1 and text.startswith("[KHẨN CẤP] Cảnh báo")


def test_unaccent_is_gsm7():
    assert unaccent("Đàm Thủy, Hòa An – “khẩn”") == 'Dam Thuy, Hoa An - "khan"'
    assert sms_units(unaccent("Nguyễn Thị Ánh Tuyết"))[0] == "GSM-7"
    assert sms_units("Ủy ban")[0] == "UCS-2" and sms_units("{}")[1] == 4  # extension characters count two


def test_chat_message_is_title_lead_link():
    msg = chat(TITLES[0], "Mưa lớn kéo dài. " * 40, URL, priority=Priority.EMERGENCY)
    assert msg.title == "[KHẨN CẤP] " + TITLES[0]
    lead, link = msg.body.split("\n\n")
    assert len(lead) <= 300 and lead.endswith("…") and link == f"Xem chi tiết: {URL}"
