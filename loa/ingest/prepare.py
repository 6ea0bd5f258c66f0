"""The CPU-bound half of ingest, and where it runs.

Parsing a feed and understanding its new entries (text, relevance, metadata, one variant per
channel) are pure functions of data: no network, no store. That lets a pass run them in worker
processes (`ParsePool`) while its threads wait on the network and one writer keeps the store,
so a pass over many feeds uses every core instead of one (the GIL would otherwise serialise it).
A small pass runs them in-process: starting workers costs more than it saves.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import lru_cache

from loa.config import Config
from loa.errors import FeedError
from loa.ingest.article import Extracted, merge_meta
from loa.ingest.classify import classify, extract_meta
from loa.ingest.parse import ParsedFeed, parse_feed
from loa.ingest.pdfmeta import PdfError, meta_from_pdf
from loa.ingest.sanitize import html_to_text
from loa.model import Classification, DocumentMeta, Entry
from loa.render import Renderer

log = logging.getLogger(__name__)

# Below this many feeds a pass parses in-process: a worker takes ~1 s to start and import.
POOL_MIN_FEEDS = 16
# The pass's single store writer needs ~0.3 ms per entry against ~0.7 ms of parsing: past about three
# workers it is the bottleneck, and each worker holds ~60 MB.
MAX_WORKERS = 4


LEAD_CHARS = 600  # the opening of an article that stands in for a missing lead (fulltext's "a lead" bound)


@dataclass(frozen=True)
class Understood:
    """One new or changed entry, ready to store: why it is (not) relevant, and for a relevant one
    the channel variants its draft starts from."""

    classification: Classification
    variants: dict[str, str] | None


class Understanding:
    """Relevance rules and renderer of one process, built once from the validated config."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.renderer = make_renderer(cfg)

    def __call__(self, entries: list[Entry], area: str) -> list[Understood]:
        area_names = [self.cfg.area_name(area)]
        out = []
        for entry in entries:
            text = html_to_text(entry.summary_html)
            body = html_to_text(entry.body_html) if entry.body_html else ""
            # Relevance is decided on the headline and the lead, what the weights were fitted and measured on
            # (tests/data/relevance): a whole article adds up many weak procedure words ("chứng thực",
            # "giấy tờ", "trụ sở") and made a citizen-reception schedule "reform". Without a lead, the
            # article's opening stands in for it. The full text then gives the document's facts.
            lead = text or body[:LEAD_CHARS]
            cls = classify(entry.title, lead, self.cfg.relevance)
            if cls.relevant and body:
                cls = replace(cls, meta=extract_meta(entry.title, f"{text} {body}"))  # facts only: no second scoring
            if entry.found_meta:
                cls = replace(cls, meta=merge_meta(cls.meta, entry.found_meta))
            files = tuple((entry.article or {}).get("attachments") or ())
            variants = (
                self.renderer.variants(
                    title=entry.title,
                    summary_html=entry.summary_html,
                    meta=cls.meta,
                    source_url=entry.link,
                    area_names=area_names,
                    text=text,
                    body_html=entry.body_html,
                    files=files,
                )
                if cls.relevant
                else None
            )
            out.append(Understood(cls, variants))
        return out


def make_renderer(cfg: Config) -> Renderer:
    lexicon = cfg.lexicon
    from loa.speech.readaloud import read_aloud

    # The script's greeting and closing lines are the same in every notice: normalise them once.
    @lru_cache(maxsize=1024)
    def say(line: str) -> str:
        return read_aloud(line, lexicon)

    return Renderer(board_max_chars=cfg.board_max_chars, read_aloud=say)


class ParsePool:
    """Runs parse and understand in `processes` worker processes, or in the calling thread when 0.

    Workers start on first use (a pass whose feeds all answer 304 starts none) with the spawn
    method, which is safe beside threads; as with any spawned process, a script that runs a big
    pass must guard its entry point with `if __name__ == "__main__":` (Loa's commands, flows and
    benchmarks do). If a worker dies (a parser crash, the OOM killer), the
    pool is restarted and the job tried once more, so the other feeds in flight are not lost; a
    feed that kills a worker twice fails alone with reason "parser_crashed".
    """

    def __init__(self, cfg: Config, processes: int = 0):
        self.cfg, self.processes = cfg, processes
        self._local: Understanding | None = None
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    @staticmethod
    def size_for(feeds: int) -> int:
        """Worker processes for a pass over `feeds` feeds: one per core this process may use, at most
        MAX_WORKERS; none for a small pass."""
        return min(len(os.sched_getaffinity(0)), MAX_WORKERS) if feeds >= POOL_MIN_FEEDS else 0

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        return self._run(url, _parse, content, url, content_type)

    def extract_page(
        self, content: bytes, url: str, content_type: str | None, lead: str, title: str, want_title: bool
    ) -> Extracted:
        """The main text of a linked article page (loa/ingest/extract.py), or why there is none."""
        return self._run(url, _extract_page, content, url, content_type, lead, title, want_title)

    def read_pdf(self, content: bytes) -> DocumentMeta | str:
        """Number, date and signer from a văn bản's PDF, or why they cannot be read."""
        return self._run("a văn bản PDF", _read_pdf, content)

    def understand(self, url: str, entries: list[Entry], area: str) -> list[Understood]:
        """Classify the entries of feed `url` and render the relevant ones for `area`."""
        if not entries:
            return []
        if not self.processes:
            return self._run(url, self._understanding(), entries, area)
        return self._run(url, _understand, entries, area)

    def _run(self, url: str, job, *args):
        """job(*args) here or in a worker. A FeedError is the feed's; anything else is a bug in Loa,
        reported for this feed alone (with its traceback in the log) so the pass goes on."""
        try:
            return job(*args) if not self.processes else self._in_worker(url, job, *args)
        except FeedError:
            raise
        except Exception as exc:
            log.exception("feed %s: unexpected error while reading it", url)
            raise FeedError(
                url,
                "internal_error",
                f"Loa failed while reading this feed ({type(exc).__name__}: {exc}); "
                "the other feeds went on. Please report it with the feed's URL",
            ) from exc

    def _in_worker(self, url: str, job, *args):
        for _attempt in range(2):
            executor = self._pool()
            try:
                return executor.submit(job, *args).result()
            except BrokenProcessPool:
                self._restart(executor)
        raise FeedError(
            url,
            "parser_crashed",
            "a worker process died twice while reading this feed (a crash or "
            "out of memory); the other feeds went on. Check the feed's size and content",
        )

    def _understanding(self) -> Understanding:
        with self._lock:
            if self._local is None:
                self._local = Understanding(self.cfg)
            return self._local

    def _pool(self) -> Executor:
        with self._lock:
            if self._executor is None:
                log.info("starting %d parse worker processes", self.processes)
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.cfg,),
                )
            return self._executor

    def _restart(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- in the worker processes ------------------------------------------------

_worker: Understanding | None = None


def _start_worker(cfg: Config) -> None:
    global _worker
    _worker = Understanding(cfg)


def _parse(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    return parse_feed(content, url, content_type)


def _understand(entries: list[Entry], area: str) -> list[Understood]:
    assert _worker is not None  # every pool process runs _start_worker first
    return _worker(entries, area)


def _extract_page(
    content: bytes, url: str, content_type: str | None, lead: str, title: str, want_title: bool
) -> Extracted:
    # imported here: trafilatura (~0.09 s CPU) only for a pass that fetches an article page
    from loa.ingest.extract import ExtractError, extract_article

    try:
        a = extract_article(content, url, content_type, lead=lead, title=title, want_title=want_title)
    except ExtractError as exc:
        return Extracted(error=str(exc))
    return Extracted(title=a.title, body_html=a.body_html, text=a.text, attachments=a.attachments)


def _read_pdf(content: bytes) -> DocumentMeta | str:
    try:
        return meta_from_pdf(content)
    except PdfError as exc:
        return str(exc)
