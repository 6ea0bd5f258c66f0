"""The printed bulletin: an A4 PDF per commune, made by WeasyPrint, for public boards and legal bookcases.

Files live in the website, so any web server that serves the site serves them too:
site/print/<area>/current.pdf (every notice in force; remade whenever a notice for the area is
published or withdrawn) and site/print/<area>/<YYYY>-W<ww>.pdf (the weekly edition, made by the
`print` deployment for last week, or by `loa print --week`). Beside each PDF a small JSON file
records which notice versions it carries, so a withdrawal can name the printed editions whose
paper copies must come down. Bulletins are made for each commune in use (areas.yaml).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from channels.base import failed
from loa import clock
from loa.config import Config
from loa.errors import LoaError
from loa.files import write_atomic
from loa.model import DeliveryResult, NoticeView, within
from loa.site import bulletin
from loa.site.bulletin import BulletinItem, BulletinRenderer, Period
from loa.site.context import entry_from_view
from loa.site.model import AreaTree, SiteInfo
from loa.site.qr import qr_data_uri
from loa.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintResult:
    area: str
    period: str
    path: str  # the PDF
    notices: int
    pages: int

    def as_dict(self) -> dict:
        return asdict(self)


class PdfError(LoaError):
    """A bulletin PDF could not be made (Chromium failed or wrote nothing)."""


class Printed:
    name = "print"
    after: tuple[str, ...] = ()
    broker = False

    def __init__(self, cfg: Config, store: Store, pages: Callable[[list[str], datetime], object] | None = None):
        """`pages` re-renders the web pages of areas whose bulletins were remade (they link the PDFs):
        the website's, wired by channels/catalogue.py; a channel never builds another itself."""
        self.cfg, self.store, self.pages = cfg, store, pages
        self.tree = AreaTree(cfg.areas)
        self.site = SiteInfo(cfg.site_title, cfg.site_url, cfg.tz)
        self.folder = cfg.layout.bulletins
        self.renderer = BulletinRenderer(self.site, self.tree, font_size_pt=cfg.print.font_size_pt)

    def targets(self, notice: NoticeView) -> list[str]:
        return self.bulletin_areas(notice.areas)

    def bulletin_areas(self, areas) -> list[str]:
        """The communes in use whose bulletin carries notices for `areas` (the province's: all of them)."""
        areas = set(areas)
        return [leaf for leaf in self.tree.leaves() if any(within(leaf, a) for a in areas)]

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._remake(notice, targets, withdrawn=False)

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._remake(notice, targets, withdrawn=True)

    def describe(self) -> dict:
        return {
            "channel": self.name,
            "root": str(self.folder),
            "bulletin_areas": len(self.tree.leaves()),
            "weekly": f"ISO weekday {self.cfg.print.weekday} at {self.cfg.print.time} {self.cfg.timezone}",
            "font_size_pt": self.cfg.print.font_size_pt,
        }

    def _remake(self, notice: NoticeView, targets: list[str], withdrawn: bool) -> list[DeliveryResult]:
        """Remake the current edition of each target area; say which weekly editions carried a withdrawn notice."""
        results = []
        for area, res in self.current_editions(targets, clock.now()).items():
            if not isinstance(res, PrintResult):
                results.append(failed(self.name, area, f"bulletin for {area}: {res}"))
                continue
            detail = f"{res.path}: {res.notices} notice(s), {res.pages} page(s)"
            if withdrawn:
                printed = self.editions_with(area, notice.id)
                detail += (
                    f"; printed editions that carried it: {', '.join(printed)} — take those copies down"
                    if printed
                    else "; no weekly edition carried it"
                )
            results.append(DeliveryResult(self.name, area, True, detail))
        return results

    def current_editions(self, areas: list[str], now: datetime) -> dict[str, PrintResult | Exception]:
        """Remake the current edition (every notice in force now) of each area, the notices loaded once; then
        the area pages that link them. An area whose PDF could not be made maps to the error."""
        out: dict[str, PrintResult | Exception] = {}
        live = self.live_items(now)
        for area in areas:
            try:
                out[area] = self.make(area, bulletin.current_period(now, self.cfg.tz), now, live)
            except (OSError, PdfError) as exc:
                out[area] = exc
        made = [area for area, res in out.items() if isinstance(res, PrintResult)]
        if made and self.pages is not None:
            self.pages(made, now)  # area pages link the new PDFs
        return out

    # --- making bulletins (also `loa print` and the weekly flow) -----------------------------------

    def live_items(self, now: datetime) -> list[tuple]:
        """(Entry, print body) of every notice in force: loaded once, shared by every area's bulletin."""
        return [(entry_from_view(v), v.variants.get("print") or v.summary_html) for v in self.store.live_notices(now)]

    def make(self, area: str, period: Period, now: datetime, live: list[tuple] | None = None) -> PrintResult:
        if area not in self.tree.areas:
            raise PdfError(f"area {area!r} is not in areas.yaml")
        live = self.live_items(now) if live is None else live
        bodies = {e.id: body for e, body in live}
        chosen = bulletin.select([e for e, _ in live], area, period, now)
        items = [BulletinItem(e, bodies[e.id], qr_data_uri(f"{self.site.url}/{e.path}")) for e in chosen]
        html = self.renderer.html(area, period, items, now)
        pdf, pages = render_pdf(html, base_url=str(self.folder))
        path = self.folder / bulletin.edition_href(area, period.key).removeprefix("print/")
        write_atomic(path, pdf)
        write_atomic(
            path.with_suffix(".json"),
            json.dumps(
                {
                    "area": area,
                    "area_name": self.tree.name(area),
                    "period": period.key,
                    "label": period.label,
                    "made_at": now.isoformat(timespec="seconds"),
                    "pages": pages,
                    "notices": [{"id": e.id, "version": e.version, "title": e.title} for e in chosen],
                },
                ensure_ascii=False,
                indent=1,
            ),
        )
        return PrintResult(area, period.key, str(path), len(chosen), pages)

    def make_weekly(
        self, period: Period, areas: list[str] | None = None, now: datetime | None = None, skip_empty: bool = True
    ) -> list[PrintResult | str]:
        """The weekly edition for each bulletin area; an area with no notice that week gets none (reported)."""
        now = now or clock.now()
        live = self.live_items(now)
        out: list[PrintResult | str] = []
        for area in areas or self.tree.leaves():
            if skip_empty and not bulletin.select([e for e, _ in live], area, period, now):
                out.append(f"{area}: no notice in {period.key}, no edition")
                continue
            out.append(self.make(area, period, now, live))
        return out

    def editions_with(self, area: str, notice_id: int) -> list[str]:
        found = []
        for meta in sorted((self.folder / area).glob("*-W*.json")):
            try:
                if any(n["id"] == notice_id for n in json.loads(meta.read_text(encoding="utf-8"))["notices"]):
                    found.append(meta.stem)
            except (OSError, ValueError, KeyError):
                continue
        return found


def _import_weasyprint():
    """WeasyPrint opens Pango & co. trying Windows names before the Linux sonames, and cffi looks up each
    miss with ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld (~16 gcc runs, 0.2-0.3 s
    of CPU in every process that prints). The sonames it ends with load directly, so the look-ups are
    switched off while it loads; a library really missing still fails, with WeasyPrint's own message.
    Only for the importing thread, and one import at a time: other threads' look-ups are answered, and
    two first prints at once cannot save each other's stand-in as the original."""
    if sys.platform != "linux" or "weasyprint" in sys.modules:
        import weasyprint

        return weasyprint
    import ctypes.util

    with _WEASYPRINT_IMPORT:
        find, importer = ctypes.util.find_library, threading.get_ident()
        ctypes.util.find_library = lambda name: None if threading.get_ident() == importer else find(name)
        try:
            import weasyprint
        finally:
            ctypes.util.find_library = find
    return weasyprint


_WEASYPRINT_IMPORT = threading.Lock()


def render_pdf(html: str, base_url: str) -> tuple[bytes, int]:
    """WeasyPrint: HTML → PDF bytes and the page count. Imported here: it takes a second to load."""
    try:
        weasyprint = _import_weasyprint()
    except OSError as exc:  # Pango missing: say what to install
        raise PdfError(f"WeasyPrint cannot load Pango ({exc}); install pango1.0-tools (make run does)") from exc
    document = weasyprint.HTML(string=html, base_url=base_url).render()
    return document.write_pdf(), len(document.pages)
