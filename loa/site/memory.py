"""The incremental build's memory: a private index of the public site, kept beside it in LOA_HOME.

One SQLite file (LOA_HOME/site-memory.sqlite3, outside the served folder) holding every public
notice's Brief (what sorting and grouping need: state, priority, areas, times, archive month) with
the status it was last written with, as one marshal blob (10,000 load in ~15 ms, where fetching
10,000 rows through sqlite3 takes ~25 ms), and each notice's line of the JSON listing as written,
by id. A listing line is also the notice's Entry (Entry.from_json reads it back), so publishing one
notice loads every Brief and only the Entries the touched pages show, and re-serialises only the
notices it changes or whose status changed (an expiry), instead of parsing and rewriting a 10 MB
listing. The search index's rows are read back from the search-index.json it wrote last.

The memory is trusted only while it describes the site on disk. It records the SHA-256 of the
notices.json it was saved with, the site URL, areas.yaml's key and its own format; `open()` returns
None on any mismatch (first run, a wiped or restored site, another site URL or area tree), and then
the caller rebuilds everything from the store. The caller clears the recorded SHA-256 before writing
files and saves after, so a publish that stops halfway is followed by a full rebuild, never by a
publish that trusts half-written state. Every call happens under the site lock (one writer).
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import sqlite3
from pathlib import Path

from loa.site.build import Catalogue, Plan
from loa.site.indexes import LISTING_PATH, SEARCH_PATH, search_rows
from loa.site.model import AreaTree, Brief, Entry

log = logging.getLogger(__name__)

FILE = "site-memory.sqlite3"
FORMAT = f"2/marshal {marshal.version}"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS briefs (one INTEGER PRIMARY KEY CHECK (one = 1), data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS lines (id INTEGER PRIMARY KEY, line TEXT NOT NULL);
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SiteMemory:
    def __init__(self, path: Path, site_root: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.root = site_root
        self.db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._briefs: list[Brief] | None = None
        self._written: dict[int, str] = {}

    @classmethod
    def open(cls, path: Path, site_root: Path, site_url: str, key: str) -> SiteMemory | None:
        """The memory of the site under `site_root`, or None when it does not describe that site."""
        if not path.exists():
            return None
        try:
            memory = cls(path, site_root)
            meta = dict(memory.db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            return None
        try:
            listing = sha256((site_root / LISTING_PATH).read_bytes())
        except OSError:
            listing = None
        if meta != {"format": FORMAT, "site_url": site_url, "areas_key": key, "listing_sha256": listing}:
            memory.close()
            return None
        try:  # every Brief has its line (its Entry)
            intact = len(memory.briefs()) == memory.db.execute("SELECT count(*) FROM lines").fetchone()[0]
        except (ValueError, EOFError, TypeError, sqlite3.DatabaseError):
            intact = False
        if not intact:
            memory.close()
            return None
        return memory

    @classmethod
    def create(cls, path: Path, site_root: Path) -> SiteMemory:
        """An empty memory (a full rebuild fills it); a damaged file is replaced."""
        try:
            memory = cls(path, site_root)
            memory.db.execute("SELECT count(*) FROM lines").fetchone()
            return memory
        except sqlite3.DatabaseError:
            for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
                (path.parent / name).unlink(missing_ok=True)
            return cls(path, site_root)

    def close(self) -> None:
        self.db.close()

    # --- reading ------------------------------------------------------------------------------------

    def briefs(self) -> list[Brief]:
        """Every public notice's Brief, newest first as last saved (loaded once)."""
        if self._briefs is None:
            found = self.db.execute("SELECT data FROM briefs").fetchone()
            rows = marshal.loads(found[0]) if found else []
            self._briefs = [Brief(*row[:-1]) for row in rows]
            self._written = {row[0]: row[-1] for row in rows}
        return self._briefs

    def stale(self, now_us: int) -> list[int]:
        """Notices whose status changed since they were written (they expired): their pages must be redone."""
        return [b.id for b in self.briefs() if b.status(now_us) != self._written[b.id]]

    def entries(self, ids: list[int]) -> dict[int, Entry]:
        return {nid: Entry.from_json(json.loads(line)) for nid, line in self.lines(ids).items()}

    def lines(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(
            self.db.execute(
                "SELECT id, line FROM lines WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
            )
        )

    def rows(self) -> dict[int, bytes]:
        """The search index's rows as last written, by notice id."""
        try:
            return search_rows((self.root / SEARCH_PATH).read_bytes())
        except (OSError, ValueError):
            return {}

    def catalogue(self, tree: AreaTree, tz, now, changed: dict[int, Entry]) -> Catalogue:
        """The site's notices as they are after `changed` (new or republished Entries) replace theirs."""
        briefs = [b for b in self.briefs() if b.id not in changed] + [Brief.of(e, tz) for e in changed.values()]
        written = {k: v for k, v in self._written.items() if k not in changed}

        def resolve(ids: list[int]) -> dict[int, Entry]:
            found = {i: changed[i] for i in ids if i in changed}
            found.update(self.entries([i for i in ids if i not in changed]))
            return found

        return Catalogue(briefs, tree, now, resolve, written, self)

    # --- writing ------------------------------------------------------------------------------------

    def forget_site(self) -> None:
        """Before the site's files are written: until `save`, the memory matches no site."""
        self.db.execute("DELETE FROM meta WHERE key = 'listing_sha256'")

    def save(self, cat: Catalogue, plan: Plan, *, site_url: str, key: str, everything: bool = False) -> None:
        """After the files are written: remember every Brief and the status it was written with, the listing
        lines made afresh, and the notices.json written. `everything`: the plan was a full rebuild."""
        data = plan.files[LISTING_PATH]
        listing = sha256(data.encode("utf-8") if isinstance(data, str) else data)
        briefs = marshal.dumps([(*b, cat.status[b.id]) for b in cat.newest])
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if everything:
                self.db.execute("DELETE FROM lines")
            self.db.executemany(
                "INSERT OR REPLACE INTO lines VALUES (?, ?)", [(nid, line) for nid, (line, _) in plan.fresh.items()]
            )
            self.db.execute("INSERT OR REPLACE INTO briefs VALUES (1, ?)", (briefs,))
            self.db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("site_url", site_url), ("areas_key", key), ("listing_sha256", listing)],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._briefs = None
