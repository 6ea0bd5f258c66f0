"""Board text that fits by construction: every sample notice on every board profile, no cut; titles shortened
at phrase boundaries; the payload, the desk preview and `loa show` share one function."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loa.board_protocol import ELLIPSIS, BoardProfile, notice_payload
from loa.board_text import BoardSource, board_lines, one_line, panel, shorten
from loa.config.boards import load_boards as load_board_settings
from loa.errors import ConfigError
from loa.ingest.classify import extract_meta
from loa.ingest.parse import parse_feed
from loa.ingest.sanitize import html_to_text
from loa.prose import sentences
from loa.render import Renderer

ROOT = Path(__file__).resolve().parent.parent.parent
FEEDS = sorted((ROOT / "tests/data/feeds").glob("*.xml"))
PROFILES = load_board_settings(ROOT / "config/boards.yaml").profiles
URL = "https://thongtin.caobang.gov.vn/notices/1234.html"


def samples() -> list[tuple[str, BoardSource]]:
    out = []
    renderer = Renderer(board_max_chars=600)
    for path in FEEDS:
        try:
            feed = parse_feed(path.read_bytes(), f"file://{path}")
        except Exception:  # the malformed, empty and hostile feeds have no notice to show
            continue
        for e in feed.entries:
            text = html_to_text(e.summary_html)
            meta = extract_meta(e.title, text)
            body = renderer.variants(
                title=e.title, summary_html=e.summary_html, meta=meta, source_url=e.link, area_names=[], text=text
            )["boards"]
            out.append(
                (
                    f"{path.name}: {e.title[:30]}",
                    BoardSource(e.title, body, meta.number, meta.doc_type, meta.issued_on, URL),
                )
            )
    return out


SAMPLES = samples()


def words(text: str) -> set[str]:
    return set(text.replace(ELLIPSIS, " ").split())


def test_there_are_samples():
    assert len(SAMPLES) >= 15 and any("512/QĐ-UBND" in (s.number or "") for _, s in SAMPLES)


@pytest.mark.parametrize("profile", PROFILES, ids=[p.id for p in PROFILES])
@pytest.mark.parametrize("name,src", SAMPLES, ids=[n for n, _ in SAMPLES])
def test_every_sample_fits_every_profile_with_no_cut(name, src, profile):
    lines = board_lines(src, profile)
    assert 1 <= len(lines) <= profile.lines and all(len(line) <= profile.width for line in lines), lines
    shown = " ".join(lines)
    # every word shown is a whole word of the title, the body, the number, the date or the link
    source = words(" ".join([src.title, src.body, src.number or "", "Số", "·", URL.removeprefix("https://")]))
    stray = [w for w in words(shown) if w not in source and not re.fullmatch(r"\d{2}/\d{2}/\d{4}", w)]
    assert not stray, (stray, lines)
    # a sentence of the body is shown whole or not at all
    for s in sentences(src.body):
        head = " ".join(s.split()[:4])
        if head in shown and len(s.split()) > 4:
            assert s in shown, (s, lines)
    assert "Số ký hiệu" not in shown and "Người ký" not in shown  # never table debris
    assert ELLIPSIS not in shown or not shown.startswith(src.title)  # '…' only on a title that had to be cut
    if profile.lines == 1:
        assert src.number is None or f"Số {src.number}" in shown
        assert "thongtin.caobang.gov.vn/notices/1234.html" in shown


def test_ticker_is_title_number_date_link():
    src = BoardSource(
        "Công bố danh mục thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực hộ tịch",
        "Chủ tịch UBND tỉnh ban hành Quyết định.",
        "512/QĐ-UBND",
        "Quyết định",
        "2025-03-18",
        URL,
    )
    [line] = board_lines(src, BoardProfile("ticker", "t", 160, 1, "ticker.txt"))
    assert line == (
        "Công bố danh mục thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực hộ tịch · Số 512/QĐ-UBND"
        " · 18/03/2025 · thongtin.caobang.gov.vn/notices/1234.html"
    )
    narrow = one_line([src.title, "Số 512/QĐ-UBND", "18/03/2025", "thongtin.caobang.gov.vn/n/1234"], 100)
    # no phrase boundary leaves room: whole words and '…', then the number, date and link all kept
    assert narrow == (
        "Công bố danh mục thủ tục hành chính… · Số 512/QĐ-UBND · 18/03/2025 · thongtin.caobang.gov.vn/n/1234"
    )
    assert one_line([src.title, "Số 512/QĐ-UBND", "18/03/2025", "thongtin.caobang.gov.vn/n/1234"], 70) == (
        "Công bố danh mục thủ tục hành chính… · Số 512/QĐ-UBND · 18/03/2025"
    )  # the last part goes first


@pytest.mark.parametrize(
    "title,limit,expected",
    [
        (
            "UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính nhà nước năm 2025",
            72,
            "UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính nhà nước",
        ),
        (
            "Thông báo kết luận của Chủ tịch UBND xã Hồng Việt tại buổi tiếp công dân định kỳ tháng 12",
            60,
            "Thông báo kết luận của Chủ tịch UBND xã Hồng Việt",
        ),
        ("Cao Bằng lấy ý kiến cử tri về sắp xếp đơn vị hành chính cấp xã", 40, "Cao Bằng lấy ý kiến cử tri"),
        ("Lịch tiếp công dân", 40, "Lịch tiếp công dân"),
    ],
)
def test_titles_are_shortened_at_a_phrase_boundary(title, limit, expected):
    assert shorten(title, limit) == expected and len(expected) <= limit


def test_ellipsis_only_as_a_last_resort_and_never_inside_a_name():
    assert shorten("UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính nhà nước năm 2025", 60) == (
        "UBND tỉnh Cao Bằng ban hành Kế hoạch cải cách hành chính…"
    )
    title = "Đồng chí Nguyễn Văn Hùng Phó Chủ tịch Thường trực UBND tỉnh làm việc với huyện Hòa An"
    cut = shorten(title, 30)
    assert cut.endswith(ELLIPSIS) and len(cut) <= 30
    assert cut == "Đồng chí…"  # "Đồng chí Nguyễn Văn…" would be half a name


def test_panel_keeps_whole_sentences_and_drops_a_dangling_lead_in():
    body = [
        "Kế hoạch tập trung vào sáu nội dung cải cách.",
        "Một số chỉ tiêu chủ yếu:",
        "100% thủ tục hành chính đủ điều kiện được cung cấp dịch vụ công trực tuyến toàn trình, trên 98% hồ sơ "
        "được giải quyết đúng hạn và mức độ hài lòng của người dân đạt trên 90%.",
    ]
    lines = panel("Kế hoạch cải cách hành chính năm 2025", ["Số 3627/KH-UBND", "26/12/2024"], body, 40, 6)
    assert lines == [
        "Kế hoạch cải cách hành chính năm 2025",
        "Số 3627/KH-UBND · 26/12/2024",
        "Kế hoạch tập trung vào sáu nội dung cải",
        "cách.",
    ]


def test_payload_and_desk_preview_carry_the_same_lines(cfg, store):
    from loa.app.desk.present import board_preview
    from loa.layout import notice_page as notice_path
    from tests.unit.test_desk_store import make

    n = make(store, 7, title="Công bố danh mục thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực hộ tịch")
    url = f"{cfg.site_url}/{notice_path(n.id)}"
    payload = notice_payload(n, area="cao-bang", area_name="Tỉnh Cao Bằng", url=url, profiles=cfg.boards.profiles)
    assert payload["lines"] == {b.profile.id: b.lines for b in board_preview(cfg, n, n.variants["boards"])}
    assert payload["lines"]["ticker"][0].startswith(n.title + " · Số 7/QĐ-UBND")


def test_a_profile_names_a_template_that_exists(tmp_path):
    file = tmp_path / "boards.yaml"
    file.write_text("profiles:\n  - {id: wall, name: Tường, width: 60, lines: 10, template: wall.txt}\n")
    with pytest.raises(ConfigError) as err:
        load_board_settings(file)
    assert "profiles[0].template" in str(err.value) and "wall.txt" in str(err.value)
