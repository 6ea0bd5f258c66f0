"""The CLI's tables fit the terminal: keys stay whole, details wrap, long URLs fold rather than being cut."""

from rich.console import Console

from loa.app.cli_common import Detail, FitTable

ERROR = (
    "feed https://sonoivu.caobang.gov.vn/van-ban-moi/rss.xml: http_404: the server answered 404 Not Found; "
    "the feed is gone or has moved; find its new URL and fix feeds.yaml"
)


def render(table: FitTable, width: int) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def ingest_table() -> FitTable:
    t = FitTable("feed", "status", "entries", "new", Detail("drafted"), Detail("problem"), title="Ingest")
    t.add_row("Sở Nội vụ tỉnh Cao Bằng – văn bản mới", "[red]failed[/]", "0", "0", "", ERROR)
    t.add_row("Cổng TTĐT tỉnh Cao Bằng", "ok", "6", "6", "12, 13, 14", "")
    return t


def test_at_80_columns_each_row_is_a_block_with_the_key_whole_and_the_reason_wrapped():
    lines = render(ingest_table(), 80)
    assert max(len(line) for line in lines) <= 80
    assert "Sở Nội vụ tỉnh Cao Bằng – văn bản mới" in lines and "Cổng TTĐT tỉnh Cao Bằng" in lines
    assert any(line.strip() == "status failed · entries 0 · new 0" for line in lines)
    text = " ".join(" ".join(lines).split())
    assert f"problem: {ERROR}" in text  # whole, only wrapped
    assert len(lines) <= 9 and "…" not in text


def test_on_a_wide_terminal_it_is_a_table_with_keys_on_one_line():
    lines = render(ingest_table(), 200)
    assert max(len(line) for line in lines) <= 200
    row = next(line for line in lines if "Sở Nội vụ tỉnh Cao Bằng – văn bản mới" in line)
    assert "failed" in row and "│" in row
    assert "…" not in "\n".join(lines)  # details wrap within their column, nothing is cut


def test_key_value_pairs_are_never_split_across_lines():
    t = FitTable("board", "area", "state", "since", "last seen", "acks")
    t.add_row(
        "truong-tieu-hoc-hong-viet-diem-chinh",
        "cao-bang/hoa-an/hong-viet",
        "online",
        "2026-12-02 07:15:02",
        "2026-12-02 09:41:55",
        "12",
    )
    lines = [line.strip() for line in render(t, 80)]
    assert lines[0] == "truong-tieu-hoc-hong-viet-diem-chinh"
    pairs = [p for line in lines[1:] for p in line.split(" · ")]
    assert pairs == [
        "area cao-bang/hoa-an/hong-viet",
        "state online",
        "since 2026-12-02 07:15:02",
        "last seen 2026-12-02 09:41:55",
        "acks 12",
    ]
