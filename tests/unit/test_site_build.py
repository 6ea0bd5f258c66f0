"""The site builder (loa.site): strict HTML, feeds a real reader parses, indexes, and what a publish touches."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import feedparser
import html5lib
import pytest

from loa.site.build import SiteBuilder, Touch, read_listing, root_for, write_files
from loa.site.feeds import FEED_SIZE
from loa.site.model import Entry
from tests.unit.site_sample import AREAS, NOW, SITE, TREE, XSS_TITLE, build, many, sample

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Balanced(HTMLParser):
    """Every element that is opened is closed, in order (html5lib would silently repair it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.imgs, self.h = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.imgs.append(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.h.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()


def check_page(name: str, html: str) -> Balanced:
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)  # raises on any parse error
    parser = Balanced()
    parser.feed(html)
    parser.close()
    assert parser.stack == [], f"{name}: unclosed {parser.stack}"
    assert len(parser.ids) == len(set(parser.ids)), f"{name}: duplicate ids"
    assert parser.h.count(1) == 1, f"{name}: one h1"
    assert all(b - a <= 1 for a, b in zip(parser.h, parser.h[1:])), f"{name}: heading levels skip: {parser.h}"
    assert all(img.get("alt") for img in parser.imgs), f"{name}: an image without alt text"
    assert html.startswith('<!doctype html>\n<html lang="vi">')
    return parser


@pytest.fixture(scope="module")
def files():
    return build()


def test_every_page_is_strict_html_with_accessible_structure(files):
    pages = {k: v for k, v in files.items() if k.endswith(".html")}
    assert len(pages) > 20
    for name, html in pages.items():
        check_page(name, html)
        assert 'name="viewport"' in html and 'class="skip" href="#main"' in html


def test_feed_script_never_reaches_a_page(files):
    for name, content in files.items():
        if not name.endswith(".html"):
            continue
        scripts = re.findall(r"<script\b[^>]*>", content)
        assert all(s in ('<script type="application/ld+json">', '<script src="./static/search.js" defer>',
                         '<script src="../static/notice.js" defer>') for s in scripts), (name, scripts)
        for bad in ("onerror", "onclick", "javascript:", "<iframe", "evil.example", "<img src=x"):
            assert bad not in content, (name, bad)
    page = files["notices/6.html"]
    assert "Thông báo &lt;script&gt;alert(&#34;tiêu đề&#34;)&lt;/script&gt; &amp; &#34;lịch&#34; tiếp dân" in page
    assert "<p>Lịch tiếp công dân tháng 12.</p>" in page and "<p>Đoạn có sự kiện</p>" in page


def test_notice_page_shows_facts_audio_languages_source_and_qr(files):
    page = files["notices/1.html"]
    for text in ("3627/KH-UBND", "Kế hoạch", "UBND tỉnh Cao Bằng", "Hoàng Xuân Ánh", "ngày 18 tháng 11 năm 2026",
                 "ngày 20 tháng 11 năm 2026", "https://caobang.gov.vn/van-ban/3627-kh-ubnd",
                 'src="/radio/audio/notice-1-v1-vi.mp3"', 'src="/radio/audio/notice-1-v1-tay.mp3"', "Tiếng Tày",
                 'lang="tyz"', 'src="../notices/1.qr.svg"', "3 trên 4 bảng tin đã xác nhận hiển thị"):
        assert text in page, text
    assert files["notices/1.qr.svg"].startswith("<svg") and "<desc>https://loa.example.gov.vn/notices/1.html</desc>" in files["notices/1.qr.svg"]
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
    assert ld["@type"] == "Article" and ld["about"]["legislationIdentifier"] == "3627/KH-UBND"
    assert ld["about"]["legislationPassedBy"]["name"] == "UBND tỉnh Cao Bằng" and ld["inLanguage"] == "vi"
    assert ld["audio"][0]["contentUrl"] == "https://loa.example.gov.vn/radio/audio/notice-1-v1-vi.mp3"


def test_withdrawn_expired_and_superseded_are_marked_and_linked(files):
    assert "Thông báo này đã được thu hồi</strong> ngày 24 tháng 11 năm 2026" in files["notices/3.html"]
    assert "Thông báo này đã hết hiệu lực</strong> ngày 15 tháng 11 năm 2026" in files["notices/5.html"]
    old = files["notices/4/v1.html"]
    assert "Đây là phiên bản 1, đã được thay thế." in old and 'href="../../notices/4.html"' in old
    assert 'href="../notices/4/v1.html">Phiên bản 1 (đã được thay thế)' in files["notices/4.html"]
    # current lists drop withdrawn and expired notices; the month archive keeps them, marked
    for listing in (files["index.html"], files["areas/cao-bang/hoa-an/hong-viet/index.html"]):
        assert "notices/3.html" not in listing and "notices/5.html" not in listing
    archive = files["areas/cao-bang/hoa-an/hong-viet/2026-11.html"]
    assert "notices/3.html" in archive and "badge-withdrawn" in archive
    assert "notices/4.html" in files["areas/cao-bang/hoa-an/hong-viet/2026-10.html"]  # filed by first publication


def test_emergency_banner_on_home_and_on_the_areas_it_concerns(files):
    for page in ("index.html", "areas/cao-bang/hoa-an/index.html", "areas/cao-bang/hoa-an/hong-viet/index.html",
                 "areas/cao-bang/index.html"):
        assert 'class="banner emergency"' in files[page] and "Cảnh báo lũ quét" in files[page], page
    assert 'class="banner emergency"' not in files["areas/cao-bang/ha-quang/index.html"]


def test_area_pages_follow_the_tree_and_link_bulletins(files):
    commune = files["areas/cao-bang/hoa-an/hong-viet/index.html"]
    assert "Thông báo cho xã Hồng Việt" in commune
    assert 'href="../../../../print/cao-bang/hoa-an/hong-viet/current.pdf"' in commune
    assert "Bản tin tuần 47/2026" in commune
    assert 'href="../../../../areas/cao-bang/hoa-an/index.html">huyện Hòa An' in commune  # breadcrumb
    district = files["areas/cao-bang/hoa-an/index.html"]
    assert "xã Bế Triều" in district and "Chưa có bản tin in" in district
    assert set(k for k in files if k.endswith("/index.html")) == {f"areas/{a}/index.html" for a in AREAS}


def test_feeds_round_trip_through_feedparser(files):
    entries, _ = sample()
    for kind in ("atom", "rss"):
        parsed = feedparser.parse(files[f"{kind}.xml"])
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == ("atom10" if kind == "atom" else "rss20")
        assert parsed.feed.title == SITE.title and parsed.feed.language == "vi"
        assert len(parsed.entries) == len(entries)
        first = parsed.entries[0]
        assert first.title == "[Đã thu hồi] Thông báo lịch tiếp công dân xã Hồng Việt"  # the newest change
        assert first.link == "https://loa.example.gov.vn/notices/3.html"
        by_link = {e.link: e for e in parsed.entries}
        xss = by_link["https://loa.example.gov.vn/notices/6.html"]
        assert xss.title == XSS_TITLE  # escaped in XML, exact text again for the reader
        assert by_link["https://loa.example.gov.vn/notices/2.html"].title.startswith("[Khẩn cấp] Cảnh báo lũ quét")
        plan = by_link["https://loa.example.gov.vn/notices/1.html"]
        assert plan.published_parsed[:5] == (2026, 11, 20, 8, 0)
        assert "chuyển đổi số" in plan.summary
    atom = feedparser.parse(files["atom.xml"])
    plan = next(e for e in atom.entries if e.link.endswith("/notices/1.html"))
    assert plan.enclosures[0].href == "https://loa.example.gov.vn/radio/audio/notice-1-v1-vi.mp3"
    assert {t.term for t in plan.tags} == {"cao-bang", "priority:normal"} and plan.author == "UBND tỉnh Cao Bằng"


def test_area_feeds_carry_only_what_concerns_the_area(files):
    for kind in ("atom", "rss"):
        parsed = feedparser.parse(files[f"areas/cao-bang/ha-quang/{kind}.xml"])
        assert parsed.bozo == 0
        assert sorted(e.link.rsplit("/", 1)[1] for e in parsed.entries) == ["1.html", "4.html"]  # the province's
        commune = feedparser.parse(files[f"areas/cao-bang/hoa-an/hong-viet/{kind}.xml"])
        assert sorted(e.link.rsplit("/", 1)[1] for e in commune.entries) == ["1.html", "2.html", "3.html", "4.html", "6.html"]


def test_feeds_keep_the_newest_and_stay_well_formed_with_control_characters():
    entries = many(FEED_SIZE + 20) + [replace(many(1, start=9)[0], title="Tiêu đề\x0b có\x00 ký tự điều khiển")]
    files = SiteBuilder(SITE, TREE).plan(entries, [], now=NOW)
    for kind in ("atom", "rss"):
        parsed = feedparser.parse(files[f"{kind}.xml"])
        assert parsed.bozo == 0 and len(parsed.entries) == FEED_SIZE
        ET.fromstring(files[f"{kind}.xml"])
    assert any(e.title == "Tiêu đề có ký tự điều khiển" for e in feedparser.parse(files["atom.xml"]).entries)


def test_sitemap_listing_and_search_index(files):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.fromstring(files["sitemap.xml"]).findall("s:url/s:loc", ns)]
    assert "https://loa.example.gov.vn/notices/3.html" in locs and "https://loa.example.gov.vn/index.html" in locs
    assert f"https://loa.example.gov.vn/areas/cao-bang/hoa-an/hong-viet/index.html" in locs
    listing = json.loads(files["notices.json"])
    assert listing["schema"] == "loa.site.listing" and [n["id"] for n in listing["notices"]] == [6, 5, 4, 3, 2, 1]
    statuses = {n["id"]: n["status"] for n in listing["notices"]}
    assert statuses == {1: "current", 2: "current", 3: "withdrawn", 4: "current", 5: "expired", 6: "current"}
    n1 = next(n for n in listing["notices"] if n["id"] == 1)
    assert n1["area_names"] == ["tỉnh Cao Bằng"] and n1["document"]["number"] == "3627/KH-UBND"
    assert n1["url"] == "https://loa.example.gov.vn/notices/1.html"
    index = json.loads(files["search-index.json"])
    assert index["fields"][:3] == ["id", "status", "title"]
    assert {row[0]: row[1] for row in index["items"]} == statuses
    assert "Sitemap: https://loa.example.gov.vn/sitemap.xml" in files["robots.txt"]


def test_the_listing_reads_back_as_the_same_entries(tmp_path, files):
    write_files(tmp_path, files)
    entries, _ = sample()
    back = read_listing(tmp_path, SITE.url)
    assert back == {e.id: e for e in entries}
    assert read_listing(tmp_path, "https://another.example") is None  # another site: rebuild everything
    (tmp_path / "notices.json").write_text("{broken")
    assert read_listing(tmp_path, SITE.url) is None


def test_reused_listing_and_search_lines_equal_a_fresh_build(tmp_path, files):
    from datetime import timedelta

    from loa.site.build import areas_key, read_memory

    write_files(tmp_path, files)
    memory = read_memory(tmp_path, SITE.url, areas_key(TREE))
    assert len(memory.listing) == len(memory.search) == 6
    entries, pages = sample()
    builder = SiteBuilder(SITE, TREE)
    for now in (NOW, NOW - timedelta(days=20)):  # 20 days earlier notice 5 had not expired: its lines are redone
        fresh = builder.plan(entries, [], now=now, touch=Touch(set(), set()))
        reused = builder.plan(entries, [], now=now, touch=Touch(set(), set()), memory=memory)
        assert reused["notices.json"] == fresh["notices.json"]
        assert reused["search-index.json"] == fresh["search-index.json"]
    changed = replace(entries[0], title="Kế hoạch đã sửa")
    memory.replace(changed)  # a changed notice's lines are never reused
    assert "Kế hoạch đã sửa" in builder.plan(list(memory.entries.values()), [], now=NOW, touch=Touch(set(), set()),
                                             memory=memory)["notices.json"]
    assert read_memory(tmp_path, SITE.url, "another areas.yaml") is None


def test_a_commune_notice_touches_only_its_branch_of_the_tree():
    builder = SiteBuilder(SITE, TREE)
    entries, pages = sample()
    new = replace(entries[0], id=7, areas=("cao-bang/hoa-an/be-trieu",), first_published_at=NOW, published_at=NOW)
    touch = builder.touch_for(new, None)
    assert touch.areas == {"cao-bang", "cao-bang/hoa-an", "cao-bang/hoa-an/be-trieu"}
    files = builder.plan(entries + [new], [replace(pages[0], entry=new)], now=NOW, touch=touch)
    touched_areas = {k.rsplit("/", 1)[0] for k in files if k.startswith("areas/")}
    assert touched_areas == {f"areas/{a}" for a in touch.areas}
    assert not any("hong-viet" in k or "ha-quang" in k for k in files)
    assert {k for k in files if k.startswith("areas/") and re.search(r"\d{4}-\d{2}\.html$", k)} == {
        f"areas/{a}/2026-11.html" for a in touch.areas}
    assert {k for k in files if k.startswith("notices/")} == {"notices/7.html", "notices/7.qr.svg"}
    # a province-wide notice reaches every area page
    assert builder.touch_for(replace(new, areas=("cao-bang",)), None).areas == set(AREAS)


def test_moving_a_notice_touches_the_areas_it_left(files):
    builder = SiteBuilder(SITE, TREE)
    entries, _ = sample()
    old = entries[2]
    moved = replace(old, areas=("cao-bang/ha-quang",))
    assert "cao-bang/hoa-an/hong-viet" in builder.touch_for(moved, old).areas


def test_writer_is_atomic_and_leaves_unchanged_files_alone(tmp_path, files):
    first = write_files(tmp_path, files)
    assert len(first.written) == len(files) and first.unchanged == 0
    page = tmp_path / "index.html"
    stamp = page.stat().st_mtime_ns
    again = write_files(tmp_path, files)
    assert again.written == [] and again.unchanged == len(files) and page.stat().st_mtime_ns == stamp
    changed = dict(files, **{"index.html": files["index.html"].replace("Thông báo cải cách", "Thông báo")})
    assert write_files(tmp_path, changed).written == ["index.html"]
    assert not [p for p in tmp_path.rglob("*.tmp")]  # nothing half-written left behind


def test_relative_roots_let_the_site_live_under_any_prefix():
    assert root_for("index.html") == "."
    assert root_for("notices/1.html") == ".."
    assert root_for("areas/cao-bang/hoa-an/hong-viet/index.html") == "../../../.."


def test_lists_are_capped_and_point_to_the_archives():
    entries = many(120)
    files = SiteBuilder(SITE, TREE).plan(entries, [], now=NOW, touch=Touch())
    home = files["index.html"]
    assert home.count('class="item ') == 50 and "Và 70 thông báo khác" in home
    months = {k for k in files if re.fullmatch(r"areas/cao-bang/\d{4}-\d{2}\.html", k)}
    assert months == {"areas/cao-bang/2026-11.html", "areas/cao-bang/2026-10.html"}
    assert sum(files[m].count('class="item ') for m in months) == 120  # every notice is reachable without JS


def test_entry_round_trips_through_json():
    entry, = many(1)
    assert Entry.from_json(json.loads(json.dumps(entry.to_json(SITE, TREE, NOW)))) == entry
