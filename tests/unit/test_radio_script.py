"""A notice's script and the key facts it repeats: pure functions on realistic administrative texts."""

from __future__ import annotations

import pytest

from loa.model import DocumentMeta
from loa.prose import prose, sentences
from loa.radio.facts import deadlines, places, recap
from loa.radio.script import meta_sentences, script_lines, sentence

METADATA_TABLE = """<p>Chủ tịch UBND tỉnh Cao Bằng ban hành Quyết định số 512/QĐ-UBND ngày 18/3/2025 công bố danh mục 12
thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực hộ tịch.</p>
<table><tr><th>Số ký hiệu</th><td>512/QĐ-UBND</td></tr><tr><th>Ngày ban hành</th><td>18/03/2025</td></tr>
<tr><th>Người ký</th><td>Nguyễn Văn Hùng</td></tr><tr><th>Chức vụ</th><td>Phó Chủ tịch UBND tỉnh</td></tr></table>
<p>Toàn văn: <a href="https://cchc.caobang.example/van-ban/512.pdf">Quyết định số 512/QĐ-UBND</a></p>"""


# --- prose: what is read, what is not ---------------------------------------------------------


def test_metadata_table_gives_facts_and_is_never_read():
    p = prose(METADATA_TABLE)
    assert p.facts == {
        "number": "512/QĐ-UBND",
        "issued_on": "18/03/2025",
        "signer": "Nguyễn Văn Hùng",
        "position": "Phó Chủ tịch UBND tỉnh",
    }
    assert "Số ký hiệu" not in p.text and "Người ký" not in p.text
    assert "Toàn văn" not in p.text  # the link label is web furniture


def test_horizontal_metadata_table_and_data_tables():
    html = (
        "<table><tr><th>Số hiệu</th><th>Ngày ban hành</th><th>Trích yếu</th></tr>"
        "<tr><td>45/TB-UBND</td><td>02/12/2026</td><td>Lịch tiếp công dân</td></tr></table>"
        "<table><tr><th>STT</th><th>Tên thủ tục</th></tr><tr><td>1</td><td>Đăng ký khai sinh</td></tr></table>"
        "<p>Người dân theo dõi lịch tiếp.</p>"
    )
    p = prose(html)
    assert p.facts == {"number": "45/TB-UBND", "issued_on": "02/12/2026", "subject": "Lịch tiếp công dân"}
    assert p.blocks == ("Người dân theo dõi lịch tiếp.",)  # a data table is not read aloud either


@pytest.mark.parametrize(
    "html",
    [
        '<p><a href="/van-ban/88.pdf">Tải về</a></p>',
        '<p>Xem chi tiết <a href="/vb">tại đây</a></p>',
        '<p><a href="/tin/1">Tin liên quan: Cao Bằng sắp xếp đơn vị hành chính</a></p>',
        '<p>File đính kèm: <a href="/a.docx">du-thao.docx</a></p>',
        "<p>Chia sẻ</p>",
        "<p>Nguồn: Báo Cao Bằng</p>",
    ],
)
def test_link_labels_and_furniture_are_dropped(html):
    assert prose("<p>Người dân nộp hồ sơ trực tuyến.</p>" + html).blocks == ("Người dân nộp hồ sơ trực tuyến.",)


def test_a_link_inside_a_sentence_stays():
    html = '<p>Người dân nộp hồ sơ trên <a href="https://dichvucong.gov.vn">Cổng Dịch vụ công quốc gia</a>.</p>'
    assert prose(html).blocks == ("Người dân nộp hồ sơ trên Cổng Dịch vụ công quốc gia.",)


def test_sentences_split_at_full_stops_not_abbreviations_or_numbers():
    text = (
        "Hội nghị diễn ra tại TP. Cao Bằng. Đ/c. Nguyễn Văn Hùng chủ trì. Đã tiếp nhận 1.325 hồ sơ, "
        "đạt 94,5%. Hạn chót là 30/4!"
    )
    assert sentences(text) == [
        "Hội nghị diễn ra tại TP. Cao Bằng.",
        "Đ/c. Nguyễn Văn Hùng chủ trì.",
        "Đã tiếp nhận 1.325 hồ sơ, đạt 94,5%.",
        "Hạn chót là 30/4!",
    ]


# --- key facts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "Việc lấy ý kiến được thực hiện bằng hình thức phát phiếu đến từng hộ gia đình, hoàn thành trước ngày 25/4/2025.",
            ["hoàn thành trước ngày 25/4/2025"],
        ),
        (
            "Các hộ gia đình kê khai, nộp tờ khai chậm nhất ngày 15/01/2026 tại UBND xã.",
            ["nộp tờ khai chậm nhất ngày 15/01/2026 tại UBND xã"],
        ),
        (
            "Thời gian tiếp nhận hồ sơ từ ngày 01/12/2026 đến hết ngày 31/12/2026, trong giờ hành chính.",
            ["Thời gian tiếp nhận hồ sơ từ ngày 01/12/2026 đến hết ngày 31/12/2026"],
        ),
        (
            "Người dân đăng ký tiêm chủng trước 17 giờ ngày 20/11; sau thời hạn trên sẽ không được tiếp nhận.",
            ["Người dân đăng ký tiêm chủng trước 17 giờ ngày 20/11"],
        ),
        ("Hạn chót nộp hồ sơ là ngày 30 tháng 6 năm 2026.", ["Hạn chót nộp hồ sơ là ngày 30 tháng 6 năm 2026"]),
        (
            "Thời gian khai mạc vào 8 giờ 00, ngày 12/12/2026 tại hội trường UBND xã.",
            ["Thời gian khai mạc vào 8 giờ 00, ngày 12/12/2026 tại hội trường UBND xã"],
        ),
        ("UBND tỉnh ban hành Kế hoạch số 1050/KH-UBND ngày 14/4/2025 về lấy ý kiến cử tri.", []),  # an issue date
        ("Quyết định có hiệu lực kể từ ngày ký.", []),
    ],
)
def test_deadlines(text, expected):
    assert deadlines(text) == expected


def test_a_long_clause_is_cut_to_the_deadline_itself():
    text = (
        "Đề nghị các cơ quan, đơn vị, địa phương trên địa bàn tỉnh tổng hợp, báo cáo kết quả thực hiện nhiệm vụ "
        "cải cách hành chính năm 2026 gửi về Sở Nội vụ trước ngày 15/12/2026 để tổng hợp."
    )
    assert deadlines(text) == ["trước ngày 15/12/2026"]


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "Người dân cần hỗ trợ có thể đến Bộ phận Một cửa gần nhất để được hướng dẫn miễn phí.",
            ["Bộ phận Một cửa gần nhất"],
        ),
        (
            "Các thủ tục được tiếp nhận tại Trung tâm Phục vụ hành chính công tỉnh và Bộ phận Một cửa cấp xã; người dân "
            "cũng có thể nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia.",
            ["Trung tâm Phục vụ hành chính công tỉnh và Bộ phận Một cửa cấp xã", "Cổng Dịch vụ công quốc gia"],
        ),
        ("Lịch tiêm phòng tại nhà văn hóa các xóm từ ngày 5/12.", ["nhà văn hóa các xóm"]),
        (
            "Người dân mang theo căn cước công dân đến trụ sở Công an xã để được cấp tài khoản định danh điện tử.",
            ["trụ sở Công an xã"],
        ),
        ("Tối 5/2, tại sân vận động trung tâm huyện, lễ hội đã khai mạc.", []),  # an event's venue, not where to go
        ("Kế hoạch triển khai các nhiệm vụ trọng tâm về chuyển đổi số.", []),
    ],
)
def test_places(text, expected):
    assert places(text) == expected


def test_recap_only_when_the_text_has_a_deadline_or_a_place():
    assert recap("Lịch tiếp công dân", "Chủ tịch UBND xã tiếp công dân định kỳ.") is None
    assert recap(
        "Kê khai thuế sử dụng đất phi nông nghiệp",
        "Hộ gia đình nộp tờ khai tại Bộ phận Một cửa xã, chậm nhất ngày 31/3/2026.",
    ) == ("Bà con lưu ý: nộp tờ khai. Thời hạn: chậm nhất ngày 31/3/2026. Địa điểm: Bộ phận Một cửa xã.")


@pytest.mark.parametrize(
    "title,text,expected",
    [
        (  # the action the text asks for, not the title again; the place and deadline said once each
            "Thông báo về việc cấp đổi căn cước",
            "Đề nghị bà con mang theo giấy tờ đến trụ sở Công an xã trước ngày 10/12/2026 để làm thủ tục.",
            "Bà con lưu ý: mang theo giấy tờ. Thời hạn: trước ngày 10/12/2026. Địa điểm: trụ sở Công an xã.",
        ),
        (  # no action in the text: the title's subject, without "Thông báo về việc"
            "Thông báo về việc lịch tiếp nhận hồ sơ cấp sổ đỏ",
            "Thời gian tiếp nhận: từ ngày 1/12/2026 đến ngày 15/12/2026.",
            "Bà con lưu ý: lịch tiếp nhận hồ sơ cấp sổ đỏ. Thời hạn: từ ngày 1/12/2026 đến ngày 15/12/2026.",
        ),
    ],
)
def test_recap_says_what_to_do_not_the_title_again(title, text, expected):
    assert recap(title, text) == expected


# --- the script -----------------------------------------------------------------------------------


def test_metadata_becomes_sentences_not_a_run_on_table():
    meta = DocumentMeta(number="512/QĐ-UBND", doc_type="Quyết định", issuer="UBND tỉnh Cao Bằng")
    lines = meta_sentences(meta, prose(METADATA_TABLE).facts)
    assert lines == [
        "Quyết định số 512/QĐ-UBND của UBND tỉnh Cao Bằng, ban hành ngày 18/03/2025.",
        "Văn bản do Phó Chủ tịch UBND tỉnh Nguyễn Văn Hùng ký.",
    ]
    assert meta_sentences(DocumentMeta(effective_on="2026-01-01"), {}) == ["Văn bản có hiệu lực từ ngày 1/1/2026."]
    assert meta_sentences(DocumentMeta(), {"effective_on": "Kể từ ngày ký"}) == ["Văn bản có hiệu lực kể từ ngày ký."]


def test_script_has_no_greeting_no_closing_and_every_line_ends_a_sentence():
    html = (
        "<p>Một số chỉ tiêu chủ yếu:</p><ul><li>100% thủ tục hành chính đủ điều kiện được cung cấp trực tuyến;</li>"
        "<li>trên 98% hồ sơ được giải quyết đúng hạn;</li></ul>"
    )
    lines = script_lines("Kế hoạch cải cách hành chính năm 2026", DocumentMeta(), prose(html))
    assert lines == [
        "Kế hoạch cải cách hành chính năm 2026.",
        "Một số chỉ tiêu chủ yếu:",
        "100% thủ tục hành chính đủ điều kiện được cung cấp trực tuyến.",
        "Trên 98% hồ sơ được giải quyết đúng hạn.",
    ]
    assert not any("Kính thưa" in ln or "cảm ơn" in ln for ln in lines)
    assert sentence("Thông báo lịch tiếp dân?") == "Thông báo lịch tiếp dân?"
