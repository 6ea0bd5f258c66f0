"""The monthly report's chart: one PNG with four panels (matplotlib, Agg: no display needed)."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from loa.model import Priority
from loa.site.model import PRIORITY_LABELS

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # annotations only: loa.report imports this module to draw its chart
    from loa.report import MonthlyReport

PRIORITY_COLOURS = {"normal": "#4c78a8", "priority": "#f58518", "emergency": "#e45756"}


def render_png(report: MonthlyReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: a server has no display
    import matplotlib.pyplot as plt

    year, mon = report.month.split("-")
    # DejaVu Sans (matplotlib's own font) has every Vietnamese letter
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig, axes = plt.subplots(2, 2, figsize=(12, 8), dpi=100)
        fig.suptitle(f"{report.title} — tháng {int(mon)}/{year}", fontsize=13)
        _bars(
            axes[0][0],
            [c["label"] for c in report.by_channel],
            [c["notices"] for c in report.by_channel],
            "Thông báo theo kênh",
            "#4c78a8",
        )
        _content_areas(axes[0][1], report)
        top = report.by_area[:10]
        _bars(
            axes[1][0],
            [a["name"] for a in top],
            [a["notices"] for a in top],
            "Thông báo theo địa bàn (10 nhiều nhất)",
            "#54a24b",
        )
        _timing(axes[1][1], report)
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
        plt.close(fig)
    return path


def _empty(ax, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "Không có số liệu", ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def _bars(ax, labels: list[str], values: list[int], title: str, colour: str) -> None:
    if not labels:
        return _empty(ax, title)
    ax.barh([_wrap(x) for x in labels[::-1]], values[::-1], color=colour)
    ax.set_title(title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v}", va="center")


def _content_areas(ax, report: MonthlyReport) -> None:
    title = "Theo lĩnh vực cải cách và mức ưu tiên"
    rows = report.by_content_area
    if not rows:
        return _empty(ax, title)
    labels = [_wrap(r["label"]) for r in rows][::-1]
    left = [0] * len(rows)
    for p in Priority:
        values = [r[p.value] for r in rows][::-1]
        ax.barh(labels, values, left=left, color=PRIORITY_COLOURS[p.value], label=PRIORITY_LABELS[p.value])
        left = [a + b for a, b in zip(left, values)]
    ax.set_title(title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", fontsize=8)


def _timing(ax, report: MonthlyReport) -> None:
    title = "Thời gian xử lý (giờ): trung vị và 90 %"
    timing = [t for t in report.timing if t["notices"]]
    if not timing:
        return _empty(ax, title)
    y = list(range(len(timing)))[::-1]
    ax.barh(
        [i + 0.2 for i in y], [t["median_minutes"] / 60 for t in timing], height=0.4, color="#4c78a8", label="Trung vị"
    )
    ax.barh(
        [i - 0.2 for i in y],
        [t["p90_minutes"] / 60 for t in timing],
        height=0.4,
        color="#9ecae9",
        label="90 % trong vòng",
    )
    ax.set_yticks(y, [_wrap(t["label"]) for t in timing])
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)


def _wrap(label: str) -> str:
    return textwrap.fill(label, 24)
