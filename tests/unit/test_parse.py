"""parse_feed against golden feeds (tests/data/feeds/NAME.* beside NAME.json), plus the properties behind them."""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
import unicodedata
from datetime import UTC
from pathlib import Path

import pytest

from loa.errors import FeedError
from loa.ingest.parse import canonical_url, decode_feed, parse_feed
from loa.ingest.sanitize import collapse_whitespace

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
GOLDEN = sorted(FEEDS.glob("*.json"))


def _feed_file(expected: Path) -> Path:
    (found,) = [p for p in FEEDS.glob(expected.stem + ".*") if p.suffix != ".json"]
    return found


def _as_json(parsed) -> dict:
    return {
        "title": parsed.title,
        "link": parsed.link,
        "warning": parsed.bozo_warning is not None,
        "entries": [
            {
                "identity": e.identity,
                "title": e.title,
                "link": e.link,
                "published": e.published.isoformat() if e.published else None,
                "summary_html": e.summary_html,
                "content_hash": e.content_hash,
            }
            for e in parsed.entries
        ],
    }


def _parse(name: str, url: str = "https://feeds.example/rss", content_type: str | None = None):
    return parse_feed((FEEDS / name).read_bytes(), url, content_type)


@pytest.mark.parametrize("expected_file", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_feed(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    content = _feed_file(expected_file).read_bytes()
    args = (content, expected["input"]["url"], expected["input"]["content_type"])
    if "error" in expected:
        with pytest.raises(FeedError) as caught:
            parse_feed(*args)
        assert (caught.value.reason, caught.value.transient) == (
            expected["error"]["reason"],
            expected["error"]["transient"],
        )
        assert caught.value.url == expected["input"]["url"]
        return
    got = _as_json(parse_feed(*args))
    assert got == {k: expected[k] for k in got}


def test_golden_set_covers_every_kind_of_feed() -> None:
    stems = {p.stem for p in GOLDEN}
    assert {
        "rss091",
        "rss10",
        "rss20",
        "atom",
        "bozo-recoverable",
        "windows-1258",
        "mislabelled-utf8",
        "truncated",
        "malformed",
        "html-page",
        "entity-bomb",
        "empty",
        "sample-reform",
        "relative-links",
    } <= stems


@pytest.mark.parametrize(
    "expected_file", [p for p in GOLDEN if "entries" in json.loads(p.read_text("utf-8"))], ids=lambda p: p.stem
)
def test_every_text_is_nfc_and_hash_is_title_plus_summary(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    parsed = parse_feed(
        _feed_file(expected_file).read_bytes(), expected["input"]["url"], expected["input"]["content_type"]
    )
    for e in parsed.entries:
        for text in (e.title, e.summary_html, parsed.title):
            assert unicodedata.is_normalized("NFC", text)
        digest = hashlib.sha256(f"{e.title}\n{collapse_whitespace(e.summary_html)}".encode()).hexdigest()
        assert e.content_hash == digest
        assert e.published is None or e.published.tzinfo == UTC


def test_windows_1258_combining_tone_marks_become_precomposed() -> None:
    raw = (FEEDS / "windows-1258.xml").read_bytes()
    assert "đơn giản hóa".encode() not in raw  # really a legacy file
    parsed = _parse("windows-1258.xml")
    assert parsed.entries[0].title == "Rà soát, đơn giản hóa thủ tục hành chính nội bộ"
    assert parsed.bozo_warning is None


def _without_declaration(name: str) -> bytes:
    return (FEEDS / name).read_bytes().split(b"?>", 1)[1]


def test_legacy_bytes_under_a_utf8_header_are_read_as_windows_1258_with_a_warning() -> None:
    parsed = parse_feed(_without_declaration("windows-1258.xml"), "https://x.example/rss", "text/xml; charset=utf-8")
    assert parsed.entries[0].title == "Rà soát, đơn giản hóa thủ tục hành chính nội bộ"
    assert "windows-1258" in parsed.bozo_warning


def test_a_right_xml_declaration_outweighs_a_wrong_http_charset() -> None:
    parsed = _parse("windows-1258.xml", content_type="application/rss+xml; charset=utf-8")
    assert parsed.title == "Huyện Bảo Lạc" and parsed.bozo_warning is None


def test_utf8_mislabelled_by_the_http_header_only() -> None:
    parsed = parse_feed(
        _without_declaration("rss20.xml"), "https://x.example/rss", "application/rss+xml; charset=iso-8859-1"
    )
    assert parsed.title == "Cổng thông tin điện tử & dịch vụ công"
    assert "iso-8859-1" in parsed.bozo_warning and "utf-8" in parsed.bozo_warning


@pytest.mark.parametrize(
    "body",
    [
        (FEEDS / "entity-bomb.xml").read_bytes(),
        # all on one line: defeats feedparser's own line-anchored entity filter
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        b"<rss><channel><item><title>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</title></item></channel></rss>",
        # quadratic blow-up: one big entity referenced many times
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x "'
        + b"x" * 50_000
        + b'">\n]>\n<rss><channel><item><title>'
        + b"&x;" * 50_000
        + b"</title></item></channel></rss>",
        # the same bomb in UTF-16, so a byte-level check alone would miss it
        (FEEDS / "entity-bomb.xml").read_text(encoding="utf-8").replace('<?xml version="1.0"?>', "").encode("utf-16"),
    ],
    ids=["billion-laughs", "one-line", "quadratic", "utf-16"],
)
def test_entity_bombs_are_refused_quickly_and_in_little_memory(body: bytes) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FeedError) as caught:
            parse_feed(body, "https://bomb.example/rss", "application/rss+xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "malformed" and "ENTITY" in caught.value.detail
    assert time.monotonic() - started < 2.0
    assert peak < 20 * len(body) + 2_000_000


def test_the_same_document_in_two_feeds_has_one_identity() -> None:
    link = "https://caobang.example/tin/ke-hoach-88.html"
    with_guid = f"""<rss version="2.0"><channel><title>A</title><item><title>Kế hoạch 88</title>
        <link>{link}</link><guid>http://www.caobang.example/tin/ke-hoach-88.html#top</guid></item></channel></rss>"""
    link_only = f"""<rss version="2.0"><channel><title>B</title><item><title>Kế hoạch 88</title>
        <link>{link}?utm_source=zalo&amp;utm_medium=social</link></item></channel></rss>"""
    a = parse_feed(with_guid.encode(), "https://a.example/rss").entries[0]
    b = parse_feed(link_only.encode(), "https://b.example/rss").entries[0]
    assert a.identity == b.identity == canonical_url(link)


def test_an_amended_entry_keeps_its_identity_but_changes_its_hash() -> None:
    def feed(summary: str) -> bytes:
        return f"""<rss version="2.0"><channel><title>T</title><item><title>Quyết định 512</title>
            <guid isPermaLink="false">qd-512</guid><description>{summary}</description></item></channel></rss>""".encode()

    first = parse_feed(feed("Có hiệu lực từ ngày 18/3/2025."), "https://x.example/rss").entries[0]
    again = parse_feed(feed("Có   hiệu lực từ ngày\n18/3/2025."), "https://x.example/rss").entries[0]
    amended = parse_feed(feed("Có hiệu lực từ ngày 01/4/2025."), "https://x.example/rss").entries[0]
    assert first.identity == again.identity == amended.identity == "qd-512"
    assert first.content_hash == again.content_hash  # whitespace is not an amendment
    assert first.content_hash != amended.content_hash


def test_relative_links_resolve_against_the_feed_url_and_never_to_a_file_url() -> None:
    body = """<rss version="2.0"><channel><title>T</title><link>/</link><item><title>Kế hoạch 7</title>
        <link>/tin/7.html</link><description><![CDATA[<a href="../van-ban/7.pdf">Toàn văn</a>]]></description>
        </item></channel></rss>""".encode()
    parsed = parse_feed(body, "https://ubnd.caobang.example/rss/tin.rss")
    (entry,) = parsed.entries
    assert parsed.link == "https://ubnd.caobang.example/"
    assert entry.link == entry.identity == "https://ubnd.caobang.example/tin/7.html"
    assert 'href="https://ubnd.caobang.example/van-ban/7.pdf"' in entry.summary_html
    # a feed read from disk has no web address to resolve against: no link rather than a wrong one
    (local,) = parse_feed(body, "file:///srv/feeds/tin.rss").entries
    assert local.link is None and "href" not in local.summary_html and "Toàn văn" in local.summary_html


def test_leading_whitespace_and_bom_before_the_declaration_are_tolerated() -> None:
    body = b"\xef\xbb\xbf\n\n  " + (FEEDS / "rss20.xml").read_bytes()
    parsed = parse_feed(body, "https://www.caobang.example/rss/tin-tuc.rss")
    assert parsed.bozo_warning is None and len(parsed.entries) == 4


def test_decode_feed_prefers_valid_utf8_then_the_declaration_then_windows_1258() -> None:
    assert decode_feed("<rss>Đề Thám</rss>".encode(), "text/xml; charset=windows-1252") == (
        "<rss>Đề Thám</rss>",
        "the feed declares its encoding as windows-1252 but is utf-8; read as utf-8",
    )
    assert decode_feed(b"<rss>abc</rss>", "text/xml; charset=windows-1258") == ("<rss>abc</rss>", None)
    assert decode_feed("<rss>Đề</rss>".encode("utf-16"), "text/xml; charset=utf-8") == ("<rss>Đề</rss>", None)
    assert decode_feed("<rss>Đà Lạt</rss>".encode("iso-8859-1", "replace"), None)[1].endswith("read as windows-1258")


def test_canonical_url() -> None:
    assert canonical_url("HTTP://WWW.CaoBang.example:80/a?utm_source=x&id=1#frag") == "https://caobang.example/a?id=1"
    assert canonical_url("https://caobang.example:8443") == "https://caobang.example:8443/"
