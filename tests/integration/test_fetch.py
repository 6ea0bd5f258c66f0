"""fetch() against a real threaded HTTP server on loopback that misbehaves in every way a feed host can."""

from __future__ import annotations

import collections
import gzip
import http.server
import threading
import time
import tracemalloc
import zlib
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from loa.errors import FeedError
from loa.ingest.fetch import FetchLimits, fetch, make_session
from loa.ingest.parse import parse_feed

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "feeds" / "sample-reform.xml"
FEED = SAMPLE.read_bytes()
ETAG = '"sample-v1"'
LAST_MODIFIED = formatdate(1_735_689_600, usegmt=True)
MiB = 1024 * 1024
BIG = 60 * MiB
QUICK = FetchLimits(retries=0)  # failures under test should not be retried unless the test says so


class _Host(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: collections.Counter[str] = collections.Counter()
        self.headers_seen: dict[str, dict[str, str]] = {}
        self.sent: collections.Counter[str] = collections.Counter()  # body bytes written, per path
        self.stop = threading.Event()  # ends stalled and dripping handlers at teardown

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Host

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits[path] += 1
        self.server.headers_seen[path] = dict(self.headers)
        name = "chain" if path.startswith("/chain/") else path.strip("/").replace("-", "_")
        route = getattr(self, f"route_{name}", None)
        try:
            route() if route else self._send(404, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _head(self, status: int, content_type: str | None = None, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def _send(
        self, status: int, body: bytes, content_type: str | None = "application/rss+xml; charset=utf-8", **headers: str
    ) -> None:
        self._head(status, content_type, Content_Length=str(len(body)), **headers)
        self.wfile.write(body)

    def _stream(self, total: int, block: bytes) -> None:
        path = urlsplit(self.path).path
        while self.server.sent[path] < total:
            self.wfile.write(block)
            self.server.sent[path] += len(block)

    def route_feed(self) -> None:
        fresh = self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED
        if fresh:
            self._head(304, None, ETag=ETAG)  # no Last-Modified: the client must keep the one it has
        else:
            self._send(200, FEED, ETag=ETAG, Last_Modified=LAST_MODIFIED)

    def route_gzip(self) -> None:
        assert "gzip" in self.headers.get("Accept-Encoding", "")
        self._send(200, gzip.compress(FEED), Content_Encoding="gzip")

    def route_gzip_bomb(self) -> None:
        self._head(200, "application/rss+xml", Content_Encoding="gzip")
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
        zeros = b"\0" * MiB
        for _ in range(100):  # 100 MiB inflated, about 100 KiB on the wire
            self.wfile.write(packer.compress(zeros))
        self.wfile.write(packer.flush())

    def route_big(self) -> None:
        self._head(200, "application/rss+xml")  # no Content-Length: only the streamed cap can stop it
        self._stream(BIG, b"<!-- padding -->" * 4096)

    def route_big_declared(self) -> None:
        self._head(200, "application/rss+xml", Content_Length=str(BIG))
        self._stream(BIG, b"<!-- padding -->" * 4096)

    def route_stall(self) -> None:
        self.server.stop.wait(30)  # a server that accepts and then says nothing for 30 s

    def route_stall_body(self) -> None:
        self._head(200, "application/rss+xml")
        self.wfile.write(FEED[:100])
        self.wfile.flush()
        self.server.stop.wait(30)

    def route_drip(self) -> None:
        self._head(200, "application/rss+xml")
        for byte in (FEED * 100)[:3000]:  # one byte per 0.1 s: each read is quick, the whole never ends
            if self.server.stop.wait(0.1):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def route_loop_a(self) -> None:
        self._head(302, None, Location="/loop-b")

    def route_loop_b(self) -> None:
        self._head(302, None, Location=f"{self.server.base}/loop-a")

    def route_chain(self) -> None:
        step = int(self.path.rsplit("/", 1)[1])
        self._head(301, None, Location=f"/chain/{step + 1}")

    def route_moved(self) -> None:
        self._head(301, None, Location="/feed")

    def route_to_file(self) -> None:
        self._head(302, None, Location="file:///etc/passwd")

    def route_error(self) -> None:
        self._send(500, b"Internal Server Error", "text/plain")

    def route_flaky(self) -> None:
        if self.server.hits["/flaky"] == 1:
            self._send(503, b"busy", "text/plain")
        else:
            self._send(200, FEED)

    def route_missing(self) -> None:
        self._send(404, b"<html><body>404</body></html>", "text/html")

    def route_empty(self) -> None:
        self._send(200, b"")

    def route_html(self) -> None:
        page = "<!DOCTYPE html><html lang='vi'><head><title>Cổng TTĐT</title></head><body>Trang chủ</body></html>"
        self._send(200, page.encode(), "text/html; charset=utf-8")


@pytest.fixture(scope="module")
def host():
    server = _Host()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()


def _fails(url: str, limits: FetchLimits = QUICK, **kwargs) -> FeedError:
    with pytest.raises(FeedError) as caught:
        fetch(url, limits=limits, **kwargs)
    assert caught.value.url == url
    assert caught.value.detail and caught.value.detail[0].islower()  # a sentence, not a stack trace
    return caught.value


def test_fetch_then_not_modified_with_etag_and_last_modified(host) -> None:
    first = fetch(f"{host.base}/feed")
    assert (first.not_modified, first.content, first.etag, first.last_modified) == (False, FEED, ETAG, LAST_MODIFIED)
    assert first.content_type == "application/rss+xml; charset=utf-8" and first.final_url == first.url
    assert len(parse_feed(first.content, first.final_url, first.content_type).entries) == 6

    again = fetch(f"{host.base}/feed", etag=first.etag, last_modified=first.last_modified)
    seen = host.headers_seen["/feed"]
    assert (seen["If-None-Match"], seen["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)
    assert (again.not_modified, again.content, again.etag, again.last_modified) == (True, b"", ETAG, LAST_MODIFIED)

    by_date_only = fetch(f"{host.base}/feed", last_modified=LAST_MODIFIED)
    assert by_date_only.not_modified


def test_session_headers(host) -> None:
    with make_session() as session:
        fetch(f"{host.base}/feed", session=session)
    seen = host.headers_seen["/feed"]
    assert seen["User-Agent"].startswith("Loa/0.1")
    assert "application/rss+xml" in seen["Accept"] and "gzip" in seen["Accept-Encoding"]


def test_gzip_body_is_decoded(host) -> None:
    result = fetch(f"{host.base}/gzip")
    assert result.content == FEED


def _peak_memory_of(call) -> tuple[FeedError, int, float]:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FeedError) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak, time.monotonic() - started


def test_a_60_mb_body_is_cut_off_while_streaming(host) -> None:
    limits = FetchLimits(max_bytes=2 * MiB, retries=0)
    before = host.sent["/big"]
    err, peak, took = _peak_memory_of(lambda: fetch(f"{host.base}/big", limits=limits))
    assert err.reason == "too_large" and not err.transient
    assert peak < 8 * MiB  # never the whole body
    assert host.sent["/big"] - before < 20 * MiB  # the client hung up early (the rest is socket buffers)
    assert took < 5


def test_the_default_cap_is_10_mib(host) -> None:
    err, peak, _ = _peak_memory_of(lambda: fetch(f"{host.base}/big", limits=QUICK))
    assert err.reason == "too_large" and "10,485,760" in err.detail
    assert peak < 32 * MiB


def test_a_declared_60_mb_body_is_refused_before_reading(host) -> None:
    err = _fails(f"{host.base}/big-declared")
    assert err.reason == "too_large" and "62,914,560" in err.detail


def test_a_gzip_bomb_is_cut_off_by_its_inflated_size(host) -> None:
    limits = FetchLimits(max_bytes=2 * MiB, retries=0)
    err, peak, _ = _peak_memory_of(lambda: fetch(f"{host.base}/gzip-bomb", limits=limits))
    assert err.reason == "too_large"
    assert peak < 8 * MiB


def test_a_stalled_server_is_abandoned_at_the_deadline(host) -> None:
    started = time.monotonic()
    err = _fails(f"{host.base}/stall", FetchLimits(deadline=1.0, read_timeout=10.0, retries=2, backoff=0.05))
    assert err.reason == "deadline" and err.transient
    assert time.monotonic() - started < 2.0


def test_a_read_timeout_is_retried_then_reported(host) -> None:
    before = host.hits["/stall"]
    err = _fails(f"{host.base}/stall", FetchLimits(read_timeout=0.3, deadline=10, retries=2, backoff=0.01))
    assert err.reason == "timeout" and err.transient
    assert host.hits["/stall"] - before == 3


def test_a_body_that_stops_halfway_times_out(host) -> None:
    started = time.monotonic()
    err = _fails(f"{host.base}/stall-body", FetchLimits(read_timeout=0.5, retries=0))
    assert err.reason == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_slow_drip_body_beats_the_read_timeout_but_not_the_deadline(host) -> None:
    started = time.monotonic()
    err = _fails(f"{host.base}/drip", FetchLimits(read_timeout=0.5, deadline=1.5, retries=0))
    assert err.reason == "deadline"
    assert 1.4 < time.monotonic() - started < 2.5


def test_redirects_are_followed_to_the_final_url(host) -> None:
    result = fetch(f"{host.base}/moved")
    assert result.final_url == f"{host.base}/feed" and result.url == f"{host.base}/moved"
    assert result.content == FEED


def test_a_redirect_loop_is_named(host) -> None:
    assert _fails(f"{host.base}/loop-a").reason == "redirect_loop"


def test_too_many_redirects(host) -> None:
    err = _fails(f"{host.base}/chain/0", FetchLimits(max_redirects=3, retries=0))
    assert err.reason == "too_many_redirects"
    assert host.hits["/chain/3"] == 1 and host.hits["/chain/4"] == 0


def test_a_redirect_to_a_local_file_is_refused(host) -> None:
    assert _fails(f"{host.base}/to-file").reason == "bad_redirect"


def test_http_500_is_retried_with_backoff(host) -> None:
    before = host.hits["/error"]
    err = _fails(f"{host.base}/error", FetchLimits(retries=2, backoff=0.05))
    assert (err.reason, err.transient) == ("http_500", True)
    assert host.hits["/error"] - before == 3


def test_a_transient_failure_then_success(host) -> None:
    result = fetch(f"{host.base}/flaky", limits=FetchLimits(retries=2, backoff=0.01))
    assert result.content == FEED and host.hits["/flaky"] == 2


def test_http_404_is_not_retried(host) -> None:
    err = _fails(f"{host.base}/missing", FetchLimits(retries=2, backoff=0.01))
    assert (err.reason, err.transient) == ("http_404", False)
    assert host.hits["/missing"] == 1


def test_an_empty_body(host) -> None:
    assert _fails(f"{host.base}/empty").reason == "empty"


def test_an_html_page_instead_of_a_feed(host) -> None:
    err = _fails(f"{host.base}/html")
    assert err.reason == "not_a_feed" and "text/html" in err.detail


def test_nothing_listening_is_a_connection_error(host) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = _fails(f"http://127.0.0.1:{port}/rss", FetchLimits(retries=1, backoff=0.01))
    assert (err.reason, err.transient) == ("connection", True)


def test_unsupported_scheme() -> None:
    assert _fails("ftp://example.org/rss").reason == "bad_url"


# --- file:// (the bundled sample, offline) ------------------------------------


def test_a_local_file_feed() -> None:
    first = fetch(SAMPLE.as_uri())
    assert first.content == FEED and not first.not_modified and first.last_modified
    assert fetch(SAMPLE.as_uri(), last_modified=first.last_modified).not_modified


def test_a_local_file_has_the_same_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b" " * 2048)
    assert _fails(big.as_uri(), FetchLimits(max_bytes=1024)).reason == "too_large"


def test_a_missing_local_file(tmp_path: Path) -> None:
    assert _fails((tmp_path / "không-có.xml").as_uri()).reason == "not_found"
