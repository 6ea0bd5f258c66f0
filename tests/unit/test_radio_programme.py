"""A slot is a radio programme: opened, linked and closed once by the station, emergencies read twice, each
notice's script its own (no greeting, no table, no link label). Golden scripts in tests/golden/programme/:

    LOA_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_radio_programme.py   (then review the diff)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loa.errors import ConfigError
from loa.model import DocumentMeta, Priority
from loa.radio.build import Builder
from loa.radio.programme import DEFAULT_OFFICE, Item, Wording, plan
from loa.render import Renderer
from tests.unit.test_radio_build import DAY, FakeMaker, build_at, radio_cfg, station
from tests.unit.test_store import RELEVANT, entry

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "programme"
NAM_TUAN = station(name="Đài Truyền thanh xã Nam Tuấn")

CONSULTATION = (
    "Cao Bằng lấy ý kiến cử tri về sắp xếp đơn vị hành chính cấp xã",
    DocumentMeta(number="1050/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng", issued_on="2025-04-14"),
    "<p>Thực hiện chủ trương sắp xếp đơn vị hành chính và tổ chức chính quyền địa phương hai cấp, UBND tỉnh Cao Bằng "
    "ban hành <strong>Kế hoạch số 1050/KH-UBND ngày 14/4/2025</strong> về tổ chức lấy ý kiến cử tri đối với Đề án sắp "
    "xếp đơn vị hành chính cấp xã.</p><p>Việc lấy ý kiến được thực hiện bằng hình thức phát phiếu đến từng hộ gia đình, "
    "hoàn thành trước ngày 25/4/2025.</p><p>UBND các xã niêm yết công khai dự thảo Đề án tại trụ sở và nhà văn hóa các "
    "thôn, tổ dân phố để người dân nắm rõ trước khi cho ý kiến.</p>",
)
PAYMENT = (
    "Cao Bằng đẩy mạnh thanh toán trực tuyến phí, lệ phí trên Cổng Dịch vụ công quốc gia",
    DocumentMeta(),
    "<p>Ngày 02/4/2025, UBND tỉnh Cao Bằng ban hành Công văn số 845/UBND-KSTT về việc đẩy mạnh thanh toán trực "
    "tuyến nghĩa vụ tài chính trong giải quyết thủ tục hành chính.</p><p><em>Người dân cần hỗ trợ có thể đến Bộ "
    "phận Một cửa gần nhất để được hướng dẫn miễn phí.</em></p>"
    '<p><a href="https://dichvucong.gov.vn">Xem chi tiết</a></p>',
)
PLAN = (
    "UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính nhà nước năm 2025",
    DocumentMeta(number="3627/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng"),
    "<p>Kế hoạch tập trung vào sáu nội dung: cải cách thể chế; cải cách thủ tục hành chính; cải cách tổ chức bộ "
    "máy.</p><p>Một số chỉ tiêu chủ yếu:</p><ul><li>100% thủ tục hành chính đủ điều kiện được cung cấp dịch vụ công "
    "trực tuyến toàn trình;</li><li>trên 98% hồ sơ được giải quyết đúng hạn.</li></ul>"
    '<p>Toàn văn: <a href="https://cchc.caobang.example/van-ban/3627-kh-ubnd.pdf">Kế hoạch số 3627/KH-UBND</a></p>',
)
HOUSEHOLD = (
    "Công bố danh mục thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực hộ tịch",
    DocumentMeta(number="512/QĐ-UBND", doc_type="Quyết định", issuer="UBND tỉnh Cao Bằng"),
    "<p>Chủ tịch UBND tỉnh Cao Bằng ban hành Quyết định công bố danh mục 12 thủ tục hành chính được sửa đổi, bổ sung "
    "trong lĩnh vực hộ tịch.</p><p>Các thủ tục được tiếp nhận tại Trung tâm Phục vụ hành chính công tỉnh và Bộ phận "
    "Một cửa cấp xã; người dân cũng có thể nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia.</p>"
    "<table><tr><th>Số ký hiệu</th><td>512/QĐ-UBND</td></tr><tr><th>Ngày ban hành</th><td>18/03/2025</td></tr>"
    "<tr><th>Người ký</th><td>Nguyễn Văn Hùng</td></tr><tr><th>Chức vụ</th><td>Phó Chủ tịch UBND tỉnh</td></tr>"
    "<tr><th>Ngày hiệu lực</th><td>Kể từ ngày ký</td></tr></table>",
)
FLOOD = (
    "Cảnh báo lũ quét, sạt lở đất trên địa bàn xã Nam Tuấn",
    DocumentMeta(number="45/TB-UBND", doc_type="Thông báo", issuer="UBND xã Nam Tuấn"),
    "<p>Do ảnh hưởng của mưa lớn, mực nước sông Bằng Giang đang lên nhanh, nguy cơ xảy ra lũ quét và sạt lở đất tại "
    "các thôn ven sông.</p><p>Các hộ gia đình ở vùng trũng thấp khẩn trương di chuyển người và tài sản đến nhà văn hóa "
    "xóm Nà Luông trước 18 giờ ngày 2/12/2026; tuyệt đối không qua ngầm tràn khi nước lên.</p>"
    "<p>Chia sẻ</p>",
)


def draft(store, item, priority=Priority.NORMAL):
    title, meta, html = item
    variants = Renderer(board_max_chars=600).variants(
        title=title, summary_html=html, meta=meta, source_url=None, area_names=["xã Nam Tuấn"]
    )
    change = store.record_entry("http://127.0.0.1/f.xml", entry(title=title, ident=f"urn:{title}"), RELEVANT)
    n = store.draft_notice(
        change.document_version_id, areas=["cao-bang/nam-tuan"], variants=variants, priority=priority
    )
    store.transition(n.id, "approve", "Nông Thị Hoa")
    return n


def script(segments: list[dict]) -> str:
    """The programme as an announcer reads it: one block per segment, its kind first."""
    out = []
    for s in segments:  # notice ids and files depend on the store: a notice is named by its language
        head = f"[notice {s['language']}]" if s["kind"] == "notice" else f"[{s['kind']}] {s['file']}"
        out.append(f"{head}\n{s['text']}\n")
    return "\n".join(out)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LOA_REGENERATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; regenerate on purpose and review the diff"


def _common(segments: list[dict]) -> None:
    kinds = [s["kind"] for s in segments]
    assert kinds[0] == "opening" and kinds[-1] == "closing"
    assert kinds.count("opening") == 1 and kinds.count("closing") == 1
    for s in segments:
        if s["kind"] == "notice":
            assert "Kính thưa" not in s["text"] and "cảm ơn" not in s["text"] and "Xin chào" not in s["text"]
            assert "Toàn văn" not in s["text"] and "Xem chi tiết" not in s["text"] and "Chia sẻ" not in s["text"]
            assert "Số ký hiệu" not in s["text"] and "Người ký" not in s["text"]


def test_three_notice_slot(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[NAM_TUAN])
    ns = [draft(store, item) for item in (PLAN, PAYMENT, CONSULTATION)]
    maker = FakeMaker(segment_seconds=4.0)
    report = build_at(Builder(cfg, store, maker), cfg, "nam-tuan", DAY, "06:00")
    segments = report.segments
    _common(segments)
    assert [s["kind"] for s in segments] == ["opening", "notice", "bridge", "notice", "bridge", "notice", "closing"]
    assert [s.get("notice_id") for s in segments if s["kind"] == "notice"] == [n.id for n in reversed(ns)]
    assert segments[0]["text"].startswith("Đây là Đài Truyền thanh xã Nam Tuấn.")
    assert f"xin liên hệ {DEFAULT_OFFICE}." in segments[-1]["text"]
    assert {s["text"] for s in segments if s["kind"] == "bridge"} == {"Tin tiếp theo."}
    # the playlist is the segments' audio, in the same order, between no jingles
    m3u = (cfg.home / "radio/stations/nam-tuan.m3u8").read_text(encoding="utf-8")
    files = [line for line in m3u.splitlines() if line and not line.startswith("#")]
    assert [f.removeprefix(f"{cfg.site_url}/radio/") for f in files] == [s["file"] for s in segments]
    assert report.minutes == round((3 * 60 + 4 * 4) / 60, 2)  # FakeMaker: 60 s a notice, 4 s a segment
    check_golden("three-notices.txt", script(segments))


def test_emergency_is_read_twice(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[NAM_TUAN])
    e = draft(store, FLOOD, Priority.EMERGENCY)
    [report] = Builder(cfg, store, FakeMaker(segment_seconds=3.0)).emergency(["nam-tuan"])
    segments = report.segments
    _common(segments)
    assert [s["kind"] for s in segments] == ["opening", "notice", "bridge", "notice", "closing"]
    assert "thông báo khẩn cấp" in segments[0]["text"] and segments[2]["text"] == "Xin nhắc lại thông báo khẩn cấp."
    assert segments[1] == segments[3] and segments[1]["notice_id"] == e.id
    text = segments[1]["text"]
    assert text.splitlines()[-1] == (
        "Bà con lưu ý: khẩn trương di chuyển người và tài sản. Thời hạn: "
        "trước 18 giờ ngày 2/12/2026. Địa điểm: nhà văn hóa xóm Nà Luông."
    )  # what to do, from the text, not the title read a second time
    check_golden("emergency.txt", script(segments))


def test_metadata_table_becomes_sentences(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[NAM_TUAN])
    draft(store, HOUSEHOLD)
    report = build_at(Builder(cfg, store, FakeMaker()), cfg, "nam-tuan", DAY, "06:00")
    _common(report.segments)
    lines = report.segments[1]["text"].splitlines()
    assert lines[1:4] == [
        "Quyết định số 512/QĐ-UBND của UBND tỉnh Cao Bằng, ban hành ngày 18/03/2025.",
        "Văn bản do Phó Chủ tịch UBND tỉnh Nguyễn Văn Hùng ký.",
        "Văn bản có hiệu lực kể từ ngày ký.",
    ]
    check_golden("metadata-table.txt", script(report.segments))


def test_a_station_speaks_its_own_words(store, tmp_path):
    own = dict(
        NAM_TUAN,
        programme={
            "opening": "{station} xin kính chào bà con {area}.",
            "bridge": "Thông tin tiếp theo.",
            "office": "Bộ phận Một cửa xã Nam Tuấn",
        },
    )
    cfg = radio_cfg(tmp_path, stations=[own])
    draft(store, PAYMENT), draft(store, CONSULTATION)
    report = build_at(Builder(cfg, store, FakeMaker()), cfg, "nam-tuan", DAY, "06:00")
    said = {s["kind"]: s["text"] for s in report.segments if s["kind"] != "notice"}
    assert said["opening"] == "Đài Truyền thanh xã Nam Tuấn xin kính chào bà con xã Nam Tuấn."
    assert said["bridge"] == "Thông tin tiếp theo."
    assert said["closing"].startswith("Bà con cần biết thêm thông tin, xin liên hệ Bộ phận Một cửa xã Nam Tuấn.")


@pytest.mark.parametrize(
    "programme,why",
    [
        ({"opening": "Đây là {dai}."}, "unknown placeholder {dai}"),
        ({"greeting": "Xin chào"}, "is not a known key; expected one of bridge, closing"),
        ({"bridge": "  "}, "must be a non-empty sentence"),
        ({"closing": "Cảm ơn {station"}, "brace"),
    ],
)
def test_bad_wording_names_the_key(tmp_path, programme, why):
    with pytest.raises(ConfigError) as err:
        radio_cfg(tmp_path, stations=[dict(NAM_TUAN, programme=programme)])
    assert "stations[0].programme." in str(err.value) and why in str(err.value)


def test_an_empty_slot_is_no_programme():
    assert plan([], Wording(), station="Đài") == []
    items = [Item(1, 1, Priority.EMERGENCY), Item(2, 1, Priority.NORMAL)]
    assert [s.kind for s in plan(items, Wording(), station="Đài")] == [
        "opening",
        "notice",
        "bridge",
        "notice",
        "bridge",
        "notice",
        "closing",
    ]
