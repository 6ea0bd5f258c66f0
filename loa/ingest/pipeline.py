"""One feed, one pass: fetch → parse → what changed? → classify → draft notices.

`ingest_feed` never raises for a bad feed: the failure comes back in the
report (and is recorded as feed health), so one broken feed never stops a pass.
Nothing from a feed that failed to fetch or parse is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

import requests

from loa.config import Config, Feed
from loa.errors import FeedError
from loa.ingest.classify import classify
from loa.ingest.fetch import FetchLimits, fetch, make_session
from loa.ingest.parse import parse_feed
from loa.ingest.sanitize import html_to_text
from loa.model import Entry
from loa.render import Renderer
from loa.store import Draft, Store


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
    reason: str | None = None
    error: str | None = None
    consecutive_failures: int = 0

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


def ingest_many(store: Store, cfg: Config, feeds: list[Feed], *, workers: int = 16, per_host: int = 2,
                limits: FetchLimits = FetchLimits(), on_done: Callable[[FeedReport], None] | None = None,
                ) -> list[FeedReport]:
    """Poll many feeds at once without blocking on the slowest, at most `per_host` at a time per host
    (politeness towards small government servers). Reports come back in the order of `feeds`."""
    renderer, session = make_renderer(cfg), make_session()
    hosts: dict[str, threading.Semaphore] = {}
    for feed in feeds:
        hosts.setdefault(host_of(feed.url), threading.Semaphore(per_host))

    def one(feed: Feed) -> FeedReport:
        with hosts[host_of(feed.url)]:
            report = ingest_feed(store, cfg, feed, renderer, session=session, limits=limits)
        if on_done:
            on_done(report)
        return report

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(feeds)))) as pool:
        return list(pool.map(one, feeds))


def make_renderer(cfg: Config) -> Renderer:
    lexicon = cfg.lexicon
    from loa.speech.readaloud import read_aloud

    return Renderer(board_max_chars=cfg.board_max_chars, read_aloud=lambda line: read_aloud(line, lexicon))


def ingest_feed(store: Store, cfg: Config, feed: Feed, renderer: Renderer, *,
                session: requests.Session | None = None, limits: FetchLimits = FetchLimits()) -> FeedReport:
    report = FeedReport(url=feed.url, name=feed.name, status="ok")
    etag, last_modified = store.feed_validators(feed.url)
    try:
        fetched = fetch(feed.url, etag=etag, last_modified=last_modified, session=session, limits=limits)
        if fetched.not_modified:
            store.record_feed_success(feed.url, name=feed.name, not_modified=True)
            report.status = "not_modified"
            return report
        parsed = parse_feed(fetched.content, fetched.final_url, fetched.content_type)
    except FeedError as exc:
        report.status, report.reason, report.error = "failed", exc.reason, str(exc)
        report.consecutive_failures = store.record_feed_failure(
            feed.url, name=feed.name, reason=exc.reason, error=str(exc))
        return report

    report.entries = len(parsed.entries)
    texts = [html_to_text(e.summary_html) for e in parsed.entries]
    # classify also extracts the document metadata
    classified = [(scoped_identity(e, feed.url), classify(e.title, t, cfg.relevance))
                  for e, t in zip(parsed.entries, texts)]
    drafts = []
    for (entry, cls), change in zip(classified, store.record_entries(feed.url, classified)):
        setattr(report, change.kind, getattr(report, change.kind) + 1)
        if change.kind == "unchanged" or not cls.relevant:
            continue
        variants = renderer.variants(title=entry.title, summary_html=entry.summary_html, meta=cls.meta,
                                     source_url=entry.link, area_names=[cfg.area_name(feed.area)])
        drafts.append(Draft(change.document_version_id, [feed.area], variants))
    report.drafted = [notice_id for notice_id, _ in store.draft_notices(drafts)]
    store.record_feed_success(feed.url, name=feed.name, title=parsed.title,
                              etag=fetched.etag, last_modified=fetched.last_modified)
    return report
