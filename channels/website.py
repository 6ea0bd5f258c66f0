"""The website: static files under LOA_HOME/site, served by `loa run` or any web server.

This channel gathers the context from the store and the disk (audio files, bulletin PDFs) and
hands it to loa.site, which plans the files; one writer writes them atomically. Publishing a
notice is incremental: the site's private index (loa.site.memory, LOA_HOME/site-memory.sqlite3)
knows every public notice, so only the touched pages are rendered and only that notice (and any
that expired since the last publish) is loaded from the store. A missing index, or one that does
not describe the site on disk (first run, a wiped site, another site URL), makes it rebuild the
whole site.

Pages: notices/<id>.html is always a notice's current public version; each older public version
keeps its own page, notices/<id>/v<n>.html, marked as replaced and linking to the current one.
Withdrawn notices keep their page, marked withdrawn; they are never deleted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from channels.base import failed
from loa import clock
from loa.config import Config
from loa.errors import NotFound
from loa.files import locked
from loa.layout import notice_page
from loa.model import DeliveryResult, NoticeState, NoticeView
from loa.publishing import machine
from loa.publishing.machine import PUBLIC_STATES
from loa.signing import Signer, publish_key
from loa.site import qr
from loa.site.build import Catalogue, Plan, SiteBuilder, Touch, WriteReport, areas_key, qr_path, write_files
from loa.site.bulletin import editions_on_disk
from loa.site.context import entry_from_view
from loa.site.indexes import LISTING_PATH
from loa.site.memory import SiteMemory
from loa.site.model import AreaTree, Audio, Entry, LanguageText, NoticePage, SiteInfo, micros
from loa.store import Store
from loa.store.site import all_language_variants, language_variants

log = logging.getLogger(__name__)


@dataclass
class PublicNotice:
    """A notice's public versions: the current one (live or withdrawn) and the older ones it replaced."""

    current: NoticeView
    older: list[NoticeView]
    withdrawn_at: datetime | None = None


class Website:
    name = "website"
    # the page links the radio audio: written once radio is done, whatever its outcome
    after: tuple[str, ...] = ("radio",)
    broker = False

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.root = cfg.layout.site
        self.site = SiteInfo(cfg.site_title, cfg.site_url, cfg.tz)
        self.tree = AreaTree(cfg.areas)
        self.builder = SiteBuilder(self.site, self.tree)
        self._audio_dir = cfg.layout.audio
        self._memory_path = cfg.layout.site_memory
        self.languages = sorted({lang for s in cfg.stations for lang in s.languages} - {"vi"})

    def targets(self, notice: NoticeView) -> list[str]:
        return ["site"]

    def url_for(self, notice: NoticeView) -> str:
        return f"{self.cfg.site_url}/{notice_page(notice.id)}"

    # --- the channel interface -----------------------------------------------------------------

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._deliver(notice, targets)

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._deliver(notice, targets)  # the page stays, marked withdrawn; current lists drop it

    def describe(self) -> dict:
        return {"channel": self.name, "root": str(self.root), "site_url": self.cfg.site_url}

    def _deliver(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        try:
            report = self.publish(notice.id)
        except OSError as exc:
            detail = f"writing the website under {self.root} failed: {exc}; check disk space and permissions"
            return [failed(self.name, t, detail) for t in targets]
        detail = f"{self.url_for(notice)} ({len(report.written)} files written, {report.unchanged} unchanged)"
        return [DeliveryResult(self.name, t, True, detail) for t in targets]

    # --- publishing --------------------------------------------------------------------------

    def publish(self, notice_id: int, now: datetime | None = None) -> WriteReport:
        """Rewrite what one notice touches: its pages, the home page, its areas' pages and feeds, the indexes."""
        return self._update(now or clock.now(), [notice_id])

    def rebuild(self, now: datetime | None = None) -> WriteReport:
        """Rebuild the whole site from the store (`loa site rebuild`): after a template or config change."""
        with self._lock():
            return self._rebuild(now or clock.now())

    def refresh_areas(self, areas: list[str], now: datetime | None = None) -> WriteReport:
        """Re-render these areas' pages (their bulletin PDFs changed); everything else is left as it is."""
        return self._update(now or clock.now(), [], areas)

    def refresh(self, now: datetime | None = None) -> WriteReport:
        """Bring the site up to `now` (the `site-refresh` deployment): notices that expired since they were
        written leave the current lists and are marked on their pages. Writes nothing when none did."""
        return self._update(now or clock.now(), [])

    def _update(self, now: datetime, ids: list[int], areas: Sequence[str] = ()) -> WriteReport:
        """Republish these notices, and any whose status changed since it was written, and re-render `areas`."""
        with self._lock():
            memory = SiteMemory.open(self._memory_path, self.root, self.site.url, areas_key(self.tree))
            if memory is None:
                return self._rebuild(now)
            try:
                ids = list(dict.fromkeys([*ids, *memory.stale(micros(now))]))
                known = memory.entries(ids)
                changed: dict[int, Entry] = {}
                pages: list[NoticePage] = []
                touch = Touch(areas=set(areas), months=set())
                for public in filter(None, map(self._public, ids)):
                    old = known.get(public.current.id)
                    entry, notice_pages = self._pages(public, old.first_published_at if old else None)
                    changed[entry.id] = entry
                    pages += notice_pages
                    touch |= self.builder.touch_for(entry, old)
                if not changed and not areas:
                    return WriteReport()
                cat = memory.catalogue(self.tree, self.site.tz, now, changed)
                plan = self.builder.plan(
                    cat,
                    pages,
                    now=now,
                    touch=touch,
                    editions=self._editions(),
                    have_qr={i for i in changed if self._qr_current(i)},
                )
                report = self._write(cat, plan, memory)
                report.republished = list(changed.values())
                return report
            finally:
                memory.close()

    def _rebuild(self, now: datetime) -> WriteReport:
        from loa.store.boards import boards

        same_site = self._listed_site_url() == self.site.url  # QR codes encode the site URL only
        # bulk reads instead of one query per notice: language variants, and acks only if a board exists
        self._with_boards, self._texts = bool(boards(self.store)), all_language_variants(self.store)
        self._audio_files = set(os.listdir(self._audio_dir)) if self._audio_dir.is_dir() else set()
        entries, pages = [], []
        try:
            for public in self._all_public():
                entry, notice_pages = self._pages(public, None)
                entries.append(entry)
                pages += notice_pages
        finally:
            self._with_boards, self._texts, self._audio_files = True, None, None
        have_qr = self._qr_files() if same_site else set()
        cat = Catalogue.of(entries, self.tree, self.site.tz, now)
        plan = self.builder.plan(cat, pages, now=now, editions=self._editions(), have_qr=have_qr)
        memory = SiteMemory.create(self._memory_path, self.root)
        try:
            return self._write(cat, plan, memory, everything=True)
        finally:
            memory.close()

    def _write(self, cat: Catalogue, plan: Plan, memory: SiteMemory, everything: bool = False) -> WriteReport:
        memory.forget_site()  # a publish that stops halfway is followed by a full rebuild
        report = write_files(self.root, plan.files)
        memory.save(cat, plan, site_url=self.site.url, key=areas_key(self.tree), everything=everything)
        if not self.cfg.layout.public_key.exists():  # boards fetch the public key from the site too
            publish_key(Signer.load_or_create(self.cfg.layout.signing_key), self.cfg.layout.public_key)
        return report

    def _listed_site_url(self) -> str | None:
        """The site URL the public listing on disk was made for (None: no readable listing)."""
        try:
            return json.loads((self.root / LISTING_PATH).read_text(encoding="utf-8"))["site"]["url"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _lock(self):
        return locked(self.cfg.home, "site")

    # --- context from the store and the disk -----------------------------------------------------

    def _public(self, notice_id: int) -> PublicNotice | None:
        try:
            latest = self.store.notice(notice_id)
        except NotFound:
            return None
        views = [latest] + [self.store.notice(notice_id, v) for v in range(latest.version - 1, 0, -1)]
        return self._public_from(views)

    def _public_from(self, views: list[NoticeView]) -> PublicNotice | None:
        """Newest first in, the public versions out: only versions an editor approved ever reach the site,
        and none before its publish time (an embargoed new version leaves the one it replaces in place)."""
        approved = [v for v in views if v.approved_by and machine.is_due(v.priority, v.publish_at)]
        current = next((v for v in approved if v.state in PUBLIC_STATES | {NoticeState.SUPERSEDED}), None)
        if current is None:
            return None
        if current.state == NoticeState.SUPERSEDED:  # replaced by a version still under embargo: still current
            current = replace(current, state=NoticeState.PUBLISHED)
        older = [v for v in approved if v.state == NoticeState.SUPERSEDED and v.version < current.version]
        withdrawn_at = None
        if current.state == NoticeState.WITHDRAWN:
            acts = [
                a for a in self.store.actions(current.id) if a.action == "withdraw" and a.version == current.version
            ]
            withdrawn_at = acts[-1].at if acts else None
        return PublicNotice(current, older, withdrawn_at)

    def _all_public(self):
        """Every notice with a public version, loaded in a few queries (a full rebuild)."""
        everything = 10**9
        older: dict[int, list[NoticeView]] = {}
        for v in self.store.notices(NoticeState.SUPERSEDED, limit=everything):
            if v.approved_by:
                older.setdefault(v.id, []).append(v)
        for latest in self.store.notices(limit=everything):
            if latest.approved_by and latest.state in PUBLIC_STATES:
                views = [latest] + sorted(older.get(latest.id, []), key=lambda v: -v.version)
            else:  # a newer draft or rejection on top of a public version: look below it
                views = [latest] + [self.store.notice(latest.id, v) for v in range(latest.version - 1, 0, -1)]
            public = self._public_from(views)
            if public is not None:
                yield public

    def _pages(self, public: PublicNotice, first_published_at: datetime | None) -> tuple[Entry, list[NoticePage]]:
        cur = public.current
        versions = tuple(sorted(v.version for v in public.older))
        firsts = [v.approved_at for v in public.older if v.approved_at] + (
            [first_published_at] if first_published_at else []
        )
        entry = entry_from_view(
            cur,
            first_published_at=min(firsts) if firsts else None,
            withdrawn_at=public.withdrawn_at,
            versions=versions,
            audio=self._audio(cur, "vi"),
        )
        pages = [self._page(cur, entry, None)]
        for old in public.older:
            old_entry = entry_from_view(
                old, first_published_at=entry.first_published_at, versions=versions, audio=self._audio(old, "vi")
            ).superseded()
            pages.append(self._page(old, old_entry, cur.version))
        return entry, pages

    def _page(self, view: NoticeView, entry: Entry, current_version: int | None) -> NoticePage:
        audio = tuple(Audio(lang, url) for lang in ["vi", *self.languages] if (url := self._audio(view, lang)))
        found = (
            self._texts.get((view.id, view.version), {})
            if self._texts is not None
            else language_variants(self.store, view.id, view.version)
        )
        texts = tuple(LanguageText(lang, body) for lang, body in found.items())
        return NoticePage(
            entry,
            view.variants.get("website") or view.summary_html,
            audio,
            texts,
            current_version,
            self._acks(view) if current_version is None else None,
        )

    def _audio(self, view: NoticeView, language: str) -> str | None:
        path = self.cfg.layout.audio_file(view, language)
        exists = path.name in self._audio_files if self._audio_files is not None else path.exists()
        return f"/radio/audio/{path.name}" if exists else None

    _with_boards = True
    _texts: dict | None = None  # language variants preloaded for a full rebuild
    _audio_files: set[str] | None = None  # and the radio audio folder, listed once

    def _acks(self, view: NoticeView) -> tuple[int, int] | None:
        """'N of M boards acknowledged' (loa.store.boards, issue 5) when the page is written; none when no
        board is targeted. On a page served by `loa run`, static/notice.js refreshes it from /boards/acks/."""
        from loa.store.boards import ack_counts

        if not self._with_boards or view.state is NoticeState.WITHDRAWN:  # boards cleared it: nothing to count
            return None
        counts = ack_counts(self.store, view.id, view.version)
        return (counts.acknowledged, counts.boards) if counts.boards else None

    def _editions(self) -> dict[str, list]:
        folder = self.root / "print"
        if not folder.is_dir():
            return {}
        return {area: eds for area in self.tree.areas if (eds := editions_on_disk(folder, area, self.site.tz))}

    def _qr_current(self, notice_id: int) -> bool:
        try:
            text = (self.root / qr_path(notice_id)).read_text(encoding="utf-8")
        except OSError:
            return False
        return qr.is_current(text, f"{self.site.url}/{notice_page(notice_id)}")

    def _qr_files(self) -> set[int]:
        try:
            names = os.listdir(self.root / "notices")
        except OSError:
            return set()
        return {int(n.split(".")[0]) for n in names if n.endswith(".qr.svg") and n.split(".")[0].isdigit()}
