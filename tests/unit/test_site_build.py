"""The site builder (loa.site): strict HTML, feeds a real reader parses, indexes, and what a publish touches."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import feedparser
import html5lib
import pytest

from loa.site.build import Catalogue, SiteBuilder, Touch, areas_key, root_for, write_files
from loa.site.feeds import FEED_SIZE
from loa.site.memory import SiteMemory
from loa.site.model import Entry, micros
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
        assert all(
            s
            in (
                '<script type="application/ld+json">',
                '<script src="./static/search.js" defer>',
                '<script src="../static/notice.js" defer>',
            )
            for s in scripts
        ), (name, scripts)
        for bad in ("onerror", "onclick", "javascript:", "<iframe", "evil.example", "<img src=x"):
            assert bad not in content, (name, bad)
    page = files["notices/6.html"]
    assert "Thông báo &lt;script&gt;alert(&#34;tiêu đề&#34;)&lt;/script&gt; &amp; &#34;lịch&#34; tiếp dân" in page
    assert "<p>Lịch tiếp công dân tháng 12.</p>" in page and "<p>Đoạn có sự kiện</p>" in page


def test_notice_page_shows_facts_audio_languages_source_and_qr(files):
    page = files["notices/1.html"]
    for text in (
        "3627/KH-UBND",
        "Kế hoạch",
        "UBND tỉnh Cao Bằng",
        "Hoàng Xuân Ánh",
        # one date style in the facts list, as in every list of the site (no "Ngày ban hành: ngày …")
        "<dt>Ngày ban hành</dt><dd>18/11/2026</dd>",
        "<dt>Ngày đăng</dt><dd>20/11/2026</dd>",
        'Văn bản gốc: <a href="https://caobang.gov.vn/van-ban/3627-kh-ubnd"',  # a document, not news
        '<dt>Địa bàn</dt><dd><a href="../areas/cao-bang/index.html">Tỉnh Cao Bằng</a>',
        'src="/radio/audio/notice-1-v1-vi.mp3"',
        'src="/radio/audio/notice-1-v1-tay.mp3"',
        "Tiếng Tày",
        'lang="tyz"',
        'src="../notices/1.qr.svg"',
        "3 trên 4 bảng tin đã xác nhận hiển thị",
    ):
        assert text in page, text
    assert (
        files["notices/1.qr.svg"].startswith("<svg")
        and "<desc>https://loa.example.gov.vn/notices/1.html</desc>" in files["notices/1.qr.svg"]
    )
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
    assert ld["@type"] == "Article" and ld["about"]["legislationIdentifier"] == "3627/KH-UBND"
    assert ld["about"]["legislationPassedBy"]["name"] == "UBND tỉnh Cao Bằng" and ld["inLanguage"] == "vi"
    assert ld["audio"][0]["contentUrl"] == "https://loa.example.gov.vn/radio/audio/notice-1-v1-vi.mp3"


def test_withdrawn_expired_and_superseded_are_marked_and_linked(files):
    assert "Thông báo này đã bị thu hồi</strong> ngày 24 tháng 11 năm 2026" in files["notices/3.html"]
    assert "Thông báo này đã hết hiệu lực</strong> ngày 15 tháng 11 năm 2026" in files["notices/5.html"]
    old = files["notices/4/v1.html"]
    assert "Đây là phiên bản 1, đã được thay thế." in old and 'href="../../notices/4.html"' in old
    assert 'href="../notices/4/v1.html">Phiên bản 1 (đã được thay thế)' in files["notices/4.html"]
    # current lists drop withdrawn and expired notices; the month archive keeps them, marked
    for listing in (files["index.html"], files["areas/cao-bang/nam-tuan/index.html"]):
        assert "notices/3.html" not in listing and "notices/5.html" not in listing
    archive = files["areas/cao-bang/nam-tuan/2026-11.html"]
    assert "notices/3.html" in archive and "badge-withdrawn" in archive
    assert "notices/4.html" in files["areas/cao-bang/nam-tuan/2026-10.html"]  # filed by first publication


def test_emergency_banner_on_home_and_on_the_areas_it_concerns(files):
    for page in (
        "index.html",
        "areas/cao-bang/index.html",
        "areas/cao-bang/nam-tuan/index.html",
        "areas/cao-bang/bach-dang/index.html",
    ):
        assert 'class="banner emergency"' in files[page] and "Cảnh báo lũ quét" in files[page], page
    for page in ("areas/cao-bang/ha-quang/index.html", "areas/cao-bang/hoa-an/index.html"):
        assert 'class="banner emergency"' not in files[page], page


def test_area_pages_follow_the_tree_and_link_bulletins(files):
    commune = files["areas/cao-bang/nam-tuan/index.html"]
    assert "Thông báo cho xã Nam Tuấn" in commune
    assert 'href="../../../print/cao-bang/nam-tuan/current.pdf"' in commune
    assert "Bản tin tuần 47/2026" in commune
    assert 'href="../../../areas/cao-bang/index.html">Tỉnh Cao Bằng' in commune  # breadcrumb item, capitalised
    province = files["areas/cao-bang/index.html"]
    assert ">Xã Bạch Đằng</a></li>" in province and "Chưa có bản tin in" in province  # a list item starts capitalised
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
        assert first.title == "[Đã bị thu hồi] Thông báo lịch tiếp công dân xã Nam Tuấn"  # the newest change
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
        commune = feedparser.parse(files[f"areas/cao-bang/nam-tuan/{kind}.xml"])
        assert sorted(e.link.rsplit("/", 1)[1] for e in commune.entries) == [
            "1.html",
            "2.html",
            "3.html",
            "4.html",
            "6.html",
        ]


def test_feeds_keep_the_newest_and_stay_well_formed_with_control_characters():
    entries = many(FEED_SIZE + 20) + [replace(many(1, start=9)[0], title="Tiêu đề\x0b có\x00 ký tự điều khiển")]
    files = SiteBuilder(SITE, TREE).plan(entries, [], now=NOW).files
    for kind in ("atom", "rss"):
        parsed = feedparser.parse(files[f"{kind}.xml"])
        assert parsed.bozo == 0 and len(parsed.entries) == FEED_SIZE
        ET.fromstring(files[f"{kind}.xml"])
    assert any(e.title == "Tiêu đề có ký tự điều khiển" for e in feedparser.parse(files["atom.xml"]).entries)


def read_public_listing(root) -> tuple[dict, dict[int, dict]]:
    """What another program does with the listing: read notices.json, then every month part it links."""
    index = json.loads((root / "notices.json").read_text(encoding="utf-8"))
    notices, base = {}, index["site"]["url"] + "/"
    for part in index["months"]:
        assert part["url"].startswith(base)
        data = json.loads((root / part["url"].removeprefix(base)).read_text(encoding="utf-8"))
        assert (data["schema"], data["schema_version"], data["month"]) == ("loa.site.listing.month", 2, part["month"])
        assert len(data["notices"]) == part["count"]
        assert [n["id"] for n in data["notices"]] == sorted((n["id"] for n in data["notices"]), reverse=True)
        notices |= {n["id"]: n for n in data["notices"]}
    return index, notices


def test_sitemap_listing_and_search_index(tmp_path, files):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {
        e.find("s:loc", ns).text: e.find("s:lastmod", ns)
        for e in ET.fromstring(files["sitemap.xml"]).findall("s:url", ns)
    }
    assert urls["https://loa.example.gov.vn/notices/3.html"].text == "2026-11-24"  # withdrawn on the 24th
    assert urls["https://loa.example.gov.vn/index.html"].text == "2026-11-24"
    assert urls["https://loa.example.gov.vn/areas/cao-bang/nam-tuan/index.html"] is None
    write_files(tmp_path, files)
    index, notices = read_public_listing(tmp_path)
    assert (index["schema"], index["schema_version"], index["count"]) == ("loa.site.listing", 2, 6)
    assert [(m["month"], m["count"]) for m in index["months"]] == [("2026-11", 5), ("2026-10", 1)]  # newest first
    statuses = {i: n["status"] for i, n in notices.items()}
    assert statuses == {1: "current", 2: "current", 3: "withdrawn", 4: "current", 5: "expired", 6: "current"}
    assert notices[1]["area_names"] == ["tỉnh Cao Bằng"] and notices[1]["document"]["number"] == "3627/KH-UBND"
    assert notices[1]["url"] == "https://loa.example.gov.vn/notices/1.html"
    assert [n["id"] for n in json.loads(files["notices/2026-10.json"])["notices"]] == [4]  # filed by first publication
    search = json.loads(files["search-index.json"])
    assert search["fields"][:3] == ["id", "status", "title"]
    assert {row[0]: row[1] for row in search["items"]} == statuses
    assert "Sitemap: https://loa.example.gov.vn/sitemap.xml" in files["robots.txt"]


def test_the_public_listing_reads_back_as_the_same_entries(tmp_path, files):
    write_files(tmp_path, files)
    entries, _ = sample()
    _, notices = read_public_listing(tmp_path)
    assert {i: Entry.from_json(n) for i, n in notices.items()} == {e.id: e for e in entries}


def remembered(tmp_path, files, entries) -> SiteMemory:
    """The private index of a site written by a full plan, as the website channel leaves it."""
    builder = SiteBuilder(SITE, TREE)
    cat = Catalogue.of(entries, TREE, SITE.tz, NOW)
    plan = builder.plan(cat, [], now=NOW)
    assert plan.files["notices.json"] == files["notices.json"]
    write_files(tmp_path / "site", plan.files)
    memory = SiteMemory.create(tmp_path / "memory.sqlite3", tmp_path / "site")
    memory.save(cat, plan, site_url=SITE.url, key=areas_key(TREE), everything=True)
    return memory


def test_a_plan_from_the_private_index_equals_a_full_plan_file_for_file(tmp_path, files):
    entries, _ = sample()
    remembered(tmp_path, files, entries).close()
    builder = SiteBuilder(SITE, TREE)
    # 20 days earlier notice 5 had not expired: its lines are made afresh, its month part rewritten
    for now, fresh in ((NOW, []), (NOW - timedelta(days=20), [5])):
        memory = SiteMemory.open(tmp_path / "memory.sqlite3", tmp_path / "site", SITE.url, areas_key(TREE))
        assert memory.stale(micros(now)) == fresh
        cat = memory.catalogue(TREE, SITE.tz, now, {})
        assert [b.id for b in cat.fresh] == fresh
        plan = builder.plan(cat, [], now=now, touch=Touch(set(), set()))
        full = builder.plan(entries, [], now=now).files
        assert {k: v for k, v in plan.files.items() if k in full} == {k: full[k] for k in plan.files}
        assert ("notices/2026-11.json" in plan.files) == bool(fresh) and "notices/2026-10.json" not in plan.files
        memory.close()
    memory = SiteMemory.open(tmp_path / "memory.sqlite3", tmp_path / "site", SITE.url, areas_key(TREE))
    changed = replace(entries[0], title="Kế hoạch đã sửa")  # a changed notice's lines are never reused
    cat = memory.catalogue(TREE, SITE.tz, NOW, {changed.id: changed})
    plan = builder.plan(cat, [], now=NOW, touch=builder.touch_for(changed, entries[0]))
    assert "Kế hoạch đã sửa" in plan.files["notices/2026-11.json"] and set(plan.fresh) == {changed.id}
    assert plan.files["index.html"] == builder.plan([changed, *entries[1:]], [], now=NOW).files["index.html"]


def test_the_private_index_is_trusted_only_for_the_site_it_describes(tmp_path, files):
    entries, _ = sample()
    remembered(tmp_path, files, entries).close()
    path, root = tmp_path / "memory.sqlite3", tmp_path / "site"
    assert SiteMemory.open(path, root, SITE.url, areas_key(TREE)) is not None
    assert SiteMemory.open(path, root, "https://another.example", areas_key(TREE)) is None  # another site
    assert SiteMemory.open(path, root, SITE.url, "another areas.yaml") is None
    assert SiteMemory.open(tmp_path / "none.sqlite3", root, SITE.url, areas_key(TREE)) is None  # first run
    listing = (root / "notices.json").read_text()
    (root / "notices.json").write_text(listing.replace('"count":', '"count": ', 1))
    assert (root / "notices.json").read_text() != listing
    assert SiteMemory.open(path, root, SITE.url, areas_key(TREE)) is None  # a site it did not write (restored, edited)
    (root / "notices.json").unlink()
    assert SiteMemory.open(path, root, SITE.url, areas_key(TREE)) is None  # a wiped site
    path.write_bytes(b"not a database" * 100)
    for name in ("memory.sqlite3-wal", "memory.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    assert SiteMemory.open(path, root, SITE.url, areas_key(TREE)) is None  # a damaged file
    SiteMemory.create(path, root).close()  # is replaced by an empty one


def test_a_commune_notice_touches_only_its_branch_of_the_tree():
    builder = SiteBuilder(SITE, TREE)
    entries, pages = sample()
    new = replace(entries[0], id=7, areas=("cao-bang/bach-dang",), first_published_at=NOW, published_at=NOW)
    touch = builder.touch_for(new, None)
    assert touch.areas == {"cao-bang", "cao-bang/bach-dang"}
    files = builder.plan(entries + [new], [replace(pages[0], entry=new)], now=NOW, touch=touch).files
    touched_areas = {k.rsplit("/", 1)[0] for k in files if k.startswith("areas/")}
    assert touched_areas == {f"areas/{a}" for a in touch.areas}
    assert not any("nam-tuan" in k or "ha-quang" in k for k in files)
    assert {k for k in files if k.startswith("areas/") and re.search(r"\d{4}-\d{2}\.html$", k)} == {
        f"areas/{a}/2026-11.html" for a in touch.areas
    }
    assert {k for k in files if k.startswith("notices/") and not k.endswith(".json")} == {
        "notices/7.html",
        "notices/7.qr.svg",
    }
    # a province-wide notice reaches every area page
    assert builder.touch_for(replace(new, areas=("cao-bang",)), None).areas == set(AREAS)


def test_moving_a_notice_touches_the_areas_it_left(files):
    builder = SiteBuilder(SITE, TREE)
    entries, _ = sample()
    old = entries[2]
    moved = replace(old, areas=("cao-bang/ha-quang",))
    assert "cao-bang/nam-tuan" in builder.touch_for(moved, old).areas


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
    assert root_for("areas/cao-bang/nam-tuan/index.html") == "../../.."


def test_lists_are_capped_and_point_to_the_archives():
    entries = many(120)
    files = SiteBuilder(SITE, TREE).plan(entries, [], now=NOW, touch=Touch()).files
    home = files["index.html"]
    assert home.count('class="item ') == 50 and "Và 70 thông báo khác" in home
    months = {k for k in files if re.fullmatch(r"areas/cao-bang/\d{4}-\d{2}\.html", k)}
    assert months == {"areas/cao-bang/2026-11.html", "areas/cao-bang/2026-10.html"}
    assert sum(files[m].count('class="item ') for m in months) == 120  # every notice is reachable without JS


def test_entry_round_trips_through_json():
    (entry,) = many(1)
    assert Entry.from_json(json.loads(json.dumps(entry.to_json(SITE, TREE, NOW)))) == entry


@pytest.mark.parametrize(
    "url,label",
    [
        ("https://caobang.gov.vn/van-ban/3627-kh-ubnd", "Văn bản gốc"),
        ("https://cchc.caobang.example/van-ban/512-qd-ubnd.pdf", "Văn bản gốc"),
        ("https://vbpl.vn/caobang/Pages/vbpq-toanvan.aspx?ItemID=1", "Văn bản gốc"),
        ("https://baochinhphu.vn/cao-bang-day-manh-thanh-toan-truc-tuyen-102250403.htm", "Nguồn tin"),
        ("https://cchc.caobang.example/tin-tuc/lay-y-kien-cu-tri.html", "Nguồn tin"),
        (None, "Nguồn tin"),
    ],
)
def test_source_link_says_what_it_leads_to(url, label):
    from loa.site.build import source_label

    assert source_label(url) == label
