"""One feed, one pass: fetch → parse → what changed? → classify and render what did → store.

`ingest_feed` never raises for a bad feed: the failure comes back in the report (and is
recorded as feed health), so one broken feed never stops a pass. Nothing from a feed that
failed to fetch or parse is stored; what a good feed brings is stored in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

import requests
from sqlalchemy.exc import SQLAlchemyError

from loa.config import Config, Feed
from loa.errors import FeedError
from loa.ingest.article import ArticleReader
from loa.ingest.fetch import FetchLimits, HostSlots, fetch, make_session
from loa.ingest.prepare import ParsePool, Understood
from loa.model import Entry
from loa.store import Store

log = logging.getLogger(__name__)


@dataclass
class FeedReport:
    url: str
    name: str
    status: str  # "ok" | "not_modified" | "failed"
    entries: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    drafted: list[int] = field(default_factory=list)  # notice ids with a new draft version
    # per draft: {"document_id", "document_version", "notice_id", "notice_version"} of a new or amended reform document
    documents: list[dict] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None
    consecutive_failures: int = 0
    # items left out on purpose: {"title", "link", "reason"} (a video or a gallery with no text)
    skipped: list[dict] = field(default_factory=list)
    articles: int = 0  # linked pages read for the full text of new entries
    warnings: list[str] = field(default_factory=list)  # per entry, as stored with the document

    def as_dict(self) -> dict:
        return asdict(self)


def scoped_identity(entry: Entry, feed_url: str) -> Entry:
    """URL and content-hash identities are global (one document seen in two feeds is one document);
    an opaque GUID such as "qd-512" is only unique within its feed, so it is scoped to the feed."""
    if entry.identity.startswith(("https://", "sha256:")):
        return entry
    return replace(entry, identity=f"{feed_url}#{entry.identity}")


def host_of(url: str) -> str:
    return urlsplit(url).hostname or "local files"


def ingest_many(
    store: Store,
    cfg: Config,
    feeds: list[Feed],
    *,
    threads: int = 16,
    per_host: int = 2,
    limits: FetchLimits = FetchLimits(),
    on_done: Callable[[FeedReport], None] | None = None,
    pool: ParsePool | None = None,
) -> list[FeedReport]:
    """Poll many feeds at once without blocking on the slowest, at most `per_host` fetches at a time
    per host (politeness towards small government servers). Parsing, classifying and rendering go
    to `pool` (by default one sized for the pass). Reports come back in the order of `feeds`."""
    own_pool = pool is None
    pool = pool or ParsePool(cfg, ParsePool.size_for(len(feeds)))
    session = make_session()
    hosts = HostSlots(per_host)

    def one(feed: Feed) -> FeedReport:
        report = ingest_feed(store, cfg, feed, pool=pool, session=session, limits=limits, hosts=hosts)
        if on_done:
            on_done(report)
        return report

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(feeds)))) as executor:
            return list(executor.map(one, feeds))
    finally:
        session.close()
        if own_pool:
            pool.close()


def ingest_feed(
    store: Store,
    cfg: Config,
    feed: Feed,
    *,
    pool: ParsePool | None = None,
    session: requests.Session | None = None,
    limits: FetchLimits = FetchLimits(),
    hosts: HostSlots | None = None,
) -> FeedReport:
    """One feed. Its host's slot (`hosts`) is held while fetching only, so the host's next feed is
    fetched while this one is parsed; linked article pages take their own host's slot."""
    hosts = hosts or HostSlots()
    if feed.kind == "cap":  # CAP alert feeds have their own reader (loa/ingest/cap_feed.py)
        from loa.ingest.cap_feed import ingest_cap_feed

        with hosts(feed.url):
            return ingest_cap_feed(store, cfg, feed, session=session, limits=limits)
    report = FeedReport(url=feed.url, name=feed.name, status="ok")
    pool = pool or ParsePool(cfg)
    etag, last_modified = store.feed_validators(feed.url)
    try:
        with hosts(feed.url):
            fetched = fetch(feed.url, etag=etag, last_modified=last_modified, session=session, limits=limits)
        if fetched.not_modified:
            store.record_feed_success(feed.url, name=feed.name, not_modified=True)
            report.status = "not_modified"
            return report
        parsed = pool.parse(fetched.content, fetched.final_url, fetched.content_type)
        entries = [scoped_identity(e, feed.url) for e in parsed.entries]
        # what changed? Only texts the store has never seen are classified, rendered and stored.
        known = store.known_texts([e.identity for e in entries])
        fresh = list(
            {
                (e.identity, e.content_hash): e for e in entries if e.content_hash not in known.get(e.identity, ())
            }.values()
        )
        # only new texts: a page is read once per change of its entry, not on every pass
        reader = ArticleReader(
            session=session, limits=limits, hosts=hosts, extract_page=pool.extract_page, read_pdf=pool.read_pdf
        )
        fresh = reader.complete(
            fresh, feed.fetch_article, store.previous_articles([e.identity for e in fresh]), feed_url=feed.url
        )
        understood: list[Understood] = pool.understand(feed.url, fresh, feed.area)
        changes, drafted = store.record_poll(
            feed.url,
            name=feed.name,
            title=parsed.title,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            items=[(e, u.classification, u.variants) for e, u in zip(fresh, understood)],
            areas=cfg.expand([feed.area]),
        )  # a grouping drafts for each of its communes
    except FeedError as exc:
        return _failed(store, report, feed, exc)
    except SQLAlchemyError as exc:
        # e.g. a value the database refuses; nothing of the feed was stored (one transaction)
        cause = getattr(exc, "orig", None) or exc
        return _failed(
            store,
            report,
            feed,
            FeedError(
                feed.url,
                "store_error",
                f"its entries could not be stored ({type(exc).__name__}: {cause}); "
                "nothing of it was kept and it is read again next pass",
                True,
            ),
        )
    report.skipped = [{"title": k.title, "link": k.link, "reason": k.reason} for k in parsed.skipped]
    report.articles = sum(1 for e in fresh if (e.article or {}).get("url"))  # pages fetched
    report.warnings = [f"{e.title}: {w}" for e in fresh for w in e.warnings]
    report.documents = [asdict(d) for d in drafted]
    report.drafted = list(dict.fromkeys(d.notice_id for d in drafted))
    report.entries = len(entries)
    report.unchanged = len(entries) - len(changes)
    for change in changes:
        setattr(report, change.kind, getattr(report, change.kind) + 1)
    return report


def _failed(store: Store, report: FeedReport, feed: Feed, exc: FeedError) -> FeedReport:
    report.status, report.reason, report.error = "failed", exc.reason, str(exc)
    log.warning("%s", exc)
    report.consecutive_failures = store.record_feed_failure(feed.url, name=feed.name, reason=exc.reason, error=str(exc))
    return report
