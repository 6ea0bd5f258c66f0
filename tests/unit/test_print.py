"""The printed bulletin: a real PDF from WeasyPrint, checked by rendering its pages with pdftoppm."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from channels.catalogue import printed as print_channel
from loa.model import Priority
from loa.site import bulletin
from loa.store import Store
from tests.conftest import ARTIFACTS, ROOT
from tests.unit.test_site_publish import approve

COMMUNE = "cao-bang/nam-tuan"
LONG = (
    "<p>" + " ".join(["Người dân được hướng dẫn nộp hồ sơ trực tuyến trên Cổng dịch vụ công quốc gia."] * 12) + "</p>"
)


def pdf_pages(pdf: Path, out: Path, dpi: int = 60) -> list[Path]:
    """Render every page to PNG (what a reader would see) and return the images."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / pdf.stem)], check=True, timeout=60)
    return sorted(out.glob(f"{pdf.stem}-*.png"))


def pdf_text(pdf: Path) -> str:
    """The PDF's text with line breaks undone (a title may wrap)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def decoded_qr(pdf: Path, out: Path) -> set[str]:
    """Every QR code on every page, read back by zxing-cpp from a 150 dpi rendering, as a phone would."""
    import zxingcpp
    from PIL import Image

    found = set()
    for image in pdf_pages(pdf, out, dpi=150):
        found |= {code.text for code in zxingcpp.read_barcodes(Image.open(image)) if code.valid}
    return found


@pytest.fixture
def printed(cfg):
    store = Store.open(cfg.database_url)
    return print_channel(cfg, store), store


def test_commune_bulletin_is_an_a4_pdf_with_its_notices_qr_codes_and_page_numbers(printed, cfg, tmp_path):
    printer, store = printed
    approve(
        store, "urn:province", ["cao-bang"], title="Kế hoạch cải cách hành chính tỉnh Cao Bằng năm 2026", summary=LONG
    )
    approve(
        store,
        "urn:flood",
        [COMMUNE, "cao-bang/bach-dang"],
        title="Cảnh báo lũ quét trên địa bàn các xã Nam Tuấn, Bạch Đằng",
        summary=LONG,
        priority=Priority.EMERGENCY,
    )
    approve(store, "urn:commune", [COMMUNE], title="Lịch tiếp công dân của xã Nam Tuấn", summary=LONG)
    approve(store, "urn:other", ["cao-bang/ha-quang"], title="Thông báo riêng của xã Hà Quảng")
    now = datetime.now(UTC)
    result = printer.make(COMMUNE, bulletin.current_period(now, cfg.tz), now)
    pdf = Path(result.path)
    assert pdf == cfg.home / "site" / "print" / COMMUNE / "current.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert result.notices == 3 and result.pages >= 2
    images = pdf_pages(pdf, ARTIFACTS / "print")
    assert len(images) == result.pages  # every page renders
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Pages: +{result.pages}$", info, re.M) and "pts (A4)" in info
    text = pdf_text(pdf)
    for expected in (
        "Xã Nam Tuấn",
        "Bản tin cải cách hành chính",
        "Lịch tiếp công dân của xã Nam Tuấn",
        "Cảnh báo lũ quét trên địa bàn các xã Nam Tuấn, Bạch Đằng",
        "KHẨN CẤP",
        f"Trang 1 / {result.pages}",
        f"Trang {result.pages} / {result.pages}",
        "Quét để xem đầy đủ",
        f"{cfg.site_url}/notices/",
    ):
        assert expected in text, expected
    assert "Hà Quảng" not in text  # another commune's notice is not this commune's business
    assert decoded_qr(pdf, tmp_path) == {
        f"{cfg.site_url}/notices/{n['id']}.html" for n in json.loads(pdf.with_suffix(".json").read_text())["notices"]
    }
    assert text.index("Cảnh báo lũ quét") < text.index("Lịch tiếp công dân của xã")  # emergencies first
    meta = json.loads(pdf.with_suffix(".json").read_text())
    assert meta["pages"] == result.pages and len(meta["notices"]) == 3


def page_text(pdf: Path, page: int) -> str:
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


COLOPHON = "Mỗi thông báo đã được biên tập viên duyệt trước khi đăng."


@pytest.mark.parametrize("sentences", [1, 10])
def test_a_one_notice_bulletin_is_one_page(printed, cfg, sentences):
    """A notice that fills most of the page (10 sentences) used to push the colophon onto a second page of
    its own: it now sits in the last page's bottom margin. Counted by pdfinfo, read back by pdftotext."""
    printer, store = printed
    body = (
        "<p>"
        + " ".join(["Người dân được hướng dẫn nộp hồ sơ trực tuyến trên Cổng dịch vụ công quốc gia."] * sentences)
        + "</p>"
    )
    approve(store, "urn:one", [COMMUNE], title="Lịch tiếp công dân của xã Hồng Việt", summary=body)
    now = datetime.now(UTC)
    pdf = Path(printer.make(COMMUNE, bulletin.current_period(now, cfg.tz), now).path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages: +1$", info, re.M), info
    text = page_text(pdf, 1)
    assert "Lịch tiếp công dân của xã Hồng Việt" in text and COLOPHON in text and "Trang 1 / 1" in text


def test_the_colophon_is_on_the_last_page_only(printed, cfg):
    printer, store = printed
    for i in range(3):
        approve(store, f"urn:many-{i}", [COMMUNE], title=f"Thông báo số {i + 1} của xã Hồng Việt", summary=LONG)
    now = datetime.now(UTC)
    result = printer.make(COMMUNE, bulletin.current_period(now, cfg.tz), now)
    assert result.pages >= 2
    pages = [page_text(Path(result.path), p) for p in range(1, result.pages + 1)]
    assert [COLOPHON in t for t in pages] == [False] * (result.pages - 1) + [True]
    assert all(f"Trang {i} / {result.pages}" in t for i, t in enumerate(pages, 1))


def test_weekly_edition_takes_the_week_and_skips_empty_communes(printed, cfg):
    printer, store = printed
    n = approve(store, "urn:a", [COMMUNE], title="Thông báo trong tuần")
    now = datetime.now(UTC)
    this_week = bulletin.week_period(now.astimezone(cfg.tz).date(), cfg.tz)
    results = printer.make_weekly(this_week, areas=[COMMUNE, "cao-bang/bach-dang"], now=now)
    made, skipped = results
    assert made.path.endswith(f"{COMMUNE}/{this_week.key}.pdf") and made.notices == 1
    assert skipped == f"cao-bang/bach-dang: no notice in {this_week.key}, no edition"
    last_week = bulletin.week_period((now - timedelta(days=7)).astimezone(cfg.tz).date(), cfg.tz)
    assert printer.make_weekly(last_week, areas=[COMMUNE], now=now) == [
        f"{COMMUNE}: no notice in {last_week.key}, no edition"
    ]
    # withdrawn: the current edition is remade without it, and the printed weekly edition is named
    store.transition(n.id, "withdraw", "Nông Thị Hoa")
    [res] = printer.withdraw(store.notice(n.id), [COMMUNE])
    assert res.ok and this_week.key in res.detail and "take those copies down" in res.detail
    assert "Thông báo trong tuần" not in pdf_text(cfg.home / "site" / "print" / COMMUNE / "current.pdf")
    # and the commune's web page links both editions
    page = (cfg.home / "site" / "areas" / COMMUNE / "index.html").read_text()
    assert f"print/{COMMUNE}/current.pdf" in page and f"print/{COMMUNE}/{this_week.key}.pdf" in page


def test_targets_are_the_communes_under_the_notice_areas(printed):
    printer, store = printed
    n = approve(store, "urn:a", ["cao-bang/nam-tuan", "cao-bang/bach-dang"])
    assert printer.targets(n) == ["cao-bang/nam-tuan", "cao-bang/bach-dang"]
    province = approve(store, "urn:b", ["cao-bang"])
    assert printer.targets(province) == [p for p in printer.cfg.areas if p != "cao-bang"]  # every commune in use
    assert len(printer.targets(province)) == 12


def test_week_keys_and_periods(cfg):
    week = bulletin.parse_week("2026-W48", cfg.tz)
    assert week.start == datetime(2026, 11, 23, tzinfo=cfg.tz) and week.end - week.start == timedelta(days=7)
    assert week.label == "Tuần 48/2026 (từ 23/11 đến 29/11/2026)"
    assert bulletin.week_period(date(2026, 11, 29), cfg.tz).key == "2026-W48"
    assert bulletin.previous_week(datetime(2026, 11, 23, 0, 30, tzinfo=UTC), cfg.tz).key == "2026-W47"
    for bad in ("2026-48", "2026-W54", "W48"):
        with pytest.raises(ValueError, match="ISO week"):
            bulletin.parse_week(bad, cfg.tz)


def test_cli_prints_a_bulletin_and_explains_a_bad_area(printed, cfg):
    _, store = printed
    approve(store, "urn:a", [COMMUNE], title="Thông báo qua dòng lệnh")
    env = dict(os.environ, LOA_HOME=str(cfg.home), LOA_CONFIG_DIR=str(cfg.config_dir))
    env.pop("PREFECT_API_URL", None)
    loa = [str(Path(sys.executable).parent / "loa")]  # the installed command, as an operator runs it
    done = subprocess.run(
        loa + ["print", "--area", COMMUNE, "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["notices"] == 1 and data["pages"] == 1 and data["url"].endswith(f"/print/{COMMUNE}/current.pdf")
    assert Path(data["path"]).exists()
    bad = subprocess.run(
        loa + ["print", "--area", "cao-bang/nowhere"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert bad.returncode == 1 and "area 'cao-bang/nowhere' is not in" in bad.stderr
    site = subprocess.run(
        loa + ["site", "rebuild", "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert site.returncode == 0, site.stderr
    assert json.loads(site.stdout)["unchanged"] > 0  # the print command already published the area pages


def test_bulletin_html_is_escaped_for_css_and_html(cfg):
    from loa.config import Area
    from loa.site.bulletin import BulletinRenderer
    from loa.site.model import AreaTree, SiteInfo

    tree = AreaTree({"x": Area("x", 'xã "Lạ" </style><script>alert(1)</script>')})
    html = BulletinRenderer(SiteInfo("Loa", "https://loa.example", cfg.tz), tree).html(
        "x", bulletin.current_period(datetime.now(UTC), cfg.tz), [], datetime.now(UTC)
    )
    style = html.split("<style>")[1].split("</style>")[0]
    assert "<script" not in style and '\\"Lạ\\"' in style and "\\3c /style\\3e" in style
    assert "&lt;script&gt;" in html.split("</style>")[1] and "<script>" not in html


def test_print_settings_are_validated_with_file_key_and_value(tmp_path):
    from loa.config import Env, load_config
    from loa.errors import ConfigError
    from tests.conftest import write_config

    cases = [
        (dict(timezone="Asia/Hanoi_City"), "loa.yaml: timezone: 'Asia/Hanoi_City' is not a time zone"),
        (dict(print={"weekday": 8}), "loa.yaml: print.weekday: 8 is not an ISO weekday"),
        (dict(print={"time": "6h"}), "loa.yaml: print.time: '6h' is not a time like '06:00'"),
        (dict(print={"font_size_pt": 6}), "loa.yaml: print.font_size_pt: 6 is outside 10–40 pt"),
    ]
    for main, message in cases:
        folder = write_config(tmp_path / "config", feeds=[], **main)
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(Env(home=tmp_path / "home", config_dir=folder))


def test_the_weekly_deployment_runs_in_local_time(cfg):
    from flows.serve import weekly_print

    schedule = weekly_print(cfg)
    assert (schedule.cron, schedule.timezone) == ("0 6 * * 1", "Asia/Ho_Chi_Minh")


def test_the_hourly_refresh_takes_an_expired_notice_off_the_site_and_the_bulletin(printed, cfg):
    from channels.website import Website
    from flows.site import refresh
    from tests.unit.test_site_publish import expire

    printer, store = printed
    site, now = cfg.home / "site", datetime.now(UTC)
    a = approve(store, "urn:a", [COMMUNE], title="Lịch tiêm phòng gia súc đợt 2")
    b = approve(store, "urn:b", ["cao-bang/bach-dang"], title="Thông báo của xã Bạch Đằng")
    expire(store, a.id, now + timedelta(hours=1))
    for n in (a, b):
        Website(cfg, store).publish(n.id, now)
    printer.current_editions([COMMUNE], now)
    current = site / "print" / COMMUNE / "current.pdf"
    assert "Lịch tiêm phòng gia súc" in pdf_text(current)
    assert refresh(cfg, store, now) == []  # nothing has expired: nothing is written
    later = now + timedelta(hours=2)
    [row] = refresh(cfg, store, later)
    assert (row["notice"], row["status"], row["bulletins remade"], row["bulletins failed"]) == (
        a.id,
        "expired",
        COMMUNE,
        "",
    )
    assert "Lịch tiêm phòng gia súc" not in pdf_text(current)
    assert "Thông báo này đã hết hiệu lực" in (site / "notices" / f"{a.id}.html").read_text()
    assert "Lịch tiêm phòng gia súc" not in (site / "areas" / COMMUNE / "index.html").read_text()
    assert refresh(cfg, store, later + timedelta(hours=1)) == []


NUMBERS = ["512/QĐ-UBND", "1050/KH-UBND", "45/2024/NĐ-CP", "3627/KH-UBND", "39/2020/TT-BTTTT", "76/NQ-CP"]


def test_document_numbers_never_break_across_lines(printed, cfg):
    printer, store = printed
    # many numbers in running text at every position of a line: without nowrap some break after '/' or '-'
    words = "Thực hiện văn bản số {} của cơ quan có thẩm quyền về cải cách thủ tục hành chính"
    body = "<p>" + " ".join(words.format(NUMBERS[i % len(NUMBERS)]) + "," * (i % 3) for i in range(60)) + "</p>"
    approve(
        store, "urn:numbers", [COMMUNE], title="Quyết định 512/QĐ-UBND về danh mục thủ tục hành chính", summary=body
    )
    now = datetime.now(UTC)
    pdf = Path(printer.make(COMMUNE, bulletin.current_period(now, cfg.tz), now).path)
    lines = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    rows = [r.strip() for r in lines.splitlines() if r.strip()]
    for row, following in zip(rows, rows[1:]):
        broken = re.search(r"(?:^|\s)\d+(?:/\d{4})?/(?:[A-ZĐ]+-)?$", row) and re.match(r"[A-ZĐ]", following)
        assert not broken, f"a document number broken across lines: {row!r} / {following!r}"
    assert sum(" ".join(lines.split()).count(n) for n in NUMBERS) >= 60


def test_nobreak_numbers_touches_text_only_and_escapes_plain_text():
    from loa.site.build import nobreak_numbers

    html = '<p>Theo <a href="/van-ban/512/QĐ-UBND">Quyết định số 512/QĐ-UBND</a> và Nghị định 45/2024/NĐ-CP.</p>'
    assert str(nobreak_numbers(__import__("markupsafe").Markup(html))) == (
        '<p>Theo <a href="/van-ban/512/QĐ-UBND">Quyết định số <span class="nowrap">512/QĐ-UBND</span></a> và '
        'Nghị định <span class="nowrap">45/2024/NĐ-CP</span>.</p>'
    )
    assert (
        str(nobreak_numbers("<b>Tiêu đề</b> 12/KH-UBND"))
        == '&lt;b&gt;Tiêu đề&lt;/b&gt; <span class="nowrap">12/KH-UBND</span>'
    )


def weasyprint_import_probe(setup: str, after: str, report: str) -> list[str]:
    """In a new interpreter (WeasyPrint not yet imported): `setup`, Loa's first WeasyPrint import, `after`;
    the words `report` prints."""
    probe = f"import ctypes.util, sys, threading\n{setup}from channels.printed import _import_weasyprint\n"
    probe += f"_import_weasyprint()\n{after}print({report})\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_weasyprint_loads_without_running_library_lookups():
    """Its Windows library names miss on Linux, and each miss made cffi run ldconfig and gcc (find_library)."""
    setup = "calls = []\nreal = ctypes.util.find_library = lambda name: calls.append(name)\n"
    report = "len(calls), ctypes.util.find_library is real, 'weasyprint' in sys.modules"
    assert weasyprint_import_probe(setup, "", report) == ["0", "True", "True"]


def test_other_threads_still_find_libraries_while_weasyprint_loads():
    """The look-ups are switched off for the importing thread only: a thread of another channel that
    looks a library up meanwhile gets its answer."""
    setup = (
        "answers, done = [], threading.Event()\n"
        "real = ctypes.util.find_library = lambda name: f'lib{name}.so'\n"
        "def other():\n"
        "    while not done.is_set():\n"
        "        answers.append(ctypes.util.find_library('c'))\n"
        "t = threading.Thread(target=other)\n"
        "t.start()\n"
    )
    report = "len(answers) > 0, set(answers) == {'libc.so'}, ctypes.util.find_library is real"
    assert weasyprint_import_probe(setup, "done.set(); t.join()\n", report) == ["True", "True", "True"]
