"""End to end: a portal feed that only gives leads, whose linked pages hold the full text amid page
furniture → the approved notice's website page, radio script and printed bulletin carry the full
text and none of the furniture."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from channels.printed import Printed
from channels.website import Website
from loa.config import Feed
from loa.ingest.fetch import FetchLimits, make_session
from loa.ingest.pipeline import ingest_feed
from loa.site import bulletin
from loa.store import Store
from tests.portal import PortalServer, extraction_score, golden_pages
from tests.unit.test_print import COMMUNE, pdf_text

pytestmark = pytest.mark.integration
EXPECTED = {page.stem: exp for kind, page, exp in golden_pages() if kind == "provincial"}
# words Loa's own pages use too (its website's menu, its bulletin's footer): not the portal's furniture
OWN_WORDS = {"Trang chủ", "Giới thiệu", "Chia sẻ", "Tìm kiếm", "Liên hệ"}
FULL_TEXT_ONLY = {
    "ke-hoach-cai-cach-hanh-chinh-nam-2026-1027": "Sở Nội vụ theo dõi, đôn đốc",
    "dich-vu-cong-truc-tuyen-toan-trinh-tai-cac-xa-1031": "tổ công nghệ số cộng đồng hỗ trợ người dân",
    "thong-bao-lich-tiep-cong-dan-thang-01-2026-1040.aspx": "mang theo căn cước và giấy tờ",
}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def portal_furniture(expected: dict) -> dict:
    return expected | {"furniture": [f for f in expected["furniture"] if f not in OWN_WORDS]}


def test_summary_only_feed_publishes_full_text_without_page_furniture(cfg):
    portal = PortalServer()
    try:
        store = Store.open(cfg.database_url)
        feed = Feed(url=f"{portal.base}/provincial/feed.xml", name="Cổng tỉnh", area="cao-bang")
        report = ingest_feed(store, cfg, feed, session=make_session(), limits=FetchLimits(deadline=5, retries=0))
    finally:
        portal.close()
    assert report.articles == 3 and len(report.drafted) == 2  # the citizen-reception schedule is not reform news
    site, printer = Website(cfg, store), Printed(cfg, store)
    stems = {}
    for notice_id in report.drafted:
        n = store.transition(notice_id, "approve", "Hoàng Văn Minh")
        stems[n.id] = n.source_url.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        assert [r.ok for r in site.dispatch(n, ["site"])] == [True]
        page = page_text((cfg.home / "site" / "notices" / f"{n.id}.html").read_text(encoding="utf-8"))
        _, _, missed, furniture = extraction_score(page, portal_furniture(EXPECTED[stems[n.id]]))
        assert (missed, furniture) == ([], []), "website"
        script = n.variants["radio"]
        _, _, _, furniture = extraction_score(script, portal_furniture(EXPECTED[stems[n.id]]))
        assert furniture == [], "radio"
        assert FULL_TEXT_ONLY[stems[n.id]] in script  # a phrase of the full text, not of the lead
    now = datetime.now(UTC)
    made = printer.make(COMMUNE, bulletin.current_period(now, cfg.tz), now)
    printed = pdf_text(Path(made.path))
    for stem in stems.values():
        _, _, missed, furniture = extraction_score(printed, portal_furniture(EXPECTED[stem]))
        assert (missed, furniture) == ([], []), "print"
