"""Turn the site's context into files: the whole site, or only what one notice touches.

`SiteBuilder.plan()` is pure: Entries and NoticePages in, {relative path: content} out. The one
writer, `write_files()`, writes each file to a temporary name and renames it (loa.files), and
leaves a file alone when its bytes have not changed, so unchanged pages keep their dates and
a deploy by rsync copies only what changed.

A notice for area X appears on the pages of X, of the areas above X and of the areas below it
(model.AreaTree.related), so publishing it rewrites: its own page (and its older versions'
pages, which link to it), the home page and site feeds, those areas' pages, feeds and the
archive month it is filed under, the sitemap, the JSON listing and the search index.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from loa.files import write_atomic
from loa.render import TEMPLATES, make_env, vi_date, vi_short_date
from loa.site import feeds, indexes
from loa.site.model import (LISTING_SCHEMA, LISTING_VERSION, PRIORITY_LABELS, STATUS_LABELS, AreaTree, Edition,
                            Entry, NoticePage, SiteInfo)
from loa.site.qr import qr_svg

LIST_SIZE = 50  # current notices listed on the home page and each area page; the rest are in the archives
STATIC = ("site.css", "search.js", "notice.js")


def root_for(path: str) -> str:
    """The relative way back to the site root from a page, so the site works under any prefix."""
    depth = path.count("/")
    return "/".join([".."] * depth) if depth else "."


def month_of(entry: Entry, tz) -> str:
    local = entry.first_published_at.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def qr_path(notice_id: int) -> str:
    return f"notices/{notice_id}.qr.svg"


@dataclass
class Touch:
    """What one publish changes; None in a field means everything (a full rebuild)."""

    areas: set[str] | None = None
    months: set[str] | None = None


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0


def site_env(site: SiteInfo, tree: AreaTree, folder: Path = TEMPLATES) -> Environment:
    env = make_env(folder)

    def local(value):
        return value.astimezone(site.tz) if isinstance(value, datetime) and value.tzinfo else value

    env.filters["vi_date"] = lambda v: vi_date(local(v))
    env.filters["vi_short_date"] = lambda v: vi_short_date(local(v))
    env.filters["iso"] = lambda v: v.isoformat(timespec="seconds") if v else ""
    env.filters["area_name"] = tree.name
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["priority_label"] = lambda p: PRIORITY_LABELS.get(p, p)
    env.filters["month_label"] = lambda m: f"tháng {int(m[5:])}/{m[:4]}"
    env.filters["title_case_first"] = lambda text: text[:1].upper() + text[1:]
    env.filters["css_string"] = _css_string
    env.globals.update(site_title=site.title, site_url=site.url)
    return env


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
        site_feeds = [dict(type="application/atom+xml", title=f"{self.site.title} (Atom)", href=f"{root_for(path)}/atom.xml"),
                      dict(type="application/rss+xml", title=f"{self.site.title} (RSS)", href=f"{root_for(path)}/rss.xml")]
        ctx.setdefault("feeds", site_feeds)
        ctx.setdefault("jsonld", None)
        ctx.setdefault("breadcrumbs", [])
        return self.env.get_template(f"website/{template}").render(
            root=root_for(path), canonical=f"{self.site.url}/{path}", **ctx)

    def notice_page(self, page: NoticePage, now: datetime) -> str:
        e = page.entry
        return self._render(
            "notice.html", page.path, page=page, notice=e, status=e.status(now), body=page.body_html,
            jsonld=indexes.notice_jsonld(self.site, self.tree, page, now),
            breadcrumbs=self._crumbs(e.areas[0]) if e.areas else [])

    def home(self, cat: "Catalogue") -> str:
        current = [e for e in cat.newest if cat.status[e.id] == "current"]
        return self._render("index.html", "index.html", emergencies=_emergencies(current),
                            notices=current[:LIST_SIZE], more=max(0, len(current) - LIST_SIZE),
                            tree=self.tree, jsonld=indexes.website_jsonld(self.site))

    def area_page(self, area: str, cat: "Catalogue", editions: list[Edition]) -> str:
        path = f"areas/{area}/index.html"
        mine = cat.by_area.get(area, [])
        current = [e for e in mine if cat.status[e.id] == "current"]
        months = sorted({cat.month[e.id] for e in mine}, reverse=True)
        return self._render(
            "area.html", path, area=area, area_name=self.tree.name(area), emergencies=_emergencies(current),
            notices=current[:LIST_SIZE], more=max(0, len(current) - LIST_SIZE), months=months,
            children=self.tree.children.get(area, []), editions=editions, feeds=self._area_feeds(area, path),
            breadcrumbs=self._crumbs(area)[:-1])

    def archive_page(self, area: str, month: str, entries: list[Entry], now: datetime) -> str:
        path = f"areas/{area}/{month}.html"
        chosen = sorted(entries, key=lambda e: (e.first_published_at, e.id), reverse=True)
        return self._render("archive.html", path, area=area, area_name=self.tree.name(area), month=month,
                            notices=chosen, now=now, feeds=self._area_feeds(area, path),
                            breadcrumbs=self._crumbs(area))

    def _crumbs(self, area: str) -> list[tuple[str, str]]:
        return [(self.tree.name(a), f"areas/{a}/index.html") for a in self.tree.ancestors(area) + [area]]

    def _area_feeds(self, area: str, path: str) -> list[dict]:
        name = self.tree.name(area)
        return [dict(type="application/atom+xml", title=f"{name} (Atom)", href=f"{root_for(path)}/areas/{area}/atom.xml"),
                dict(type="application/rss+xml", title=f"{name} (RSS)", href=f"{root_for(path)}/areas/{area}/rss.xml")]

    # --- the plan ------------------------------------------------------------------------------

    def plan(self, entries: list[Entry], pages: list[NoticePage], *, now: datetime, touch: Touch | None = None,
             editions: dict[str, list[Edition]] | None = None, have_qr: set[int] = frozenset(),
             memory: "Memory | None" = None) -> dict[str, str | bytes]:
        """Every file to write for these pages and this touch (None: the whole site).

        `have_qr`: notices whose QR code file already encodes the right URL (it is made once).
        `memory`: the previous build's listing and search lines, reused for unchanged notices.
        """
        touch = touch or Touch()
        editions = editions or {}
        cat = Catalogue(entries, self.tree, self.site.tz, now)
        files: dict[str, str | bytes] = {}
        for page in pages:
            files[page.path] = self.notice_page(page, now)
            if page.entry.id not in have_qr and page.current_version is None:
                files[qr_path(page.entry.id)] = qr_svg(f"{self.site.url}/{page.entry.path}")
        files["index.html"] = self.home(cat)
        self._feeds(files, "", self.site.title, cat.changed[:feeds.FEED_SIZE], now)
        for area in self.tree.areas if touch.areas is None else [a for a in self.tree.areas if a in touch.areas]:
            base = f"areas/{area}"
            files[f"{base}/index.html"] = self.area_page(area, cat, editions.get(area, []))
            self._feeds(files, f"{base}/", f"{self.site.title} – {self.tree.name(area)}",
                        cat.changed_in(area, feeds.FEED_SIZE), now)
            by_month: dict[str, list[Entry]] = {}
            for e in cat.by_area.get(area, []):
                month = cat.month[e.id]
                if touch.months is None or month in touch.months:
                    by_month.setdefault(month, []).append(e)
            for month, chosen in by_month.items():
                files[f"{base}/{month}.html"] = self.archive_page(area, month, chosen, now)
        files["sitemap.xml"] = indexes.sitemap(self.site, cat.newest, list(self.tree.areas))
        files["notices.json"] = indexes.listing(self.site, self.tree, entries, now, areas_key(self.tree),
                                                memory.listing if memory else None)
        files["search-index.json"] = indexes.search_index(self.tree, cat.newest, cat.status, self.site.tz,
                                                          memory.search if memory else None)
        files["robots.txt"] = f"User-agent: *\nAllow: /\nSitemap: {self.site.url}/sitemap.xml\n"
        for name in STATIC:
            files[f"static/{name}"] = (self.folder / "website" / name).read_bytes()
        return files

    def _feeds(self, files: dict, base: str, title: str, chosen: list[Entry], now: datetime) -> None:
        for kind, make in (("atom", feeds.atom), ("rss", feeds.rss)):
            files[f"{base}{kind}.xml"] = make(self.site, self.tree, chosen, title=title, self_path=f"{base}{kind}.xml",
                                              page_path=f"{base}index.html", now=now)

    def touch_for(self, new: Entry, old: Entry | None) -> Touch:
        """The areas and archive month a changed notice appears in, before and after the change."""
        areas: set[str] = set()
        for e in (new, old):
            for a in e.areas if e else ():
                areas |= self.tree.related(a)
        return Touch(areas=areas, months={month_of(new, self.site.tz)} | ({month_of(old, self.site.tz)} if old else set()))


class Catalogue:
    """The entries sorted and grouped once per build, so each page takes a slice instead of a scan.

    `by_area[a]`: the entries area a's page lists (model.AreaTree.applies), newest publication first.
    """

    def __init__(self, entries: list[Entry], tree: AreaTree, tz, now: datetime):
        self.newest = sorted(entries, key=lambda e: (e.published_at, e.id), reverse=True)
        self.changed = sorted(entries, key=lambda e: (e.updated_at, e.id), reverse=True)
        self.status = {e.id: e.status(now) for e in entries}
        self.month = {e.id: month_of(e, tz) for e in entries}
        self.pages_of: dict[int, frozenset[str]] = {}
        self.by_area: dict[str, list[Entry]] = {}
        for e in self.newest:
            shown = tree.related(e.areas[0]) if len(e.areas) == 1 else frozenset().union(*map(tree.related, e.areas))
            self.pages_of[e.id] = shown
            for area in shown:
                self.by_area.setdefault(area, []).append(e)

    def changed_in(self, area: str, limit: int) -> list[Entry]:
        """An area feed's entries: the newest changes among the notices its page lists."""
        out = []
        for e in self.changed:
            if area in self.pages_of[e.id]:
                out.append(e)
                if len(out) == limit:
                    break
        return out


def _emergencies(current: list[Entry]) -> list[Entry]:
    return [e for e in current if e.priority == "emergency"]


def areas_key(tree: AreaTree) -> str:
    """Changes when areas.yaml does: then every area page, feed and listing line is rebuilt."""
    text = "\n".join(f"{path}\t{area.name}" for path, area in tree.areas.items())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Memory:
    """What an incremental publish knows of the site without asking the store: every Entry (read back
    from notices.json) and the previous build's listing and search-index lines, by notice id."""

    entries: dict[int, Entry]
    listing: dict[int, str]
    search: dict[int, str]

    def replace(self, entry: Entry) -> Entry | None:
        self.listing.pop(entry.id, None)
        self.search.pop(entry.id, None)
        old, self.entries[entry.id] = self.entries.get(entry.id), entry
        return old


def read_memory(root: Path, site_url: str, key: str | None = None) -> Memory | None:
    """None when notices.json is missing, unreadable, of another schema version, made for another site
    URL or another areas.yaml (`key`): then the caller rebuilds the whole site."""
    try:
        text = (root / "notices.json").read_text(encoding="utf-8")
        data = json.loads(text)
        if (data.get("schema"), data.get("schema_version")) != (LISTING_SCHEMA, LISTING_VERSION):
            return None
        if data["site"]["url"] != site_url or (key is not None and data.get("areas_key") != key):
            return None
        notices = data["notices"]
        entries = {d["id"]: Entry.from_json(d) for d in notices}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    lines = indexes.cached_lines(text)
    listing = {d["id"]: line for d, line in zip(notices, lines)} if len(lines) == len(notices) else {}
    search: dict[int, str] = {}
    try:
        index = (root / "search-index.json").read_text(encoding="utf-8")
        if f'"schema_version":2,"fields":{json.dumps(indexes.SEARCH_FIELDS, separators=(",", ":"))}' in index[:200]:
            search = {int(line[1:line.index(",")]): line for line in indexes.cached_lines(index)}
    except (OSError, ValueError):
        pass
    return Memory(entries, listing, search)


def read_listing(root: Path, site_url: str, key: str | None = None) -> dict[int, Entry] | None:
    memory = read_memory(root, site_url, key)
    return memory.entries if memory else None


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
