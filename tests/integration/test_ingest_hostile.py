"""One pass over hostile feeds plus good ones: each broken feed reported by URL with its reason,
nothing stored from it, the good feeds ingested, and the pass bounded by the configured deadline."""

import http.server
import threading
import time

import pytest

from loa.config import Feed
from loa.ingest.fetch import FetchLimits
from loa.ingest.pipeline import ingest_many
from loa.store import Store
from tests.conftest import FEEDS, loopback_http

pytestmark = pytest.mark.integration

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>&c;</title></channel></rss>'
)


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stop = threading.Event()

    def _send(self, status, body=b"", ctype="application/rss+xml", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/good.xml":
            self._send(200, (FEEDS / "sample-reform.xml").read_bytes())
        elif p == "/legacy.xml":
            self._send(200, (FEEDS / "windows-1258.xml").read_bytes(), "application/rss+xml; charset=windows-1258")
        elif p == "/truncated.xml":
            self._send(200, (FEEDS / "sample-reform.xml").read_bytes()[:1500])
        elif p == "/page.html":
            self._send(200, b"<!doctype html><html><body><h1>Trang ch\xe1\xbb\xa7</h1></body></html>", "text/html")
        elif p == "/bomb.xml":
            self._send(200, BOMB)
        elif p == "/huge.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(60 * 1024 * 1024))
            self.end_headers()
            chunk = b"<item>" + b"x" * 65530
            try:
                for _ in range(960):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif p == "/stall.xml":
            self.stop.wait(30)
        elif p.startswith("/loop"):
            self._send(302, extra=[("Location", "/loop-a" if p == "/loop-b" else "/loop-b")])
        elif p == "/500.xml":
            self._send(500, b"Internal error")
        elif p == "/empty.xml":
            self._send(200, b"")
        else:
            self._send(404, b"not found", "text/plain")

    def log_message(self, *a):
        pass


@pytest.fixture
def hostile():
    with loopback_http(Hostile) as url:
        yield url
        Hostile.stop.set()  # before the shutdown: the slow answers stop waiting


EXPECTED = {
    "/truncated.xml": "malformed",
    "/page.html": "not_a_feed",
    "/bomb.xml": "malformed",
    "/huge.xml": "too_large",
    "/stall.xml": ("timeout", "deadline"),
    "/loop-a": ("redirect_loop", "too_many_redirects"),
    "/500.xml": "http_500",
    "/missing.xml": "http_404",
    "/empty.xml": "empty",
}


def test_one_pass_over_hostile_and_good_feeds(cfg, hostile):
    store = Store.open(cfg.database_url)
    paths = ["/good.xml", "/legacy.xml", *EXPECTED]
    feeds = [Feed(url=hostile + p, name=p, area="cao-bang") for p in paths]
    limits = FetchLimits(connect_timeout=1, read_timeout=1.5, deadline=3, retries=1, backoff=0.1)
    started = time.monotonic()
    reports = {r.name: r for r in ingest_many(store, cfg, feeds, threads=16, per_host=16, limits=limits)}
    elapsed = time.monotonic() - started
    assert elapsed < 3 * limits.deadline, f"the pass took {elapsed:.1f} s"
    assert reports["/good.xml"].status == "ok" and len(reports["/good.xml"].drafted) == 4
    assert reports["/legacy.xml"].status == "ok" and reports["/legacy.xml"].entries > 0
    for path, reason in EXPECTED.items():
        r = reports[path]
        assert r.status == "failed", (path, r)
        assert r.reason in (reason if isinstance(reason, tuple) else (reason,)), (path, r.reason, r.error)
        assert hostile + path in r.error  # says which feed
    health = {f.url: f for f in store.feeds()}
    assert all(health[hostile + p].consecutive_failures == 1 for p in EXPECTED)
    sources = {n.source_url for n in store.notices()}
    assert all(hostile not in (s or "") for s in sources)  # nothing from a broken feed was stored
