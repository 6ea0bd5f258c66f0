"""Feeds as real portals publish them, ingested over real HTTP on loopback: the full text of what a
feed only links, untitled gazette items, numbers in links, the văn bản's PDF, media-only items,
warnings instead of lost entries, and the same politeness and conditional GET as feeds."""

import pytest

from loa.config import Feed
from loa.ingest.fetch import FetchLimits, make_session
from loa.ingest.pipeline import ingest_feed
from loa.store import Store
from tests.portal import PortalServer, extraction_score, golden_pages

pytestmark = pytest.mark.integration
EXPECTED = {page.stem: exp for _kind, page, exp in golden_pages()}


@pytest.fixture
def portal():
    server = PortalServer()
    yield server
    server.close()


@pytest.fixture
def db(tmp_path):
    return Store.open(f"sqlite:///{tmp_path / 'loa.db'}")


def ingest(cfg, db, portal, kind, mode="auto"):
    feed = Feed(url=f"{portal.base}/{kind}/feed.xml", name=kind, area="cao-bang", fetch_article=mode)
    return ingest_feed(db, cfg, feed, session=make_session(), limits=FetchLimits(deadline=5, retries=0))


def notices_by_link(db, report):
    return {db.notice(n).source_url.rsplit("/", 1)[-1].rsplit(".", 1)[0]: db.notice(n) for n in report.drafted}


def test_news_feed_of_leads_drafts_notices_from_the_full_articles(cfg, db, portal):
    report = ingest(cfg, db, portal, "national")
    assert report.status == "ok" and report.articles == 2 and report.warnings == []
    assert [s["reason"] for s in report.skipped] == [
        "video only, no text to make a notice from",
        "images only, no text to make a notice from",
    ]
    notices = notices_by_link(db, report)
    assert set(notices) == {
        "nghi-dinh-mot-cua-thu-tuc-hanh-chinh-102250612",
        "chi-thi-cat-giam-thu-tuc-hanh-chinh-102250620",
    }
    for stem, n in notices.items():
        assert n.summary_html.endswith("một cửa liên thông.") or "30%" in n.summary_html  # the feed's lead stays
        for channel in ("website", "radio", "print"):
            recovered, left, missed, furniture = extraction_score(n.variants[channel], EXPECTED[stem])
            if channel != "radio":  # the read-aloud form spells numbers and abbreviations out
                assert missed == [], (channel, missed)
            assert furniture == [], (channel, furniture)
        assert "Minh họa" in n.variants["boards"] and "Nghị định quy định" not in n.variants["boards"]  # the lead only


def test_provincial_portal_pages_lose_their_furniture_and_keep_the_documents_files(cfg, db, portal):
    report = ingest(cfg, db, portal, "provincial")
    notices = notices_by_link(db, report)
    plan = notices["ke-hoach-cai-cach-hanh-chinh-nam-2026-1027"]
    for stem, n in notices.items():
        recovered, left, missed, furniture = extraction_score(n.variants["website"], EXPECTED[stem])
        assert (missed, furniture) == ([], [])
        assert not any(f in n.variants["radio"] for f in ("Lượt xem", "Thống kê truy cập", "Đang truy cập", "Tin khác"))
    assert plan.files == [
        f"{portal.base}/provincial/files/3627-kh-ubnd.pdf",
        f"{portal.base}/provincial/files/3627-kh-ubnd.doc",
    ]
    assert "3627-kh-ubnd.pdf" in plan.variants["website"]  # "Văn bản gốc" link on the web page
    # the page names the plan; the signer is only in its PDF
    assert (plan.meta.number, plan.meta.signer) == ("3627/KH-UBND", "Hoàng Văn Minh")


def test_gazette_items_without_titles_take_them_from_description_page_or_link(cfg, db, portal):
    report = ingest(cfg, db, portal, "gazette")
    assert report.entries == 3
    notices = {n.source_url.rsplit("/", 1)[-1]: n for n in (db.notice(i) for i in report.drafted)}
    decree = notices["nghi-dinh-so-118-2025-nd-cp-46012.htm"]
    assert decree.title.startswith("Nghị định số 118/2025/NĐ-CP về thực hiện thủ tục hành chính")  # the page's
    assert (decree.meta.number, decree.meta.signer, decree.meta.issued_on) == (
        "118/2025/NĐ-CP",
        "Trần Văn Bình",
        "2025-06-09",
    )
    decision = notices["quyet-dinh-so-1532-qd-btp-46087.htm"]
    assert decision.title.startswith("Quyết định về việc công bố thủ tục hành chính mới")  # the description's
    # the number from the link; date and signer from the PDF's first page (the page gives neither)
    assert (decision.meta.number, decision.meta.issued_on, decision.meta.signer) == (
        "1532/QĐ-BTP",
        "2025-06-10",
        "Lê Thị Thu Hà",
    )
    assert portal.hits("/gazette/van-ban/1532-qd-btp.pdf") == [None]
    assert portal.hits("/gazette/van-ban/118-2025-nd-cp.pdf") == []  # the page gave every fact


def test_a_page_that_cannot_be_fetched_is_a_warning_with_the_document_never_a_lost_entry(cfg, db, portal):
    from sqlalchemy import select

    from loa.store.schema import DocumentVersionRow

    report = ingest(cfg, db, portal, "gazette")
    with db.reading() as s:
        row = s.execute(
            select(DocumentVersionRow).where(DocumentVersionRow.link.like("%thong-tu-so-05-2025-tt-bnv-46120.htm"))
        ).scalar_one()
        title, warnings, meta = row.title, row.warnings, row.meta
    assert title == "Thông tư số 05/2025/TT-BNV"  # named for the number in its link
    assert meta["number"] == "05/2025/TT-BNV"
    assert len(warnings) == 1 and "Không tải được bài viết gốc" in warnings[0]
    assert "http_404: the server answered 404" in warnings[0] and "feeds.yaml" not in warnings[0]
    assert any(w.startswith("Thông tư số 05/2025/TT-BNV: Không tải được") for w in report.warnings)


def test_never_reads_no_page(cfg, db, portal):
    report = ingest(cfg, db, portal, "provincial", mode="never")
    assert report.articles == 0 and [p for p, _ in portal.requests] == ["/provincial/feed.xml"]
    n = db.notice(report.drafted[0])
    assert "Về cải cách tổ chức bộ máy" not in n.variants["website"]


def test_a_changed_entry_rereads_its_page_conditionally_and_keeps_the_text_on_304(cfg, db, tmp_path):
    import shutil

    from tests.portal import PORTALS

    shutil.copytree(PORTALS / "provincial", tmp_path / "provincial")
    portal = PortalServer(tmp_path)
    try:
        first = ingest(cfg, db, portal, "provincial")
        page = "/provincial/tin-tuc/ke-hoach-cai-cach-hanh-chinh-nam-2026-1027.html"
        assert portal.hits(page) == [None]
        # the portal amends the item's lead; its page is unchanged
        feed = tmp_path / "provincial/feed.xml"
        feed.write_bytes(feed.read_bytes().replace("sáu nhóm nhiệm vụ".encode(), "6 nhóm nhiệm vụ".encode()))
        second = ingest(cfg, db, portal, "provincial")
    finally:
        portal.close()
    assert second.updated == 1
    since = portal.hits(page)
    assert len(since) == 2 and since[1] is not None  # If-Modified-Since, and the server answered 304
    assert [code for path, code in portal.answers if path == page] == [200, 304]
    amended = db.notice(first.drafted[0])
    assert "6 nhóm nhiệm vụ" in amended.summary_html and "Về xây dựng chính quyền số" in amended.variants["website"]


def test_the_editor_sees_the_warning_in_loa_show_and_on_the_desk(tmp_path, monkeypatch):
    import json
    import re
    import shutil

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from loa.app.cli import app
    from loa.app.web import create_app
    from loa.config import Env, load_config
    from loa.store import users
    from tests.conftest import write_config
    from tests.portal import PORTALS

    folder = write_config(tmp_path / "config", feeds=[])
    env = {
        "LOA_HOME": str(tmp_path / "home"),
        "LOA_CONFIG_DIR": str(folder),
        "LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    db = Store.open(env["LOA_DATABASE_URL"])
    # the national feed's first page is gone: the notice is drafted from the lead, with a warning
    shutil.copytree(PORTALS / "national", tmp_path / "portal" / "national")
    (tmp_path / "portal/national/tin-tuc/nghi-dinh-mot-cua-thu-tuc-hanh-chinh-102250612.htm").unlink()
    portal = PortalServer(tmp_path / "portal")
    try:
        report = ingest(cfg, db, portal, "national")
    finally:
        portal.close()
    n = next(db.notice(i) for i in report.drafted if "102250612" in db.notice(i).source_url)
    assert len(n.warnings) == 1 and "http_404" in n.warnings[0]
    assert "118/2025/NĐ-CP" in n.variants["website"]  # the lead is all there is, and it is kept

    shown = CliRunner().invoke(app, ["show", str(n.id)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "warning: Không tải được bài viết gốc" in flat and "http_404" in flat
    as_json = json.loads(CliRunner().invoke(app, ["show", str(n.id), "--json"]).output)
    assert as_json["warnings"] == n.warnings

    users.add_user(db, "Lý Văn Tùng", "editor", "mật khẩu đủ dài 2026")
    client = TestClient(create_app(cfg), base_url="http://testserver", follow_redirects=False)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/desk/login").text).group(1)
    client.post(
        "/desk/login",
        data={"name": "Lý Văn Tùng", "password": "mật khẩu đủ dài 2026", "login_token": token, "next": "/desk/"},
    )
    desk_page = client.get(f"/desk/notices/{n.id}").text
    assert "Cảnh báo khi đọc nguồn tin" in desk_page and "Không tải được bài viết gốc" in desk_page


def test_an_item_linking_the_pdf_itself_takes_its_facts_from_the_pdf(cfg, db, tmp_path):
    import shutil

    from tests.portal import PORTALS

    (tmp_path / "cong-van").mkdir()
    shutil.copy(PORTALS / "gazette/van-ban/1532-qd-btp.pdf", tmp_path / "cong-van/1532.pdf")
    (tmp_path / "cong-van/feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Văn bản đến</title>'
        "<item><title></title><link>/cong-van/1532.pdf</link>"
        "<description>Công bố thủ tục hành chính mới trong lĩnh vực hộ tịch, thực hiện tại Bộ phận Một cửa cấp xã.</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    portal = PortalServer(tmp_path)
    try:
        report = ingest(cfg, db, portal, "cong-van")
    finally:
        portal.close()
    n = db.notice(report.drafted[0])
    assert n.title == "Công bố thủ tục hành chính mới trong lĩnh vực hộ tịch, thực hiện tại Bộ phận Một cửa cấp xã"
    assert (n.meta.number, n.meta.issued_on, n.meta.signer) == ("1532/QĐ-BTP", "2025-06-10", "Lê Thị Thu Hà")
    assert n.files == [f"{portal.base}/cong-van/1532.pdf"] and n.warnings == []
