"""Fetching one feed: bounded in time, size and redirects, polite, and never trusting the server.

Every way a fetch can fail becomes a FeedError with a short `reason` tag and a
sentence saying what to do. A feed can never take longer than `deadline` seconds
in all (retries and a slow-drip body included) nor hold more than `max_bytes` of
body in memory: the body is streamed, and each socket read waits at most for the
time that is left.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests
import urllib3

from loa.errors import FeedError
from loa.ingest.parse import looks_like_html

log = logging.getLogger(__name__)

_CHUNK = 16 * 1024  # also bounds what one read may inflate to from a gzip body
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_PAGE_ACCEPT = "text/html, application/xhtml+xml, application/pdf;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # longest wait for any one read
    deadline: float = 30.0  # total seconds per feed, including retries and a slow-drip body
    max_bytes: int = 10 * 1024 * 1024  # of decoded body, so a gzip bomb is stopped too
    max_redirects: int = 5
    retries: int = 2  # extra attempts, transient failures only (timeouts, 5xx, connection errors), never 4xx
    backoff: float = 0.5  # seconds, doubled each retry


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    not_modified: bool  # True for a 304: no body, nothing downstream
    content: bytes  # b"" when not_modified
    content_type: str | None
    etag: str | None
    last_modified: str | None
    elapsed: float


class HostSlots:
    """At most `per_host` fetches at a time per host, feeds and the pages they link alike, across the
    threads of a pass (politeness towards small government servers)."""

    def __init__(self, per_host: int = 2):
        self.per_host = per_host
        self._slots: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> threading.Semaphore:
        host = urlsplit(url).hostname or "local files"
        with self._lock:
            return self._slots.setdefault(host, threading.Semaphore(self.per_host))


def make_session(user_agent: str = "Loa/0.1 (+administrative-reform notices)") -> requests.Session:
    """One session shared by a whole pass (threads included): keep-alive connections per host."""
    session = requests.Session()
    session.headers.update({"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"})
    # many hosts in one pass: keep a pool per host instead of requests' default of 10 pools
    adapter = requests.adapters.HTTPAdapter(pool_connections=256, pool_maxsize=4, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
    limits: FetchLimits = FetchLimits(),
    feed: bool = True,
) -> FetchResult:
    """`feed` False: a linked article page or a văn bản's file, fetched with the same limits and
    conditional GET, where an HTML body is what is wanted rather than a wrong URL."""
    budget = _Budget(url, limits, feed)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _fetch_file(budget, last_modified)
    if scheme not in ("http", "https"):
        raise FeedError(
            url,
            "bad_url",
            f"only http, https and file URLs can be fetched, not {scheme or 'a bare path'}; fix the URL in feeds.yaml",
        )
    own_session = session is None
    session = session or make_session()
    try:
        return _retrying(lambda: _fetch_http(budget, session, etag, last_modified), budget)
    finally:
        if own_session:
            session.close()


@dataclass(frozen=True)
class _Budget:
    """One fetch's URL, limits and clock: every wait is cut to the time left."""

    url: str
    limits: FetchLimits
    feed: bool = True
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.limits.deadline - self.elapsed()

    def wait(self, wanted: float) -> float:
        return max(0.001, min(wanted, self.left()))

    def check(self) -> None:
        if self.left() <= 0:
            raise self.expired()

    def expired(self) -> FeedError:
        return FeedError(
            self.url,
            "deadline",
            f"the feed took more than {self.limits.deadline:g} s in all (a slow or overloaded server); it is tried again next pass",
            True,
        )


# --- retries and redirects --------------------------------------------------


def _retrying(attempt: Callable[[], FetchResult], budget: _Budget) -> FetchResult:
    delay = budget.limits.backoff
    for retries_left in range(budget.limits.retries, -1, -1):
        try:
            return attempt()
        except FeedError as err:
            if not retries_left or not _retryable(err) or budget.left() <= delay:
                raise
            log.info("feed %s: %s, retrying in %.2g s", budget.url, err.reason, delay)
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def _retryable(err: FeedError) -> bool:
    # A 4xx will not change by asking again at once; the next pass will ask anyway.
    return err.reason in ("timeout", "connection") or err.reason.startswith("http_5")


def _fetch_http(budget: _Budget, session: requests.Session, etag: str | None, last_modified: str | None) -> FetchResult:
    """Redirects are followed here, not by requests, so loops are named and every hop shares the deadline."""
    headers = _conditional_headers(etag, last_modified)
    current, seen = budget.url, {budget.url}
    for _ in range(budget.limits.max_redirects + 1):
        response = _get(budget, session, current, headers)
        with response:
            target = _redirect_target(budget, response, current)
            if target is None:
                return _result(budget, response, current, etag, last_modified)
        if target in seen:
            raise FeedError(
                budget.url,
                "redirect_loop",
                f"the server redirects in a loop (back to {target}); tell the feed's publisher, or use the feed's final URL",
            )
        seen.add(target)
        current = target
    raise FeedError(
        budget.url,
        "too_many_redirects",
        f"more than {budget.limits.max_redirects} redirects; use the feed's final URL ({current}) in feeds.yaml",
    )


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _get(budget: _Budget, session: requests.Session, url: str, headers: dict[str, str]) -> requests.Response:
    budget.check()
    limits = budget.limits
    if not budget.feed:
        headers = headers | {"Accept": _PAGE_ACCEPT}
    with _as_feed_errors(budget):
        return session.get(
            url,
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=(budget.wait(limits.connect_timeout), budget.wait(limits.read_timeout)),
        )


def _redirect_target(budget: _Budget, response: requests.Response, current: str) -> str | None:
    if not response.is_redirect:
        return None
    target = urljoin(current, response.headers["Location"])
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        raise FeedError(
            budget.url,
            "bad_redirect",
            f"the server redirects to {target!r}, which is not a web address; tell the feed's publisher",
        )
    return target


# --- the response -----------------------------------------------------------


def _result(
    budget: _Budget, response: requests.Response, final_url: str, etag: str | None, last_modified: str | None
) -> FetchResult:
    headers = response.headers
    content_type = headers.get("Content-Type")
    if response.status_code == 304:
        # A 304 need not repeat the validators; the ones sent are still current then.
        return _make_result(
            budget,
            final_url,
            None,
            content_type,
            headers.get("ETag") or etag,
            headers.get("Last-Modified") or last_modified,
        )
    if not 200 <= response.status_code < 300:
        raise _http_error(budget.url, response.status_code, response.reason)
    body = _read_capped(budget, response)
    _check_body(budget.url, body, content_type, budget.feed)
    return _make_result(budget, final_url, body, content_type, headers.get("ETag"), headers.get("Last-Modified"))


def _make_result(
    budget: _Budget,
    final_url: str,
    body: bytes | None,
    content_type: str | None,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    """`body` None: not modified."""
    return FetchResult(
        url=budget.url,
        final_url=final_url,
        not_modified=body is None,
        content=body or b"",
        content_type=content_type,
        etag=etag,
        last_modified=last_modified,
        elapsed=budget.elapsed(),
    )


def _http_error(url: str, status: int, reason: str | None) -> FeedError:
    advice = {
        401: "the feed needs a login Loa does not have; ask its publisher for an open feed",
        403: "the server refuses Loa; ask the feed's publisher to allow it",
        404: "the feed is gone or has moved; find its new URL and fix feeds.yaml",
        410: "the feed was removed; take it out of feeds.yaml",
        429: "the server asks Loa to poll less often; raise ingest_interval_minutes",
    }.get(status)
    if advice is None:
        advice = (
            "a server error; it is tried again next pass" if status >= 500 else "check the feed's URL in feeds.yaml"
        )
    transient = status >= 500 or status in (408, 429)
    return FeedError(
        url, f"http_{status}", f"the server answered {status} {reason or ''}".rstrip() + f"; {advice}", transient
    )


def _read_capped(budget: _Budget, response: requests.Response) -> bytes:
    """The decoded body, aborted as soon as it passes max_bytes (or says it will)."""
    max_bytes = budget.limits.max_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(budget.url, max_bytes, f"it announces {int(declared):,} bytes")
    body = bytearray()
    with _as_feed_errors(budget):
        for chunk in _chunks(budget, response):
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(budget.url, max_bytes, "it sent more")
    return bytes(body)


def _chunks(budget: _Budget, response: requests.Response) -> Iterator[bytes]:
    # read1 returns after at most one socket read, so a body dripping one byte at a
    # time cannot hold a read open past the deadline: it is checked between reads.
    while True:
        budget.check()
        _cap_socket_timeout(response, budget.wait(budget.limits.read_timeout))
        chunk = response.raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            return
        yield chunk


def _cap_socket_timeout(response: requests.Response, seconds: float) -> None:
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _too_large(url: str, max_bytes: int, why: str) -> FeedError:
    return FeedError(
        url,
        "too_large",
        f"the feed is over the {max_bytes:,}-byte limit ({why}); check that the URL is a feed, or raise max_bytes",
    )


def _check_body(url: str, body: bytes, content_type: str | None, feed: bool = True) -> None:
    if not body.strip():
        raise FeedError(
            url,
            "empty",
            "the server answered with an empty body; it is tried again next pass, and if it stays empty tell the feed's publisher",
            True,
        )
    if feed and looks_like_html(body):
        raise FeedError(
            url,
            "not_a_feed",
            f"the server sent a web page ({content_type or 'no content type'}), not an RSS or Atom feed; "
            "open the URL in a browser and use the page's RSS link",
        )


@contextmanager
def _as_feed_errors(budget: _Budget) -> Iterator[None]:
    try:
        yield
    except FeedError:
        raise
    except Exception as exc:
        raise _feed_error(budget, exc) from exc


def _feed_error(budget: _Budget, exc: Exception) -> FeedError:
    url, limits = budget.url, budget.limits
    if isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError, socket.timeout)):
        if budget.left() <= 0.05:  # the wait was cut to the deadline, and it ran out
            return budget.expired()
        return FeedError(
            url,
            "timeout",
            f"the server sent nothing for {limits.read_timeout:g} s (or did not accept a connection within {limits.connect_timeout:g} s); it is tried again next pass",
            True,
        )
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return FeedError(
            url, "bad_encoding", f"the compressed body could not be decoded ({exc}); tell the feed's publisher"
        )
    if isinstance(
        exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    ):
        return FeedError(url, "bad_url", f"the URL is not valid ({exc}); fix it in feeds.yaml")
    if isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError, OSError)):
        return FeedError(
            url,
            "connection",
            f"the connection failed or broke ({exc}); check the network, it is tried again next pass",
            True,
        )
    raise exc


# --- file:// ----------------------------------------------------------------


def _fetch_file(budget: _Budget, last_modified: str | None) -> FetchResult:
    """A local feed (the bundled sample), with the same size cap and validators as HTTP."""
    path = Path(url2pathname(urlsplit(budget.url).path))
    try:
        with path.open("rb") as f:
            stamp = formatdate(os.fstat(f.fileno()).st_mtime, usegmt=True)
            if stamp == last_modified:
                return _make_result(budget, budget.url, None, None, None, stamp)
            body = f.read(budget.limits.max_bytes + 1)
    except FileNotFoundError:
        raise FeedError(budget.url, "not_found", f"there is no file {path}; fix the URL in feeds.yaml") from None
    except OSError as exc:
        raise FeedError(
            budget.url, "unreadable", f"the file {path} cannot be read ({exc.strerror}); check its permissions"
        ) from None
    if len(body) > budget.limits.max_bytes:
        raise _too_large(budget.url, budget.limits.max_bytes, "the file is larger")
    content_type = mimetypes.guess_type(path.name)[0]
    _check_body(budget.url, body, content_type, budget.feed)
    return _make_result(budget, budget.url, body, content_type, None, stamp)
