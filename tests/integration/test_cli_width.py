"""`loa` in an ordinary 80-column terminal (COLUMNS=80, as a user's shell sets it): tables fit, the detail
column wraps and the key (feed name, board id) never does, and what a user must copy (a board's URL with its
one-time password) is printed whole on its own line.

The ingest report through the real executable; the rest through the CLI's entry point in this process,
with the same environment (tests/cli_inprocess.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import pytest
from rich.cells import cell_len

from tests.cli_inprocess import LOA, invoke
from tests.conftest import write_config

pytestmark = pytest.mark.integration
NAM_TUAN = "cao-bang/nam-tuan"
FEEDS = [
    ("sample-reform.xml", "Cổng TTĐT tỉnh Cao Bằng"),
    ("missing.xml", "Sở Nội vụ tỉnh Cao Bằng – văn bản mới"),
    ("malformed.xml", "UBND xã Hòa An"),
    ("html-page.html", "Trang tin xã Nam Tuấn"),
]


@pytest.fixture
def env(tmp_path, feed_server) -> dict[str, str]:
    folder = write_config(
        tmp_path / "config",
        feeds=[{"url": f"{feed_server}/{path}", "name": name, "area": "cao-bang"} for path, name in FEEDS],
    )
    return {"LOA_HOME": str(tmp_path / "home"), "LOA_CONFIG_DIR": str(folder), "COLUMNS": "80", "LINES": "40"}


@pytest.fixture
def run(env, monkeypatch, capsys) -> Callable[..., tuple[int, list[str]]]:
    """`loa *args` in this process: (exit status, stdout's then stderr's lines)."""

    def run(*args: str) -> tuple[int, list[str]]:
        done = invoke(monkeypatch, capsys, env, *args)
        lines = (done.stdout + done.stderr).splitlines()
        print("\n".join(lines))
        return done.returncode, lines

    return run


def fits(lines: list[str]) -> None:
    wide = [line for line in lines if cell_len(line) > 80]
    assert not wide, f"{len(wide)} line(s) wider than 80 columns: {wide}"


def test_ingest_report_fits_and_wraps_the_error_not_the_feed(env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_"))}
    done = subprocess.run([LOA, "ingest"], env=base | env, capture_output=True, text=True, timeout=120)
    lines = (done.stdout + done.stderr).splitlines()
    print("\n".join(lines))
    assert done.returncode == 0
    fits(lines)
    for _, name in FEEDS:  # each feed's name whole on one line: the key is never wrapped
        assert any(name in line for line in lines), name
    failed = [name for _, name in FEEDS[1:]]
    assert sum("failed" in line for line in lines) == len(failed)
    assert len(lines) <= 12 + 5 * len(failed), f"{len(lines)} lines for {len(FEEDS)} feeds"
    text = " ".join(" ".join(lines).split())
    assert "404" in text  # the reason is there, wrapped, not cut


def test_boards_add_prints_the_board_url_whole_and_boards_lists_whole_ids(run):
    long_id = "nha-van-hoa-thon-na-loa-xa-nam-tuan"
    code, lines = run("boards", "add", long_id, "--area", NAM_TUAN, "--name", "Nhà văn hóa thôn Nà Lòa")
    assert code == 0
    url = next(line for line in lines if "/board/?" in line)
    assert url.strip().startswith("http://") and "#password=" in url.strip()  # whole, alone on its line
    assert " " not in url.strip() and url.strip().split("#password=")[1]
    fits([line for line in lines if line is not url])
    for board in ("ubnd-xa-nam-tuan-tang-1", "truong-tieu-hoc-nam-tuan-diem-chinh"):
        assert run("boards", "add", board, "--area", NAM_TUAN)[0] == 0
    code, lines = run("boards")
    assert code == 0
    fits(lines)
    for board in (long_id, "ubnd-xa-nam-tuan-tang-1", "truong-tieu-hoc-nam-tuan-diem-chinh"):
        assert any(board in line for line in lines), f"board id {board} cut: {lines}"


def test_speakers_add_list_and_show_fit(run):
    long_id = "cum-loa-thon-na-loa-xa-nam-tuan-so-1"
    code, lines = run("speakers", "add", long_id, "--station", "nam-tuan", "--name", "Cụm loa thôn Nà Lòa")
    assert code == 0
    fits([line for line in lines if not line.strip().endswith(".credentials.json")])
    creds = next(line for line in lines if line.strip().endswith(".credentials.json"))
    assert creds.strip().startswith("/") and long_id in creds  # the file's path whole, on its own line
    assert run("speakers", "add", "loa-truyen-thanh-hoa-an", "--station", "hoa-an")[0] == 1  # "loa-" is Loa's
    assert run("speakers", "add", "truyen-thanh-hoa-an-1", "--station", "hoa-an")[0] == 0
    code, lines = run("speakers")
    assert code == 0
    fits(lines)
    for sid in (long_id, "truyen-thanh-hoa-an-1"):
        assert any(sid in line for line in lines), f"speaker id {sid} cut: {lines}"
    code, lines = run("speakers", "show", long_id)
    assert code == 0
    fits(lines)
