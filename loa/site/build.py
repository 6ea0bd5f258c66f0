"""Turn the site's context into files: the whole site, or only what one notice touches.

`SiteBuilder.plan()` is pure: the site's notices (a Catalogue, or a list of Entries) and NoticePages
in, a Plan out: {relative path: content}, and the listing lines and search rows it made afresh (the
private index, loa.site.memory, keeps them for the next publish). The one writer, `write_files()`,
writes each file to a temporary name and renames it (loa.files), and leaves a file alone when its
bytes have not changed, so unchanged pages keep their dates and a deploy by rsync copies only what
changed.

A notice for area X appears on the pages of X, of the areas above X and of the areas below it
(model.AreaTree.related), so publishing it rewrites: its own page (and its older versions'
pages, which link to it), the home page and site feeds, those areas' pages, feeds and the
archive month it is filed under, the sitemap, its month's part of the JSON listing and the listing's
index, and the search index. A notice whose status changed since it was last written (it expired)
is touched the same way.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Protocol

from jinja2 import Environment
from markupsafe import Markup, escape

from loa.files import write_atomic
from loa.render import TEMPLATES, make_env, vi_date, vi_short_date
from loa.site import feeds, indexes
from loa.site.model import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    AreaTree,
    Brief,
    Edition,
    Entry,
    NoticePage,
    SiteInfo,
    micros,
    month_of,
)
from loa.site.qr import qr_svg

log = logging.getLogger(__name__)

LIST_SIZE = 50  # current notices listed on the home page and each area page; the rest are in the archives
STATIC = ("site.css", "search.js", "notice.js")


def root_for(path: str) -> str:
    """The relative way back to the site root from a page, so the site works under any prefix."""
    depth = path.count("/")
    return "/".join([".."] * depth) if depth else "."


def qr_path(notice_id: int) -> str:
    return f"notices/{notice_id}.qr.svg"


@dataclass
class Touch:
    """What one publish changes; None in a field means everything (a full rebuild)."""

    areas: set[str] | None = None
    months: set[str] | None = None

    def __or__(self, other: Touch) -> Touch:
        return Touch(
            None if self.areas is None or other.areas is None else self.areas | other.areas,
            None if self.months is None or other.months is None else self.months | other.months,
        )


@dataclass
class Plan:
    """The files to write, and the listing line and search row of each notice made afresh (by id)."""

    files: dict[str, str | bytes]
    fresh: dict[int, tuple[str, bytes]]


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    republished: list[Entry] = field(default_factory=list)  # the notices an incremental publish redid


def site_env(site: SiteInfo, tree: AreaTree, folder: Path = TEMPLATES) -> Environment:
    env = make_env(folder)

    def local(value):
        return value.astimezone(site.tz) if isinstance(value, datetime) and value.tzinfo else value

    env.filters["vi_date"] = lambda v: vi_date(local(v))
    env.filters["vi_short_date"] = lambda v: vi_short_date(local(v))
    env.filters["iso"] = lambda v: v.isoformat(timespec="seconds") if v else ""
    env.filters["area_name"] = tree.name  # inside a sentence: "Thông báo cho xã Hồng Việt"
    # where a name starts a heading, a list item or a sentence: "Xã Hồng Việt"
    env.filters["area_label"] = lambda a: capitalise(tree.name(a))
    names: dict[tuple[str, ...], str] = {}
    env.filters["area_names"] = lambda areas: (
        names.get(areas) or names.setdefault(areas, ", ".join(capitalise(tree.name(a)) for a in areas))
    )
    env.filters["source_label"] = source_label
    env.filters["nobreak_numbers"] = nobreak_numbers
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["priority_label"] = lambda p: PRIORITY_LABELS.get(p, p)
    env.filters["month_label"] = lambda m: f"tháng {int(m[5:])}/{m[:4]}"
    env.filters["title_case_first"] = capitalise
    env.filters["css_string"] = _css_string
    env.globals.update(site_title=site.title, site_url=site.url)
    return env


def capitalise(text: str) -> str:
    """The first letter in capitals, the rest as written: "xã Hồng Việt" → "Xã Hồng Việt"."""
    return text[:1].upper() + text[1:] if text else text


_DOCUMENT_URL = re.compile(
    r"(?i)(?:\.(?:pdf|docx?|odt|rtf)(?:[?#]|$)|/van-?ban/|vbpl\.vn|thuvienphapluat\.vn/van-ban|"
    r"/(?:legal-?documents?|vbqppl|document)s?/)"
)


def source_label(url: str | None) -> str:
    """ "Văn bản gốc" for a link to the document itself (a PDF, a legal-document page), "Nguồn tin" for the news
    article it was taken from."""
    return "Văn bản gốc" if url and _DOCUMENT_URL.search(url) else "Nguồn tin"


# "512/QĐ-UBND", "45/2024/NĐ-CP", "1050/KH-UBND": a document number must never break across lines in print
_DOC_NUMBER = re.compile(r"\b\d+(?:/\d{4})?/[A-ZĐ][A-ZĐa-zđ0-9]*(?:[-–][A-ZĐ][A-ZĐa-zđ0-9&]*)*")


def nobreak_numbers(html: str) -> Markup:
    """Sanitised HTML with each document number in its text (never inside a tag) wrapped in
    <span class="nowrap">, so WeasyPrint and browsers keep it on one line."""
    html = html if isinstance(html, Markup) else escape(html)  # plain text (a title) is escaped first
    parts = re.split(r"(<[^>]*>)", str(html))
    for i in range(0, len(parts), 2):
        parts[i] = _DOC_NUMBER.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', parts[i])
    return Markup("".join(parts))


def _css_string(text: str) -> Markup:
    """Text for inside a CSS "…" string in a <style> element, where HTML escapes do not apply."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
    return Markup(" ".join(out.split()))


class SiteBuilder:
    def __init__(self, site: SiteInfo, tree: AreaTree, folder: Path = TEMPLATES):
        self.site, self.tree, self.folder = site, tree, folder
        self.env = site_env(site, tree, folder)

    # --- pages -------------------------------------------------------------------------------

    def _render(self, template: str, path: str, **ctx) -> str:
        site_feeds = [
            dict(type="application/atom+xml", title=f"{self.site.title} (Atom)", href=f"{root_for(path)}/atom.xml"),
            dict(type="application/rss+xml", title=f"{self.site.title} (RSS)", href=f"{root_for(path)}/rss.xml"),
        ]
        ctx.setdefault("feeds", site_feeds)
        ctx.setdefault("jsonld", None)
        ctx.setdefault("breadcrumbs", [])
        return self.env.get_template(f"website/{template}").render(
            root=root_for(path), canonical=f"{self.site.url}/{path}", **ctx
        )

    def notice_page(self, page: NoticePage, now: datetime) -> str:
        e = page.entry
        return self._render(
            "notice.html",
            page.path,
            page=page,
            notice=e,
            status=e.status(now),
            body=page.body_html,
            jsonld=indexes.notice_jsonld(self.site, self.tree, page, now),
            breadcrumbs=self._crumbs(e.areas[0]) if e.areas else [],
        )

    def home(self, cat: Catalogue) -> str:
        current = cat.current(cat.newest)
        return self._render(
            "index.html",
            "index.html",
            emergencies=cat.entries(_emergencies(current)),
            notices=cat.entries(current[:LIST_SIZE]),
            more=max(0, len(current) - LIST_SIZE),
            tree=self.tree,
            jsonld=indexes.website_jsonld(self.site),
        )

    def area_page(self, area: str, cat: Catalogue, editions: list[Edition]) -> str:
        path = f"areas/{area}/index.html"
        mine = cat.by_area.get(area, [])
        current = cat.current(mine)
        months = sorted({b.month for b in mine}, reverse=True)
        return self._render(
            "area.html",
            path,
            area=area,
            area_name=self.tree.name(area),
            area_code=self.tree.code(area),
            emergencies=cat.entries(_emergencies(current)),
            notices=cat.entries(current[:LIST_SIZE]),
            more=max(0, len(current) - LIST_SIZE),
            months=months,
            children=self.tree.children.get(area, []),
            editions=editions,
            feeds=self._area_feeds(area, path),
            breadcrumbs=self._crumbs(area)[:-1],
        )

    def archive_page(self, area: str, month: str, entries: list[Entry], now: datetime) -> str:
        path = f"areas/{area}/{month}.html"
        chosen = sorted(entries, key=lambda e: (e.first_published_at, e.id), reverse=True)
        return self._render(
            "archive.html",
            path,
            area=area,
            area_name=self.tree.name(area),
            month=month,
            notices=chosen,
            now=now,
            feeds=self._area_feeds(area, path),
            breadcrumbs=self._crumbs(area),
        )

    def _crumbs(self, area: str) -> list[tuple[str, str]]:
        return [(self.tree.name(a), f"areas/{a}/index.html") for a in self.tree.ancestors(area) + [area]]

    def _area_feeds(self, area: str, path: str) -> list[dict]:
        name = self.tree.name(area)
        return [
            dict(type="application/atom+xml", title=f"{name} (Atom)", href=f"{root_for(path)}/areas/{area}/atom.xml"),
            dict(type="application/rss+xml", title=f"{name} (RSS)", href=f"{root_for(path)}/areas/{area}/rss.xml"),
        ]

    # --- the plan ------------------------------------------------------------------------------

    def plan(
        self,
        notices: Catalogue | list[Entry],
        pages: list[NoticePage],
        *,
        now: datetime,
        touch: Touch | None = None,
        editions: dict[str, list[Edition]] | None = None,
        have_qr: set[int] | frozenset[int] = frozenset(),
    ) -> Plan:
        """Every file to write for these pages and this touch (None: the whole site).

        `notices`: every public notice of the site (a list of Entries is a whole-site Catalogue).
        `have_qr`: notices whose QR code file already encodes the right URL (it is made once).
        The caller touches what every changed notice appears in (`touch_for`), expired ones included.
        """
        cat = notices if isinstance(notices, Catalogue) else Catalogue.of(notices, self.tree, self.site.tz, now)
        touch = touch or Touch()
        editions = editions or {}
        files: dict[str, str | bytes] = {}
        for page in pages:
            files[page.path] = self.notice_page(page, now)
            if page.entry.id not in have_qr and page.current_version is None:
                files[qr_path(page.entry.id)] = qr_svg(f"{self.site.url}/{page.entry.path}")
        files["index.html"] = self.home(cat)
        self._feeds(files, "", self.site.title, cat.entries(cat.changed[: feeds.FEED_SIZE]))
        for area in self.tree.areas if touch.areas is None else [a for a in self.tree.areas if a in touch.areas]:
            base = f"areas/{area}"
            files[f"{base}/index.html"] = self.area_page(area, cat, editions.get(area, []))
            self._feeds(
                files,
                f"{base}/",
                f"{self.site.title} – {self.tree.name(area)}",
                cat.entries(cat.changed_in(area, feeds.FEED_SIZE)),
            )
            by_month: dict[str, list[Brief]] = {}
            for b in cat.by_area.get(area, []):
                if touch.months is None or b.month in touch.months:
                    by_month.setdefault(b.month, []).append(b)
            for month, chosen in by_month.items():
                files[f"{base}/{month}.html"] = self.archive_page(area, month, cat.entries(chosen), now)
        files["sitemap.xml"] = indexes.sitemap(self.site, cat.newest, list(self.tree.areas))
        rows = cat.cached.rows() if cat.cached else {}
        fresh = self._lines_for(cat, cat.fresh, now)
        lost = [b for b in cat.newest if b.id not in rows and b.id not in fresh]  # rows search-index.json lacks
        fresh.update(self._lines_for(cat, lost, now))
        self._listing(files, cat, touch, fresh, now)
        files[indexes.SEARCH_PATH] = indexes.search_index(
            [fresh[b.id][1] if b.id in fresh else rows[b.id] for b in cat.newest]
        )
        files["robots.txt"] = f"User-agent: *\nAllow: /\nSitemap: {self.site.url}/sitemap.xml\n"
        for name in STATIC:
            files[f"static/{name}"] = (self.folder / "website" / name).read_bytes()
        return Plan(files, fresh)

    def _lines_for(self, cat: Catalogue, briefs: list[Brief], now: datetime) -> dict[int, tuple[str, bytes]]:
        """The listing line and search row of these notices, made afresh."""
        names: dict = {}
        return {
            e.id: (
                indexes.listing_line(self.site, self.tree, e, now),
                indexes.search_row(self.tree, e, cat.status[e.id], self.site.tz, names),
            )
            for e in cat.entries(briefs)
        }

    def _listing(self, files: dict, cat: Catalogue, touch: Touch, fresh: dict, now: datetime) -> None:
        """The touched months' parts of the JSON listing (newest id first), and its index. A part that holds a
        line made afresh is always written: the private index never remembers a line the site lacks."""
        months = (
            cat.by_month
            if touch.months is None
            else sorted({cat.month[i] for i in fresh} | {m for m in touch.months if m in cat.by_month})
        )
        for month in months:
            ids = sorted((b.id for b in cat.by_month[month]), reverse=True)
            cached = cat.cached.lines([i for i in ids if i not in fresh]) if cat.cached else {}
            if len(cached) + sum(i in fresh for i in ids) < len(ids):  # lines lost: make them again
                fresh.update(
                    self._lines_for(
                        cat, [b for b in cat.by_month[month] if b.id not in cached and b.id not in fresh], now
                    )
                )
            files[indexes.listing_part_path(month)] = indexes.listing_part(
                self.site, month, [fresh[i][0] if i in fresh else cached[i] for i in ids]
            )
        counts = sorted(((m, len(bs)) for m, bs in cat.by_month.items()), reverse=True)
        newest = cat.entries(cat.changed[:1])  # the listing is as of its newest change, not of this run
        files[indexes.LISTING_PATH] = indexes.listing_index(
            self.site, counts, newest[0].updated_at if newest else feeds.QUIET_SINCE
        )

    def _feeds(self, files: dict, base: str, title: str, chosen: list[Entry]) -> None:
        for kind, make in (("atom", feeds.atom), ("rss", feeds.rss)):
            files[f"{base}{kind}.xml"] = make(
                self.site, self.tree, chosen, title=title, self_path=f"{base}{kind}.xml", page_path=f"{base}index.html"
            )

    def touch_for(self, new: Entry, old: Entry | None) -> Touch:
        """The areas and archive month a changed notice appears in, before and after the change."""
        areas: set[str] = set()
        for e in (new, old):
            for a in e.areas if e else ():
                areas |= self.tree.related(a)
        return Touch(areas=areas, months={month_of(e.first_published_at, self.site.tz) for e in (new, old) if e})


class Cached(Protocol):
    """The listing lines and search rows of the previous build (loa.site.memory), for notices whose
    status has not changed since: a publish re-serialises the notices it changes, not ten thousand."""

    def lines(self, ids: list[int]) -> dict[int, str]: ...

    def rows(self) -> dict[int, bytes]: ...


class Catalogue:
    """Every public notice of the site as Briefs, sorted and grouped once per build, so each page takes a
    slice instead of a scan; the full Entries are fetched (`entries`) only for what the pages show.

    `by_area[a]`: the notices area a's page lists (model.AreaTree.related), newest publication first;
    `by_month[m]`: those first published in month m. `written`: the status each notice's cached listing
    line and search row were written with; `fresh`: the notices whose lines must be made afresh (new,
    changed, or their status changed since: an expiry), newest first.
    """

    def __init__(
        self,
        briefs: list[Brief],
        tree: AreaTree,
        now: datetime,
        resolve: Callable[[list[int]], dict[int, Entry]],
        written: dict[int, str] | None = None,
        cached: Cached | None = None,
    ):
        now_us = micros(now)
        self.newest = sorted(briefs, key=_NEWEST, reverse=True)
        self.changed = sorted(briefs, key=_CHANGED, reverse=True)
        self.status = {b.id: b.status(now_us) for b in briefs}
        written = written or {}
        self.fresh = [b for b in self.newest if written.get(b.id) != self.status[b.id]]
        self.cached = cached
        self._resolve = resolve
        self._entries: dict[int, Entry] = {}
        self.pages_of: dict[int, frozenset[str]] = {}
        self.month: dict[int, str] = {}
        self.by_area: dict[str, list[Brief]] = {}
        self.by_month: dict[str, list[Brief]] = {}
        shown_for: dict[tuple[str, ...], frozenset[str]] = {}
        for b in self.newest:
            shown = shown_for.get(b.areas)
            if shown is None:
                shown = shown_for[b.areas] = frozenset().union(*map(tree.related, b.areas))
            self.pages_of[b.id] = shown
            self.month[b.id] = b.month
            for area in shown:
                self.by_area.setdefault(area, []).append(b)
            self.by_month.setdefault(b.month, []).append(b)

    @classmethod
    def of(cls, entries: list[Entry], tree: AreaTree, tz, now: datetime) -> Catalogue:
        """The whole site from its Entries (a full rebuild, the tests): nothing cached, every line fresh."""
        by_id = {e.id: e for e in entries}
        return cls([Brief.of(e, tz) for e in entries], tree, now, lambda ids: {i: by_id[i] for i in ids})

    def entries(self, briefs: list[Brief]) -> list[Entry]:
        """The full Entries of these notices, in order (fetched once each)."""
        missing = [b.id for b in briefs if b.id not in self._entries]
        if missing:
            self._entries.update(self._resolve(missing))
        return [self._entries[b.id] for b in briefs]

    def current(self, briefs: list[Brief]) -> list[Brief]:
        return [b for b in briefs if self.status[b.id] == "current"]

    def changed_in(self, area: str, limit: int) -> list[Brief]:
        """An area feed's entries: the newest changes among the notices its page lists."""
        out = []
        for b in self.changed:
            if area in self.pages_of[b.id]:
                out.append(b)
                if len(out) == limit:
                    break
        return out


_NEWEST = attrgetter("published", "id")
_CHANGED = attrgetter("updated", "id")


def _emergencies(current: list[Brief]) -> list[Brief]:
    return [b for b in current if b.priority == "emergency"]


def areas_key(tree: AreaTree) -> str:
    """Changes when areas.yaml does: then every area page, feed and listing line is rebuilt."""
    text = "\n".join(f"{path}\t{area.name}" for path, area in tree.areas.items())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def write_files(root: Path, files: dict[str, str | bytes]) -> WriteReport:
    """The one writer: each file atomically (temp name + rename); unchanged files are left alone."""
    report = WriteReport()
    for rel, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = root / rel
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                report.unchanged += 1
                continue
        except FileNotFoundError:
            pass
        write_atomic(path, data)
        report.written.append(rel)
    return report
