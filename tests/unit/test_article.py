"""Feeds as they really are, decided without the network: which entries need their page, untitled
items, numbers in links, media-only items, the văn bản's PDF, and the per-feed setting."""

import hashlib

import pytest

from loa.config import Env, load_config
from loa.errors import ConfigError, FeedError
from loa.ingest.article import ArticleReader, Extracted, needs_article
from loa.ingest.fetch import FetchLimits, HostSlots
from loa.ingest.parse import number_from_link, parse_feed, title_from_text
from loa.ingest.pdfmeta import PdfError, meta_from_pdf, signer_of
from loa.model import Entry
from tests.conftest import write_config
from tests.portal import PORTALS

LEAD = "<p>UBND tỉnh ban hành Kế hoạch cải cách hành chính năm 2026 với sáu nhóm nhiệm vụ trọng tâm.</p>"
FULL = "<p>" + " ".join(["Ủy ban nhân dân xã niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa."] * 10) + "</p>"


def entry(title="Kế hoạch cải cách hành chính năm 2026", summary=LEAD, link="https://caobang.gov.vn/tin/1.html"):
    return Entry(
        identity=link or "urn:x",
        title=title,
        summary_html=summary,
        link=link,
        published=None,
        content_hash=hashlib.sha256((title + summary).encode()).hexdigest(),
    )


@pytest.mark.parametrize(
    "summary,title,mode,needed",
    [
        (LEAD, "Kế hoạch", "auto", True),  # a lead sentence
        (FULL, "Kế hoạch", "auto", False),  # the whole text is in the feed
        (
            "<p>Ủy ban nhân dân xã thông báo lịch tiếp nhận hồ sơ đăng ký hộ kinh doanh trong tháng 12.</p>"
            "<p>Người dân mang theo căn cước và giấy tờ liên quan khi đến Bộ phận Một cửa của xã.</p>"
            "<p>Thời gian: sáng từ 7 giờ 30 đến 11 giờ 30, chiều từ 13 giờ 30 đến 17 giờ các ngày làm việc.</p>",
            "Lịch tiếp nhận hồ sơ",
            "auto",
            False,
        ),  # short, but whole paragraphs: the whole text
        ("<p>UBND tỉnh ban hành kế hoạch.</p><p>Xem chi tiết.</p>", "Kế hoạch", "auto", True),  # too short to be all
        (FULL[:-4] + " Xem tiếp »</p>", "Kế hoạch", "auto", True),  # cut off with a "read more"
        (FULL[:-4] + "…</p>", "Kế hoạch", "auto", True),
        (FULL, "", "auto", True),  # no title: the page has one
        (FULL, "Kế hoạch", "always", True),
        (LEAD, "Kế hoạch", "never", False),
    ],
)
def test_which_entries_need_their_linked_page(summary, title, mode, needed):
    assert needs_article(entry(title=title, summary=summary), mode) is needed


def test_an_entry_without_a_link_never_needs_a_page():
    assert needs_article(entry(link=None), "always") is False


@pytest.mark.parametrize(
    "link,number",
    [
        ("https://congbao.example/van-ban/nghi-dinh-so-118-2025-nd-cp-46012.htm", "118/2025/NĐ-CP"),
        ("https://congbao.example/van-ban/quyet-dinh-so-1532-qd-btp-46087.htm", "1532/QĐ-BTP"),
        (
            "https://thuvienphapluat.vn/van-ban/Bo-may-hanh-chinh/Nghi-dinh-61-2018-ND-CP-mot-cua-385089.aspx",
            "61/2018/NĐ-CP",
        ),
        ("https://x.example/nghi-quyet-202-2025-qh15-sap-xep-don-vi-hanh-chinh.htm", "202/2025/QH15"),
        ("https://x.example/van-ban/quyet-dinh-19-2025-qd-ttg.htm", "19/2025/QĐ-TTg"),
        ("https://x.example/van-ban/nghi-quyet-35-2025-nq-hdnd.htm", "35/2025/NQ-HĐND"),
        ("https://caobang.example/tin/ke-hoach-3627-kh-ubnd.html", "3627/KH-UBND"),
        ("https://x.example/tin-tuc/ke-hoach-cai-cach-hanh-chinh-nam-2026-1027.html", None),  # an article id
        ("https://x.example/tin/1-2025-hd-nhung-dieu-can-biet.htm", None),  # words, not an issuer's initials
        (None, None),
    ],
)
def test_document_number_in_a_gazette_style_link(link, number):
    assert number_from_link(link) == number


def test_untitled_item_takes_the_first_sentence_of_its_description():
    assert (
        title_from_text("Quyết định công bố thủ tục hành chính mới. Áp dụng từ 1/7.")
        == "Quyết định công bố thủ tục hành chính mới"
    )
    long = "Quyết định " + "về việc công bố thủ tục hành chính " * 10
    cut = title_from_text(long)
    assert len(cut) <= 160 and cut.endswith("…") and not cut[:-1].endswith(" ")


def test_feeds_as_they_are_parsed():
    national = parse_feed((PORTALS / "national/feed.xml").read_bytes(), "http://127.0.0.1:1/national/feed.xml")
    assert [e.title for e in national.entries] == [
        "Nghị định mới về thực hiện thủ tục hành chính theo cơ chế một cửa",
        "Thủ tướng chỉ thị cắt giảm thủ tục hành chính liên quan đến hoạt động kinh doanh",
    ]
    assert [(s.title[:5], s.reason) for s in national.skipped] == [
        ("Video", "video only, no text to make a notice from"),
        ("Ảnh: ", "images only, no text to make a notice from"),
    ]
    gazette = parse_feed((PORTALS / "gazette/feed.xml").read_bytes(), "http://127.0.0.1:1/gazette/feed.xml")
    assert [(e.title[:22], e.found_meta.number) for e in gazette.entries] == [
        ("", "118/2025/NĐ-CP"),
        ("Quyết định về việc côn", "1532/QĐ-BTP"),
        ("", "05/2025/TT-BNV"),
    ]
    assert gazette.entries[0].found_meta.doc_type == "Nghị định" and gazette.entries[0].found_meta.issuer == "Chính phủ"


def test_a_feed_of_only_videos_is_not_malformed_its_items_are_skipped():
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Video</title>'
        "<item><title>Video: Hội nghị trực tuyến</title><link>https://x.example/video/1.htm</link>"
        '<enclosure url="https://x.example/1.mp4" type="video/mp4" length="1"/></item></channel></rss>'
    )
    parsed = parse_feed(rss.encode(), "https://x.example/rss")
    assert parsed.entries == [] and [s.reason for s in parsed.skipped] == ["video only, no text to make a notice from"]


def test_facts_from_the_first_page_of_a_real_pdf():
    meta = meta_from_pdf((PORTALS / "gazette/van-ban/1532-qd-btp.pdf").read_bytes())
    assert (meta.number, meta.doc_type, meta.issuer, meta.issued_on, meta.signer) == (
        "1532/QĐ-BTP",
        "Quyết định",
        "Bộ Tư pháp",
        "2025-06-10",
        "Lê Thị Thu Hà",
    )


def test_signer_under_the_signing_authority_not_a_name_in_the_text():
    page = (
        "Điều 3. Ông Nguyễn Văn An, Chánh Văn phòng chịu trách nhiệm thi hành.\nTM. ỦY BAN NHÂN DÂN\n"
        "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\nHoàng Văn Minh\nNơi nhận:\n- Như Điều 3;"
    )
    assert signer_of(page) == "Hoàng Văn Minh"
    assert signer_of("Không có chữ ký ở trang này.") is None


@pytest.mark.parametrize("content", [b"%PDF-1.7 truncated garbage", b"not a pdf at all"])
def test_an_unreadable_pdf_is_a_clear_error(content):
    with pytest.raises(PdfError, match="cannot be read|no text layer"):
        meta_from_pdf(content)


def test_fetch_article_is_validated_with_a_one_line_error(tmp_path):
    folder = write_config(
        tmp_path / "config",
        feeds=[{"url": "https://x.example/rss", "name": "x", "area": "cao-bang", "fetch_article": "sometimes"}],
    )
    with pytest.raises(ConfigError) as err:
        load_config(Env(home=tmp_path / "home", config_dir=folder))
    assert (
        str(err.value)
        == f"{folder / 'feeds.yaml'}: feeds[0].fetch_article: 'sometimes' must be one of auto, always, never"
    )
    folder = write_config(
        tmp_path / "ok",
        feeds=[
            {"url": "https://x.example/rss", "name": "x", "area": "cao-bang", "fetch_article": "never"},
            {"url": "https://y.example/rss", "name": "y", "area": "cao-bang"},
        ],
    )
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    assert [f.fetch_article for f in cfg.feeds] == ["never", "auto"]


def test_one_host_slot_per_host_for_feeds_and_pages_alike():
    slots = HostSlots(per_host=2)
    assert slots("https://caobang.gov.vn/rss") is slots("https://caobang.gov.vn/tin/1.html")
    assert slots("https://caobang.gov.vn/rss") is not slots("https://baochinhphu.vn/rss")


def test_an_extractor_crash_is_a_warning_and_the_entry_keeps_its_feed_text(monkeypatch):
    from loa.ingest import article
    from loa.ingest.fetch import FetchResult

    page = FetchResult(
        "https://x.example/a.htm", "https://x.example/a.htm", False, b"<html>...</html>", "text/html", None, None, 0.01
    )
    monkeypatch.setattr(article, "fetch", lambda *a, **k: page)

    def crash(*args):
        raise FeedError("https://x.example/a.htm", "internal_error", "Loa failed while reading this feed (KeyError)")

    reader = ArticleReader(
        session=None, limits=FetchLimits(), hosts=HostSlots(), extract_page=crash, read_pdf=lambda b: "unused"
    )
    (done,) = reader.complete([entry(link="https://x.example/a.htm")], "auto", {})
    assert done.summary_html == LEAD and done.body_html == "" and len(done.warnings) == 1
    assert "không có nội dung chính đọc được" in done.warnings[0]


def test_a_304_keeps_the_text_read_last_time(monkeypatch):
    from loa.ingest import article
    from loa.ingest.fetch import FetchResult

    sent = {}

    def fetch(url, etag=None, last_modified=None, **kw):
        sent.update(etag=etag, last_modified=last_modified)
        return FetchResult(url, url, True, b"", None, etag, last_modified, 0.01)

    monkeypatch.setattr(article, "fetch", fetch)
    link = "https://x.example/a.htm"
    old = (
        {"url": link, "etag": '"v1"', "last_modified": "Mon, 15 Dec 2025 01:00:00 GMT", "title": "", "attachments": []},
        "<p>Toàn văn đã đọc lần trước.</p>",
    )
    reader = ArticleReader(
        session=None,
        limits=FetchLimits(),
        hosts=HostSlots(),
        extract_page=lambda *a: Extracted(error="must not be called"),
        read_pdf=lambda b: "unused",
    )
    (done,) = reader.complete([entry(link=link)], "auto", {link: old})
    assert sent == {"etag": '"v1"', "last_modified": "Mon, 15 Dec 2025 01:00:00 GMT"}
    assert done.body_html == "<p>Toàn văn đã đọc lần trước.</p>" and done.warnings == ()


def test_no_validators_are_sent_when_the_last_read_kept_no_text(monkeypatch):
    from loa.ingest import article
    from loa.ingest.fetch import FetchResult

    sent = {}

    def fetch(url, etag=None, last_modified=None, **kw):
        sent.update(etag=etag, last_modified=last_modified)
        return FetchResult(url, url, False, b"<html><body><p>x</p></body></html>", "text/html", '"v2"', None, 0.01)

    monkeypatch.setattr(article, "fetch", fetch)
    link = "https://x.example/a.htm"
    failed_last_time = ({"url": link, "etag": '"v1"', "last_modified": None, "title": "", "attachments": []}, "")
    reader = ArticleReader(
        session=None,
        limits=FetchLimits(),
        hosts=HostSlots(),
        extract_page=lambda *a: Extracted(body_html="<p>Toàn văn.</p>", text="Toàn văn."),
        read_pdf=lambda b: "unused",
    )
    (done,) = reader.complete([entry(link=link)], "auto", {link: failed_last_time})
    assert sent == {"etag": None, "last_modified": None} and done.body_html == "<p>Toàn văn.</p>"


@pytest.mark.parametrize(
    "link,feed_url,ok",
    [
        ("https://baochinhphu.vn/a.htm", "https://baochinhphu.vn/rss", True),
        ("http://127.0.0.1:4200/api/admin", "https://baochinhphu.vn/rss", False),  # the Prefect API
        ("http://localhost:8000/desk/", "https://caobang.gov.vn/rss", False),
        ("http://192.168.1.10/router", "https://caobang.gov.vn/rss", False),
        ("http://169.254.169.254/latest/meta-data/", "https://caobang.gov.vn/rss", False),
        ("http://10.0.0.5/tin/1.html", "http://10.0.0.5/rss", True),  # an intranet portal's own pages
        ("http://127.0.0.1:8080/tin/1.html", "http://127.0.0.1:8080/feed.xml", True),
    ],
)
def test_a_feed_cannot_make_loa_fetch_private_addresses(link, feed_url, ok):
    from loa.ingest.article import reachable

    assert reachable(link, feed_url) is ok


def test_a_refused_link_is_a_warning_and_is_never_fetched(monkeypatch):
    from loa.ingest import article

    monkeypatch.setattr(article, "fetch", lambda *a, **k: pytest.fail("a private address was fetched"))
    reader = ArticleReader(
        session=None,
        limits=FetchLimits(),
        hosts=HostSlots(),
        extract_page=lambda *a: Extracted(error="unused"),
        read_pdf=lambda b: "unused",
    )
    (done,) = reader.complete([entry(link="http://127.0.0.1:4200/api")], "auto", {}, feed_url="https://x.gov.vn/rss")
    assert done.summary_html == LEAD and len(done.warnings) == 1 and "mạng nội bộ" in done.warnings[0]
