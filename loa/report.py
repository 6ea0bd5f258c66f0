"""The monthly figures a province reports on its information plan, computed from the store.

A notice version counts in the month (local time, loa.yaml `timezone`) in which it first reached a
channel. Per channel, the deliveries made in the month count. Radio minutes are the durations of
the audio delivered to stations (once per station: a lower bound of what was aired). Boards
reached are the registered boards whose area a board message covered; acknowledged are those that
reported showing it (loa.store.boards). Times run from ingest (the document fetched) to approval
(the recorded approval) to publication (the last channel delivered).

`monthly_report()` builds a MonthlyReport; `to_csv`, `to_markdown` and loa.report_chart render it;
`write_report` writes all three. The CLI (`loa report`) and the monthly flow both call these.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, select

from loa.config import Config
from loa.errors import LoaError
from loa.ingest.classify import AREA_LABELS
from loa.model import CHANNELS, DeliveryStatus, Priority, within
from loa.site.model import PRIORITY_LABELS
from loa.store import Store
from loa.store.schema import ActionRow, BoardAckRow, BoardRow, DeliveryRow, DocumentVersionRow, NoticeVersionRow, utcnow

log = logging.getLogger(__name__)

CHANNEL_LABELS = {
    "website": "Trang thông tin điện tử",
    "boards": "Bảng tin điện tử",
    "radio": "Đài truyền thanh",
    "print": "Bản tin in",
    "webhook": "Cổng thông tin liên kết",
    "cap": "Cảnh báo CAP",
    "messaging": "Tin nhắn (ứng dụng, SMS, thư điện tử)",
}
STAGES = (
    ("ingest_to_approval", "Thu thập → phê duyệt"),
    ("approval_to_publication", "Phê duyệt → đăng tải"),
    ("ingest_to_publication", "Thu thập → đăng tải"),
)
NO_CONTENT_AREA = "other"
_AUDIO = re.compile(r"plays (notice-[\w.-]+\.mp3)")


@dataclass
class MonthlyReport:
    month: str  # "2026-11"
    timezone: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    title: str
    generated_at: datetime
    editorial: dict[str, int]  # drafted / approve / reject / withdraw actions in the month
    notices_published: int
    by_channel: list[dict]  # channel, label, notices, deliveries, failed
    by_area: list[dict]  # area, code (official), name, notices
    by_content_area: list[dict]  # content_area, label, normal, priority, emergency, total
    by_priority: dict[str, int]
    radio: dict  # deliveries, stations, seconds, minutes, audio_missing
    boards: dict  # messages, registered, reached, board_notices, acknowledged, ack_rate, source
    timing: list[dict]  # stage, label, notices, median_minutes, p90_minutes
    # per station, what its loudspeakers confirmed playing (their acks): station, name, airings (notice
    # versions played to the end, once per slot), minutes (of notice audio), failed (items)
    airings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        for key in ("start", "end", "generated_at"):
            d[key] = d[key].isoformat()
        return d


def month_bounds(month: str, cfg: Config) -> tuple[datetime, datetime]:
    """The month's [start, end) in UTC, for a month named in local time ("2026-11")."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise LoaError(f"month {month!r} is not YYYY-MM (for example 2026-11)")
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=cfg.tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=cfg.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def previous_month(cfg: Config, now: datetime | None = None) -> str:
    """The last complete month in local time: what the monthly flow reports on the 1st."""
    local = (now or utcnow()).astimezone(cfg.tz)
    year, mon = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0–100): a value that occurred, stable for small samples."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def audio_seconds_by_probe(cfg: Config) -> Callable[[str], float | None]:
    """Duration of a delivered radio file (by name) with ffprobe; None when it is gone."""
    from loa.speech.tts import AudioError, probe

    folder = cfg.layout.audio

    def seconds(name: str) -> float | None:
        try:
            return probe(folder / name, loudness=False).duration
        except AudioError:
            return None

    return seconds


def monthly_report(
    store: Store, cfg: Config, month: str, audio_seconds: Callable[[str], float | None] | None = None
) -> MonthlyReport:
    start, end = month_bounds(month, cfg)
    audio_seconds = audio_seconds or audio_seconds_by_probe(cfg)
    published = DeliveryRow.kind == "publish"
    delivered = DeliveryRow.status == DeliveryStatus.DELIVERED.value
    in_month = and_(DeliveryRow.delivered_at >= start, DeliveryRow.delivered_at < end)
    with store.reading() as s:
        # versions whose first delivery falls in the month, with the last delivery time (publication)
        firsts = s.execute(
            select(
                DeliveryRow.notice_id,
                DeliveryRow.version,
                func.min(DeliveryRow.delivered_at),
                func.max(DeliveryRow.delivered_at),
            )
            .where(published, delivered)
            .group_by(DeliveryRow.notice_id, DeliveryRow.version)
            .having(and_(func.min(DeliveryRow.delivered_at) >= start, func.min(DeliveryRow.delivered_at) < end))
        ).all()
        last_delivery = {(n, v): last for n, v, _first, last in firsts}
        versions = _versions(s, set(last_delivery))
        deliveries = s.execute(
            select(
                DeliveryRow.notice_id, DeliveryRow.version, DeliveryRow.channel, DeliveryRow.target, DeliveryRow.detail
            ).where(published, delivered, in_month)
        ).all()
        failed = Counter(
            s.scalars(
                select(DeliveryRow.channel).where(
                    published,
                    DeliveryRow.status == DeliveryStatus.FAILED.value,
                    DeliveryRow.updated_at >= start,
                    DeliveryRow.updated_at < end,
                )
            ).all()
        )
        editorial = Counter(
            s.scalars(
                select(ActionRow.action).where(
                    ActionRow.at >= start,
                    ActionRow.at < end,
                    ActionRow.action.in_(["drafted", "approve", "reject", "withdraw"]),
                )
            ).all()
        )
        boards = _boards(s, deliveries)

    return MonthlyReport(
        month=month,
        timezone=cfg.timezone,
        start=start,
        end=end,
        title=cfg.site_title,
        generated_at=utcnow(),
        editorial={k: editorial.get(k, 0) for k in ("drafted", "approve", "reject", "withdraw")},
        notices_published=len(versions),
        by_channel=_by_channel(deliveries, failed),
        by_area=_by_area(versions, cfg),
        by_content_area=_by_content_area(versions),
        by_priority={p.value: sum(1 for v in versions.values() if v["priority"] == p.value) for p in Priority},
        radio=_radio(deliveries, audio_seconds),
        boards=boards,
        timing=_timing(versions, last_delivery),
        airings=_airings(store, cfg, start, end),
    )


def _airings(store: Store, cfg: Config, start: datetime, end: datetime) -> list[dict]:
    """Confirmed airings per station in the month (loudspeaker acks), every configured station listed."""
    from loa.store.speakers import monthly_airings

    counted = monthly_airings(store, start, end)
    names = {st.id: st.name for st in cfg.stations}
    return [
        {"station": sid, "name": names.get(sid, sid), **counted.get(sid, {"airings": 0, "minutes": 0.0, "failed": 0})}
        for sid in sorted(set(names) | set(counted))
    ]


def _versions(s, keys: set[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """Priority, areas, content areas, ingest and approval time of each (notice, version)."""
    if not keys:
        return {}
    notice_ids = {n for n, _ in keys}
    rows = s.execute(
        select(
            NoticeVersionRow.id,
            NoticeVersionRow.notice_id,
            NoticeVersionRow.version,
            NoticeVersionRow.priority,
            NoticeVersionRow.areas,
            NoticeVersionRow.created_at,
            DocumentVersionRow.content_areas,
            DocumentVersionRow.fetched_at,
        )
        .join(DocumentVersionRow, DocumentVersionRow.id == NoticeVersionRow.document_version_id)
        .where(NoticeVersionRow.notice_id.in_(notice_ids))
    ).all()
    by_row = {r.id: r for r in rows if (r.notice_id, r.version) in keys}
    approvals = (
        dict(
            s.execute(
                select(ActionRow.notice_version_id, func.max(ActionRow.at))
                .where(ActionRow.action == "approve", ActionRow.notice_version_id.in_(list(by_row)))
                .group_by(ActionRow.notice_version_id)
            ).all()
        )
        if by_row
        else {}
    )
    return {
        (r.notice_id, r.version): {
            "priority": r.priority,
            "areas": list(r.areas or []),
            "content_areas": list(r.content_areas or []),
            "ingested_at": r.fetched_at or r.created_at,
            "approved_at": approvals.get(r.id),
        }
        for r in by_row.values()
    }


def _by_channel(deliveries, failed: Counter) -> list[dict]:
    notices: dict[str, set] = defaultdict(set)
    count: Counter = Counter()
    for d in deliveries:
        notices[d.channel].add((d.notice_id, d.version))
        count[d.channel] += 1
    names = [c for c in CHANNELS if c in notices or c in failed] + sorted((set(notices) | set(failed)) - set(CHANNELS))
    return [
        {
            "channel": c,
            "label": CHANNEL_LABELS.get(c, c),
            "notices": len(notices[c]),
            "deliveries": count[c],
            "failed": failed.get(c, 0),
        }
        for c in names
    ]


def _by_area(versions: dict, cfg: Config) -> list[dict]:
    count = Counter(a for v in versions.values() for a in v["areas"])
    return [
        {"area": a, "code": cfg.area_code(a), "name": cfg.area_name(a), "notices": n}
        for a, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _by_content_area(versions: dict) -> list[dict]:
    table: dict[str, Counter] = defaultdict(Counter)
    for v in versions.values():
        for area in v["content_areas"] or [NO_CONTENT_AREA]:
            table[area][v["priority"]] += 1
    order = [a for a in AREA_LABELS if a in table] + sorted(set(table) - set(AREA_LABELS))
    return [
        {
            "content_area": a,
            "label": AREA_LABELS.get(a, "Khác"),
            **{p.value: table[a].get(p.value, 0) for p in Priority},
            "total": sum(table[a].values()),
        }
        for a in order
    ]


def _radio(deliveries, audio_seconds: Callable[[str], float | None]) -> dict:
    radio = [d for d in deliveries if d.channel == "radio"]
    durations: dict[str, float | None] = {}
    total, missing = 0.0, 0
    for d in radio:
        m = _AUDIO.search(d.detail or "")
        name = m.group(1) if m else f"notice-{d.notice_id}-v{d.version}-vi.mp3"
        if name not in durations:
            durations[name] = audio_seconds(name)
        seconds = durations[name]
        if seconds is None:
            missing += 1
        else:
            total += seconds
    return {
        "deliveries": len(radio),
        "stations": len({d.target for d in radio}),
        "seconds": round(total, 1),
        "minutes": round(total / 60, 1),
        "audio_missing": missing,
    }


def _boards(s, deliveries) -> dict:
    """Board messages published; registered boards they covered; how many of those acknowledged."""
    messages = [(d.notice_id, d.version, d.target) for d in deliveries if d.channel == "boards"]
    registered = s.execute(select(BoardRow.id, BoardRow.area)).all()
    pairs = {(b.id, n, v) for n, v, area in messages for b in registered if within(b.area, area)}
    acked: set = set()
    if pairs:
        acked = {
            tuple(r)
            for r in s.execute(
                select(BoardAckRow.board_id, BoardAckRow.notice_id, BoardAckRow.version).where(
                    BoardAckRow.notice_id.in_({n for _, n, _ in pairs})
                )
            ).all()
        } & pairs
    return {
        "messages": len(messages),
        "registered": len(registered),
        "reached": len({b for b, _, _ in pairs}),
        "board_notices": len(pairs),
        "acknowledged": len(acked),
        "acknowledging_boards": len({b for b, _, _ in acked}),
        "ack_rate": round(len(acked) / len(pairs), 3) if pairs else None,
    }


def _timing(versions: dict, last_delivery: dict) -> list[dict]:
    spans: dict[str, list[float]] = defaultdict(list)
    for key, v in versions.items():
        ingested, approved, published = v["ingested_at"], v["approved_at"], last_delivery[key]
        if approved:
            spans["ingest_to_approval"].append((approved - ingested).total_seconds() / 60)
            spans["approval_to_publication"].append((published - approved).total_seconds() / 60)
        spans["ingest_to_publication"].append((published - ingested).total_seconds() / 60)
    return [
        {
            "stage": stage,
            "label": label,
            "notices": len(spans[stage]),
            "median_minutes": _round(percentile(spans[stage], 50)),
            "p90_minutes": _round(percentile(spans[stage], 90)),
        }
        for stage, label in STAGES
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- rendering ------------------------------------------------------------------------------------


def rows(report: MonthlyReport) -> list[dict]:
    """The report as long-format rows (section, key, label, measure, value): the CSV and the table artifact."""
    out: list[dict] = []

    def add(section, key, label, measure, value, code=None):
        out.append({"section": section, "key": key, "code": code, "label": label, "measure": measure, "value": value})

    add("summary", "notices", "Thông báo đã đăng", "notices", report.notices_published)
    for action, label in (
        ("drafted", "Dự thảo mới"),
        ("approve", "Phê duyệt"),
        ("reject", "Từ chối"),
        ("withdraw", "Thu hồi"),
    ):
        add("editorial", action, label, "actions", report.editorial[action])
    for c in report.by_channel:
        for measure in ("notices", "deliveries", "failed"):
            add("channel", c["channel"], c["label"], measure, c[measure])
    for a in report.by_area:
        add("area", a["area"], a["name"], "notices", a["notices"], a.get("code"))
    for c in report.by_content_area:
        for measure in (*(p.value for p in Priority), "total"):
            add("content_area", c["content_area"], c["label"], measure, c[measure])
    for p, n in report.by_priority.items():
        add("priority", p, PRIORITY_LABELS[p], "notices", n)
    for measure in ("deliveries", "stations", "minutes", "audio_missing"):
        add("radio", "radio", CHANNEL_LABELS["radio"], measure, report.radio[measure])
    for measure in ("messages", "registered", "reached", "board_notices", "acknowledged", "ack_rate"):
        add("boards", "boards", CHANNEL_LABELS["boards"], measure, report.boards[measure])
    for a in report.airings:
        for measure in ("airings", "minutes", "failed"):
            add("airings", a["station"], a["name"], measure, a[measure])
    for t in report.timing:
        for measure in ("notices", "median_minutes", "p90_minutes"):
            add("timing", t["stage"], t["label"], measure, t[measure])
    return out


# The CSV and the Prefect table artifact are read by people in a spreadsheet: Vietnamese headings,
# sections and measures; the key column keeps Loa's identifiers (area slug, channel, stage).
# Scripts use `loa report --json`, whose keys stay English.
CSV_HEADINGS = {
    "month": "Tháng",
    "section": "Mục",
    "key": "Khóa",
    "code": "Mã đơn vị",
    "label": "Tên",
    "measure": "Chỉ tiêu",
    "value": "Giá trị",
}
SECTION_LABELS = {
    "summary": "Tổng hợp",
    "editorial": "Biên tập",
    "channel": "Kênh",
    "area": "Địa bàn",
    "content_area": "Lĩnh vực cải cách",
    "priority": "Mức ưu tiên",
    "radio": "Truyền thanh",
    "boards": "Bảng tin điện tử",
    "timing": "Thời gian xử lý",
    "airings": "Loa đã phát (xác nhận)",
}
MEASURE_LABELS = {
    "notices": "Số thông báo",
    "actions": "Số lượt",
    "deliveries": "Số lượt phát hành",
    "failed": "Số lượt lỗi",
    "normal": "Thông thường",
    "priority": "Ưu tiên",
    "emergency": "Khẩn cấp",
    "total": "Tổng",
    "stations": "Số đài",
    "minutes": "Số phút phát",
    "airings": "Số lượt đã phát",
    "audio_missing": "Thiếu bài đọc",
    "messages": "Số tin đã gửi",
    "registered": "Số bảng đã đăng ký",
    "reached": "Số bảng đã nhận",
    "board_notices": "Số thông báo trên bảng",
    "acknowledged": "Số lượt bảng xác nhận",
    "ack_rate": "Tỷ lệ xác nhận",
    "median_minutes": "Trung vị (phút)",
    "p90_minutes": "Phân vị 90 (phút)",
}


def table_rows(report: MonthlyReport) -> list[dict]:
    """rows() as people read them: Vietnamese headings, sections and measures (the CSV and the artifact)."""
    return [
        {
            CSV_HEADINGS["month"]: report.month,
            **{
                CSV_HEADINGS[k]: ""
                if v is None
                else (SECTION_LABELS if k == "section" else MEASURE_LABELS).get(v, v)
                if k in ("section", "measure")
                else ""
                if v is None
                else v
                for k, v in row.items()
            },
        }
        for row in rows(report)
    ]


def to_csv(report: MonthlyReport) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_HEADINGS.values()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows(report))
    return buf.getvalue()


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def _table(headers: list[str], body: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in body]
    return "\n".join(lines)


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{_cell(float(value))} phút"
    return f"{_cell(value / 60)} giờ"


def _capitalise(name: str) -> str:
    """An area name starting a table cell: "Xã Hồng Việt"."""
    return name[:1].upper() + name[1:]


def _period(report: MonthlyReport) -> str:
    """The month and when the report was made, in local time and one date style (dd/mm/yyyy)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(report.timezone)
    first = report.start.astimezone(tz)
    last = (report.end - timedelta(seconds=1)).astimezone(tz)
    made = report.generated_at.astimezone(tz)
    zone = "giờ Việt Nam" if report.timezone == "Asia/Ho_Chi_Minh" else f"giờ {report.timezone}"
    return (
        f"Số liệu từ ngày {first:%d/%m/%Y} đến hết ngày {last:%d/%m/%Y} ({zone}). "
        f"Lập lúc {made:%H:%M} ngày {made:%d/%m/%Y}."
    )


def to_markdown(report: MonthlyReport, chart: str | None = None) -> str:
    """The report in Vietnamese, as a province files it (numbers in Vietnamese style: 1.234 and 12,5)."""
    year, mon = report.month.split("-")
    b, r = report.boards, report.radio
    parts = [
        f"# Báo cáo tháng {int(mon)}/{year} — {report.title}",
        _period(report),
        "## Tóm tắt",
        _table(
            ["Chỉ tiêu", "Số lượng"],
            [
                ["Thông báo đã đăng", report.notices_published],
                ["Dự thảo mới", report.editorial["drafted"]],
                ["Lượt phê duyệt", report.editorial["approve"]],
                ["Lượt từ chối", report.editorial["reject"]],
                ["Lượt thu hồi", report.editorial["withdraw"]],
                ["Số phút phát thanh", r["minutes"]],
                ["Bảng tin đã nhận thông báo", b["reached"]],
            ],
        ),
    ]
    if chart:
        parts.append(f"![Biểu đồ tháng {int(mon)}/{year}]({chart})")
    parts += [
        "## Theo kênh",
        _table(
            ["Kênh", "Thông báo", "Lượt gửi thành công", "Lượt gửi lỗi"],
            [[c["label"], c["notices"], c["deliveries"], c["failed"]] for c in report.by_channel],
        ),
        "## Theo lĩnh vực cải cách và mức ưu tiên",
        _table(
            ["Lĩnh vực", *(PRIORITY_LABELS[p.value] for p in Priority), "Tổng"],
            [[c["label"], *(c[p.value] for p in Priority), c["total"]] for c in report.by_content_area],
        ),
        "## Theo địa bàn",
        _table(["Địa bàn", "Thông báo"], [[_capitalise(a["name"]), a["notices"]] for a in report.by_area]),
        "## Đài truyền thanh",
        f"{_cell(r['deliveries'])} lượt gửi tới {_cell(r['stations'])} đài, tổng thời lượng "
        f"{_cell(float(r['minutes']))} phút (mỗi đài tính một lần phát)"
        + (f"; {r['audio_missing']} tệp âm thanh không còn để đo." if r["audio_missing"] else "."),
        "### Loa xác nhận đã phát",
        _table(
            ["Đài", "Lượt phát đã xác nhận", "Số phút", "Lượt phát lỗi"],
            [[a["name"], a["airings"], float(a["minutes"]), a["failed"]] for a in report.airings],
        )
        if report.airings
        else "Chưa có đài nào.",
        "## Bảng tin điện tử",
        f"{_cell(b['messages'])} tin gửi tới các địa bàn; {_cell(b['reached'])}/{_cell(b['registered'])} bảng tin "
        f"đã đăng ký nằm trong địa bàn nhận tin; {_cell(b['acknowledged'])}/{_cell(b['board_notices'])} lượt "
        f"bảng tin – thông báo đã xác nhận hiển thị"
        + (f" ({_cell(round(b['ack_rate'] * 100, 1))} %)." if b["ack_rate"] is not None else "."),
        "## Thời gian xử lý",
        _table(
            ["Giai đoạn", "Số thông báo", "Trung vị", "90 % trong vòng"],
            [
                [t["label"], t["notices"], _minutes(t["median_minutes"]), _minutes(t["p90_minutes"])]
                for t in report.timing
            ],
        ),
    ]
    return "\n\n".join(parts) + "\n"


def write_report(report: MonthlyReport, folder: Path) -> dict[str, Path]:
    """Write loa-report-YYYY-MM.csv, .md and .png into `folder`; returns the paths by kind."""
    from loa.report_chart import render_png

    folder.mkdir(parents=True, exist_ok=True)
    stem = f"loa-report-{report.month}"
    paths = {"csv": folder / f"{stem}.csv", "markdown": folder / f"{stem}.md", "png": folder / f"{stem}.png"}
    paths["csv"].write_text(to_csv(report), encoding="utf-8")
    render_png(report, paths["png"])
    paths["markdown"].write_text(to_markdown(report, chart=paths["png"].name), encoding="utf-8")
    return paths
