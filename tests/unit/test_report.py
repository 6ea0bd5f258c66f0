"""The monthly report: figures from the store (SQLite and PostgreSQL), CSV, Markdown and the PNG chart."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from loa.board_protocol import Report
from loa.errors import LoaError
from loa.model import Classification, DeliveryResult, Priority
from loa.report import (
    audio_seconds_by_probe,
    month_bounds,
    monthly_report,
    percentile,
    previous_month,
    to_csv,
    to_markdown,
    write_report,
)
from loa.store import Draft
from loa.store.boards import add_board, record_reports
from loa.store.schema import ActionRow, DeliveryRow, DocumentVersionRow, NoticeVersionRow
from tests.unit.test_store import FEED, entry

UTC = UTC
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def publish(
    store,
    ident: str,
    *,
    areas: list[str],
    content_areas: tuple[str, ...],
    priority=Priority.NORMAL,
    ingested: datetime,
    approved: datetime | None,
    delivered: dict[tuple[str, str], datetime | None],
):
    """A notice ingested, approved and delivered at the given times (None: the delivery failed)."""
    cls = Classification(True, 5.0, (), content_areas)
    change = store.record_entry(FEED, entry(title=f"Thông báo {ident}", ident=f"urn:doc:{ident}"), cls)
    nid, version = store.draft_notices([Draft(change.document_version_id, areas, {"boards": "x"}, priority)])[0]
    if approved:
        store.transition(nid, "approve", "Nông Thị Hoa")
    store.plan_deliveries(nid, version, "publish", {})
    for (channel, target), when in delivered.items():
        detail = f"/x/{target}.m3u8: plays notice-{nid}-v{version}-vi.mp3" if channel == "radio" else target
        store.record_delivery(nid, version, "publish", DeliveryResult(channel, target, when is not None, detail))
    with store.session() as s:  # the times the test is about
        s.execute(
            update(DocumentVersionRow)
            .where(DocumentVersionRow.id == change.document_version_id)
            .values(fetched_at=ingested)
        )
        nv_id = s.scalar(
            NoticeVersionRow.__table__.select()
            .with_only_columns(NoticeVersionRow.id)
            .where(NoticeVersionRow.notice_id == nid, NoticeVersionRow.version == version)
        )
        s.execute(
            update(ActionRow)
            .where(ActionRow.notice_version_id == nv_id, ActionRow.action == "drafted")
            .values(at=ingested)
        )
        if approved:
            s.execute(
                update(ActionRow)
                .where(ActionRow.notice_version_id == nv_id, ActionRow.action == "approve")
                .values(at=approved)
            )
        for (channel, target), when in delivered.items():
            values = {"delivered_at": when, "updated_at": when} if when else {"updated_at": approved}
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.notice_id == nid, DeliveryRow.channel == channel, DeliveryRow.target == target)
                .values(**values)
            )
    return nid


@pytest.fixture
def month(store, cfg):
    """November 2026 in Cao Bằng: two notices published, one the month before, one still a draft."""
    a = publish(
        store,
        "a",
        areas=["cao-bang/hoa-an", "cao-bang/nam-tuan"],
        content_areas=("procedures",),
        ingested=at(2, 1),
        approved=at(2, 3),
        delivered={
            ("website", "site"): at(2, 3, 5),
            ("boards", "cao-bang/hoa-an"): at(2, 3, 4),
            ("boards", "cao-bang/nam-tuan"): at(2, 3, 4),
            ("radio", "hoa-an"): at(2, 3, 6),
            ("radio", "nam-tuan"): at(2, 3, 6),
        },
    )
    b = publish(
        store,
        "b",
        areas=["cao-bang"],
        content_areas=("procedures", "digital_government"),
        priority=Priority.EMERGENCY,
        ingested=at(10, 0),
        approved=at(10, 0, 30),
        delivered={
            ("website", "site"): at(10, 0, 31),
            ("boards", "cao-bang"): at(10, 0, 31),
            ("radio", "hoa-an"): None,
        },
    )
    publish(
        store,
        "october",
        areas=["cao-bang"],
        content_areas=("apparatus",),
        ingested=at(20, month=10),
        approved=at(20, 1, month=10),
        delivered={("website", "site"): at(20, 2, month=10)},
    )
    publish(store, "draft", areas=["cao-bang"], content_areas=(), ingested=at(12), approved=None, delivered={})
    # boards: one in xã Hòa An, one in xã Nam Tuấn, one elsewhere in the province, one unregistered ack ignored
    add_board(store, "b-nam-tuan", "cao-bang/nam-tuan")
    add_board(store, "b-hoa-an", "cao-bang/hoa-an")
    add_board(store, "b-tinh-tuc", "cao-bang/tinh-tuc")
    record_reports(
        store,
        [
            Report("b-nam-tuan", "ack", at(2, 4), notice=a, version=1),
            Report("b-tinh-tuc", "ack", at(10, 1), notice=b, version=1),
            Report("b-tinh-tuc", "ack", at(10, 1), notice=a, version=1),
        ],
    )  # not a target of a
    return a, b


def test_month_bounds_are_local_months(cfg):
    assert month_bounds("2026-11", cfg) == (
        datetime(2026, 10, 31, 17, tzinfo=UTC),
        datetime(2026, 11, 30, 17, tzinfo=UTC),
    )
    assert month_bounds("2026-12", cfg)[1] == datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert previous_month(cfg, datetime(2026, 12, 31, 18, tzinfo=UTC)) == "2026-12"  # already January 1 in Hà Nội
    assert previous_month(cfg, datetime(2026, 1, 5, tzinfo=UTC)) == "2025-12"
    for bad in ("2026-13", "2026/11", "11-2026", ""):
        with pytest.raises(LoaError, match="is not YYYY-MM"):
            month_bounds(bad, cfg)


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50) == 5
    assert percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 90) == 9


def test_monthly_figures(store, cfg, month):
    a, b = month
    report = monthly_report(store, cfg, "2026-11", audio_seconds=lambda name: {f"notice-{a}-v1-vi.mp3": 90.0}[name])
    assert report.notices_published == 2
    assert report.editorial == {"drafted": 3, "approve": 2, "reject": 0, "withdraw": 0}
    channels = {c["channel"]: c for c in report.by_channel}
    assert [c["channel"] for c in report.by_channel] == ["website", "boards", "radio"]
    assert channels["website"] | {} == {
        "channel": "website",
        "label": "Trang thông tin điện tử",
        "notices": 2,
        "deliveries": 2,
        "failed": 0,
    }
    assert (channels["radio"]["notices"], channels["radio"]["deliveries"], channels["radio"]["failed"]) == (1, 2, 1)
    assert report.by_area == [
        {"area": "cao-bang", "code": 4, "name": "tỉnh Cao Bằng", "notices": 1},
        {"area": "cao-bang/hoa-an", "code": 1654, "name": "xã Hòa An", "notices": 1},
        {"area": "cao-bang/nam-tuan", "code": 1660, "name": "xã Nam Tuấn", "notices": 1},
    ]
    by_content = {c["content_area"]: c for c in report.by_content_area}
    assert by_content["procedures"] | {} == {
        "content_area": "procedures",
        "label": "Cải cách thủ tục hành chính",
        "normal": 1,
        "priority": 0,
        "emergency": 1,
        "total": 2,
    }
    assert by_content["digital_government"]["emergency"] == 1 and "apparatus" not in by_content
    assert report.by_priority == {"normal": 1, "priority": 0, "emergency": 1}
    # radio: one 90 s file delivered to two stations
    assert report.radio == {"deliveries": 2, "stations": 2, "seconds": 180.0, "minutes": 3.0, "audio_missing": 0}
    # boards: a → Hòa An and Nam Tuấn (2 boards), b → the province (3 boards); acks of a by b-nam-tuan, of b by b-tinh-tuc
    assert report.boards == {
        "messages": 3,
        "registered": 3,
        "reached": 3,
        "board_notices": 5,
        "acknowledged": 2,
        "acknowledging_boards": 2,
        "ack_rate": 0.4,
    }
    timing = {t["stage"]: t for t in report.timing}
    # a: 120 min to approval, 6 min to the last channel; b: 30 and 1
    assert timing["ingest_to_approval"] | {} == {
        "stage": "ingest_to_approval",
        "label": "Thu thập → phê duyệt",
        "notices": 2,
        "median_minutes": 30.0,
        "p90_minutes": 120.0,
    }
    assert (timing["approval_to_publication"]["median_minutes"], timing["approval_to_publication"]["p90_minutes"]) == (
        1.0,
        6.0,
    )
    assert timing["ingest_to_publication"]["p90_minutes"] == 126.0


def test_a_month_without_activity(store, cfg, month, tmp_path):
    report = monthly_report(store, cfg, "2026-09", audio_seconds=lambda name: None)
    assert report.notices_published == 0 and report.by_channel == [] and report.by_area == []
    assert report.boards["ack_rate"] is None and all(t["median_minutes"] is None for t in report.timing)
    paths = write_report(report, tmp_path)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| Thông báo đã đăng | 0 |" in paths["markdown"].read_text(encoding="utf-8")


def test_csv_markdown_and_chart(store, cfg, month, tmp_path):
    a, _ = month
    report = monthly_report(
        store, cfg, "2026-11", audio_seconds=lambda name: 90.0 if name.endswith(f"-{a}-v1-vi.mp3") else None
    )
    assert report.radio["audio_missing"] == 0
    text = to_csv(report)
    # a spreadsheet user reads Vietnamese headings, sections and measures; keys stay Loa's identifiers
    assert text.splitlines()[0] == "Tháng,Mục,Khóa,Mã đơn vị,Tên,Chỉ tiêu,Giá trị"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Tháng"] for r in rows} == {"2026-11"}
    find = {(r["Mục"], r["Khóa"], r["Chỉ tiêu"]): r["Giá trị"] for r in rows}
    assert find[("Tổng hợp", "notices", "Số thông báo")] == "2"
    assert {r["Khóa"]: r["Mã đơn vị"] for r in rows if r["Mục"] == "Địa bàn"} == {
        "cao-bang": "4",
        "cao-bang/hoa-an": "1654",
        "cao-bang/nam-tuan": "1660",
    }  # the official code beside the slug
    assert find[("Truyền thanh", "radio", "Số phút phát")] == "3.0"
    assert find[("Lĩnh vực cải cách", "procedures", "Khẩn cấp")] == "1"
    assert find[("Bảng tin điện tử", "boards", "Tỷ lệ xác nhận")] == "0.4"
    assert not any(k.isascii() and k.isalpha() for r in rows for k in (r["Mục"], r["Chỉ tiêu"]))

    md = to_markdown(report, chart="chart.png")
    assert md.startswith("# Báo cáo tháng 11/2026 — ")
    assert "| Cải cách thủ tục hành chính | 1 | 0 | 1 | 2 |" in md
    assert "| Thu thập → phê duyệt | 2 | 30,0 phút | 2,0 giờ |" in md
    assert "![Biểu đồ tháng 11/2026](chart.png)" in md and "(40,0 %)" in md
    # one date style, local time, no ISO timestamps or "UTC"; an area name starting a cell is capitalised
    assert "Số liệu từ ngày 01/11/2026 đến hết ngày 30/11/2026 (giờ Việt Nam)." in md
    assert "UTC" not in md and "T00:00" not in md and "| Xã Hòa An | 1 |" in md

    paths = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == [
        "loa-report-2026-11.csv",
        "loa-report-2026-11.md",
        "loa-report-2026-11.png",
    ]
    import matplotlib.image

    image = matplotlib.image.imread(paths["png"])
    assert image.shape[:2] == (800, 1200)
    assert image[:, :, :3].std() > 0.05  # something is drawn, not a blank canvas


def test_radio_minutes_are_measured_with_ffprobe(cfg):
    folder = cfg.home / "radio" / "audio"
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-c:a",
            "libmp3lame",
            str(folder / "notice-7-v1-vi.mp3"),
        ],
        check=True,
    )
    seconds = audio_seconds_by_probe(cfg)
    assert seconds("notice-7-v1-vi.mp3") == pytest.approx(3.0, abs=0.1)
    assert seconds("notice-8-v1-vi.mp3") is None
