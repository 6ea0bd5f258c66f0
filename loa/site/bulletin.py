"""The printed bulletin's content: which notices, for which period, and the HTML a PDF engine prints.

Two editions per commune (or other area without sub-areas): the weekly edition (notices
published in one ISO week that are still in force when it is made: print/<area>/<YYYY>-W<ww>.pdf)
and the current edition (every notice in force now: print/<area>/current.pdf). A commune's
bulletin carries the notices for the commune and the province-wide ones.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from markupsafe import Markup

from loa.render import TEMPLATES
from loa.site.build import site_env
from loa.site.model import AreaTree, Edition, Entry, SiteInfo

log = logging.getLogger(__name__)

PRIORITY_ORDER = {"emergency": 0, "priority": 1, "normal": 2}
WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    key: str  # "2026-W47" or "current": the PDF's file name
    label: str  # what the bulletin's title says
    start: datetime | None = None  # aware; None for the current edition
    end: datetime | None = None


@dataclass(frozen=True)
class BulletinItem:
    entry: Entry
    body_html: str  # the editor's print variant (sanitised again when rendered)
    qr: str  # data: URI of the QR code to the notice's page


def week_period(day: date, tz) -> Period:
    """The ISO week (Monday–Sunday, local time) that contains `day`."""
    year, week, _ = day.isocalendar()
    monday = date.fromisocalendar(year, week, 1)
    sunday = monday + timedelta(days=6)
    start = datetime.combine(monday, time(), tz)
    return Period(
        f"{year}-W{week:02d}",
        f"Tuần {week}/{year} (từ {monday:%d/%m} đến {sunday:%d/%m/%Y})",
        start,
        start + timedelta(days=7),
    )


def parse_week(key: str, tz) -> Period:
    m = WEEK_KEY.match(key)
    if not m:
        raise ValueError(f"{key!r} is not an ISO week like 2026-W47")
    try:
        return week_period(date.fromisocalendar(int(m[1]), int(m[2]), 1), tz)
    except ValueError:
        raise ValueError(f"{key!r} is not an ISO week of that year") from None


def previous_week(now: datetime, tz) -> Period:
    """Last complete week: what the scheduled Monday-morning run prints."""
    return week_period((now.astimezone(tz) - timedelta(days=7)).date(), tz)


def current_period(now: datetime, tz) -> Period:
    local = now.astimezone(tz)
    return Period("current", f"Thông báo đang có hiệu lực ngày {local:%d/%m/%Y}")


def edition_href(area: str, period_key: str) -> str:
    return f"print/{area}/{period_key}.pdf"


def select(entries: list[Entry], place: str, period: Period, now: datetime) -> list[Entry]:
    """Notices in force that concern `place`, published within the period; emergencies first."""
    chosen = [
        e
        for e in entries
        if e.status(now) == "current"
        and AreaTree.concerns(e, place)
        and (period.start is None or period.end is None or period.start <= e.published_at < period.end)
    ]
    return sorted(chosen, key=lambda e: (PRIORITY_ORDER.get(e.priority, 3), -e.published_at.timestamp(), -e.id))


def editions_on_disk(folder: Path, area: str, tz, keep: int = 8) -> list[Edition]:
    """The PDFs an area page links to: the current edition first, then the newest weekly ones."""
    base = folder / area
    if not base.is_dir():
        return []
    found: list[Edition] = []
    current = base / "current.pdf"
    if current.exists():
        made = datetime.fromtimestamp(current.stat().st_mtime, tz)
        found.append(
            Edition(
                f"Thông báo đang có hiệu lực (cập nhật {made:%d/%m/%Y})", edition_href(area, "current"), _kb(current)
            )
        )
    weekly = sorted((p for p in base.glob("*.pdf") if WEEK_KEY.match(p.stem)), reverse=True)[:keep]
    for pdf in weekly:
        label = parse_week(pdf.stem, tz).label
        found.append(Edition(f"Bản tin {label[0].lower()}{label[1:]}", edition_href(area, pdf.stem), _kb(pdf)))
    return found


def _kb(path: Path) -> int:
    return max(1, round(path.stat().st_size / 1024))


class BulletinRenderer:
    """HTML for the PDF engine: A4, large type, the commune's name and the date on every page."""

    def __init__(self, site: SiteInfo, tree: AreaTree, *, font_size_pt: int = 16, folder: Path = TEMPLATES):
        self.site, self.tree, self.font_size_pt = site, tree, font_size_pt
        self.env = site_env(site, tree, folder)
        # our own stylesheet, inlined so the PDF engine needs no file access; not HTML-escaped
        self.css = Markup((folder / "print" / "bulletin.css").read_text(encoding="utf-8"))

    def html(self, place: str, period: Period, items: list[BulletinItem], now: datetime) -> str:
        local = now.astimezone(self.site.tz)
        return self.env.get_template("print/bulletin.html").render(
            place=place,
            place_name=self.tree.name(place),
            period=period,
            items=items,
            made_on=f"{local:%d/%m/%Y}",
            made_at=local,
            css=self.css,
            font_size_pt=self.font_size_pt,
        )
