"""One ingest pass over real HTTP: drafts for reform news only, nothing twice, amendments become
superseding drafts, conditional GET, and one broken feed never stops the others."""

import http.server
import threading

import pytest

from loa.config import Feed
from loa.ingest.fetch import FetchLimits, make_session
from loa.ingest.pipeline import ingest_feed
from loa.ingest.prepare import ParsePool
from loa.model import NoticeState
from loa.store import Store
from tests.conftest import FEEDS
from tests.portal import answer_feed

pytestmark = pytest.mark.integration


class FeedHost:
    """A loopback server whose feed bodies the test can change, with ETag support."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host.hits[self.path] = host.hits.get(self.path, 0) + 1
                body = host.bodies.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                answer_feed(self, body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def host():
    h = FeedHost()
    yield h
    h.server.shutdown()


def run(cfg, store, url, name="feed"):
    feed = Feed(url=url, name=name, area="cao-bang/hoa-an")
    return ingest_feed(store, cfg, feed, session=make_session(), limits=FetchLimits(deadline=5, retries=0))


def test_sample_feed_drafts_reform_news_only_and_once(cfg, host):
    store = Store.open(cfg.database_url)
    host.bodies["/sample.xml"] = (FEEDS / "sample-reform.xml").read_bytes()
    first = run(cfg, store, host.base + "/sample.xml")
    assert (first.status, first.entries, first.new, len(first.drafted)) == ("ok", 6, 6, 4)
    titles = {store.notice(i).title for i in first.drafted}
    assert not any("lễ hội" in t.lower() or "thời tiết" in t.lower() for t in titles)
    notice = store.notice(first.drafted[0])
    assert notice.reasons and notice.areas == ["cao-bang/hoa-an"]
    script = notice.variants["radio"]  # read aloud: no digits; the notice alone (the station greets, once a slot)
    assert "Kế hoạch số một nghìn không trăm năm mươi" in script and not any(c.isdigit() for c in script)
    assert "Kính thưa" not in script and "cảm ơn" not in script
    second = run(cfg, store, host.base + "/sample.xml")
    assert second.status == "not_modified" and second.drafted == []
    assert len(store.notices()) == 4


def test_amended_entry_becomes_a_superseding_draft(cfg, host):
    store = Store.open(cfg.database_url)
    original = (FEEDS / "sample-reform.xml").read_text(encoding="utf-8")
    host.bodies["/f.xml"] = original.encode()
    nid = run(cfg, store, host.base + "/f.xml").drafted[0]
    store.transition(nid, "approve", "editor")
    title = store.notice(nid).title
    host.bodies["/f.xml"] = original.replace(title, title + " (cập nhật)").encode()
    report = run(cfg, store, host.base + "/f.xml")
    assert (report.updated, report.drafted) == (1, [nid])
    v2 = store.notice(nid)
    assert (v2.version, v2.state, v2.title) == (2, NoticeState.DRAFTED, title + " (cập nhật)")
    assert store.notice(nid, 1).state == NoticeState.APPROVED  # still live until v2 is approved
    store.transition(nid, "approve", "editor")
    assert store.notice(nid, 1).state == NoticeState.SUPERSEDED


def test_same_document_in_two_feeds_is_one_document(cfg, host):
    store = Store.open(cfg.database_url)
    body = (FEEDS / "sample-reform.xml").read_bytes()
    host.bodies["/a.xml"] = host.bodies["/b.xml"] = body
    a = run(cfg, store, host.base + "/a.xml", "a")
    b = run(cfg, store, host.base + "/b.xml", "b")
    # link identities are shared; the one opaque GUID (cchc-caobang-van-ban-2025-0512) is per feed
    assert len(a.drafted) == 4 and b.unchanged == 5 and b.new == 1


def test_broken_feed_is_reported_and_stores_nothing(cfg, host):
    store = Store.open(cfg.database_url)
    host.bodies["/html"] = b"<!doctype html><html><body>Trang ch\xe1\xbb\xa7</body></html>"
    for path, reason in (("/missing", "http_404"), ("/html", "not_a_feed")):
        report = run(cfg, store, host.base + path)
        assert report.status == "failed" and report.reason == reason and host.base + path in report.error
    assert store.notices() == []
    health = {f.url: f for f in store.feeds()}
    assert health[host.base + "/missing"].consecutive_failures == 1
    assert health[host.base + "/missing"].last_error_reason == "http_404"


class CountingPool(ParsePool):
    """In-process parsing that remembers which entries it was asked to classify and render."""

    def __init__(self, cfg):
        super().__init__(cfg, 0)
        self.understood: list[list[str]] = []

    def understand(self, url, entries, area):
        self.understood.append([e.title for e in entries])
        return super().understand(url, entries, area)


def test_only_new_and_changed_texts_are_classified_and_rendered(cfg, host):
    store, pool = Store.open(cfg.database_url), CountingPool(cfg)
    original = (FEEDS / "sample-reform.xml").read_text(encoding="utf-8")
    host.bodies["/f.xml"] = original.encode()
    feed = Feed(url=host.base + "/f.xml", name="feed", area="cao-bang")
    first = ingest_feed(store, cfg, feed, pool=pool, session=make_session())
    title = store.notice(first.drafted[0]).title
    host.bodies["/f.xml"] = original.replace(title, title + " (cập nhật)").encode()  # a new ETag, one entry amended
    second = ingest_feed(store, cfg, feed, pool=pool, session=make_session())
    assert len(pool.understood[0]) == 6 and pool.understood[1] == [title + " (cập nhật)"]
    assert (second.entries, second.unchanged, second.updated, second.drafted) == (6, 5, 1, [first.drafted[0]])


def test_a_feed_the_store_refuses_fails_alone_and_keeps_nothing(cfg, host, monkeypatch):
    from sqlalchemy.exc import DataError

    store = Store.open(cfg.database_url)
    host.bodies["/f.xml"] = (FEEDS / "sample-reform.xml").read_bytes()

    def refuse(*_a, **_k):
        raise DataError(
            "INSERT INTO document_versions ...", {}, ValueError("value too long for type character varying(2000)")
        )

    monkeypatch.setattr(store, "record_poll", refuse)
    report = run(cfg, store, host.base + "/f.xml")
    assert (report.status, report.reason) == ("failed", "store_error")
    assert "value too long" in report.error and host.base + "/f.xml" in report.error
    assert store.notices() == [] and store.feeds()[0].consecutive_failures == 1
