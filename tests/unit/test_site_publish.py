"""The website channel against a real store: incremental publishing, versions, withdrawal, one writer."""

from __future__ import annotations

import json
import marshal
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from channels.website import Website
from loa.model import Classification, DocumentMeta, NoticeState, Priority
from loa.render import Renderer
from loa.site.memory import FILE as MEMORY_FILE
from loa.store import Store
from loa.store.schema import NoticeVersionRow
from tests.unit.test_site_build import read_public_listing
from tests.unit.test_store import FEED, entry

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # after every approval the test makes: nothing has expired


def approve(
    store: Store,
    ident: str,
    areas: list[str],
    title: str = "Kế hoạch cải cách hành chính",
    summary: str = "<p>Nội dung</p>",
    priority: Priority = Priority.NORMAL,
):
    meta = DocumentMeta(number="12/KH-UBND", doc_type="Kế hoạch", issuer="UBND tỉnh Cao Bằng")
    change = store.record_entry(
        FEED, entry(title=title, summary=summary, ident=ident), Classification(True, 3, (), (), meta)
    )
    variants = Renderer(board_max_chars=600).variants(
        title=title, summary_html=summary, meta=meta, source_url="https://example.gov.vn/1", area_names=areas
    )
    n = store.draft_notice(change.document_version_id, areas=areas, variants=variants, priority=priority)
    return store.transition(n.id, "approve", "Nông Thị Hoa")


@pytest.fixture
def site(cfg):
    store = Store.open(cfg.database_url)
    return Website(cfg, store), store, cfg.home / "site"


def test_first_publish_builds_the_site_then_each_publish_touches_only_its_branch(site):
    web, store, root = site
    a = approve(store, "urn:a", ["cao-bang/nam-tuan"])
    first = web.publish(a.id, NOW)
    assert "index.html" in first.written and "areas/cao-bang/ha-quang/index.html" in first.written  # a full build
    b = approve(store, "urn:b", ["cao-bang/bach-dang"], title="Thông báo tiếp công dân")
    second = web.publish(b.id, NOW)
    written = set(second.written)
    assert {
        f"notices/{b.id}.html",
        f"notices/{b.id}.qr.svg",
        "index.html",
        "atom.xml",
        "rss.xml",
        "sitemap.xml",
        "notices.json",
        "search-index.json",
        "areas/cao-bang/bach-dang/index.html",
        "areas/cao-bang/bach-dang/atom.xml",
        "areas/cao-bang/index.html",
    } <= written
    assert not any("nam-tuan" in p or "ha-quang" in p or p == f"notices/{a.id}.html" for p in written), written
    assert list(read_public_listing(root)[1]) == [b.id, a.id]
    assert "Thông báo tiếp công dân" in (root / "areas/cao-bang/index.html").read_text()
    assert "Thông báo tiếp công dân" not in (root / "areas/cao-bang/nam-tuan/index.html").read_text()


def test_a_new_version_replaces_the_page_and_keeps_the_old_one_linked(site):
    web, store, root = site
    v1 = approve(store, "urn:doc", ["cao-bang"], summary="<p>Mười thủ tục</p>")
    web.publish(v1.id, NOW)
    v2 = approve(store, "urn:doc", ["cao-bang"], summary="<p>Mười hai thủ tục</p>")
    assert (v2.id, v2.version) == (v1.id, 2)
    web.publish(v2.id, NOW)
    current = (root / f"notices/{v1.id}.html").read_text()
    old = (root / f"notices/{v1.id}/v1.html").read_text()
    assert "Mười hai thủ tục" in current and 'data-version="2"' in current and f"notices/{v1.id}/v1.html" in current
    assert "Mười thủ tục" in old and "đã được thay thế" in old and f'href="../../notices/{v1.id}.html"' in old
    assert read_public_listing(root)[1][v1.id]["versions"] == [1]


def test_a_pending_draft_never_shows_the_published_version_stays(site):
    web, store, root = site
    v1 = approve(store, "urn:doc", ["cao-bang"], summary="<p>Bản đã duyệt</p>")
    web.publish(v1.id, NOW)
    change = store.record_entry(
        FEED, entry(summary="<p>Bản nháp chưa duyệt</p>", ident="urn:doc"), Classification(True, 3)
    )
    store.draft_notice(
        change.document_version_id, areas=["cao-bang"], variants={"website": "<p>Bản nháp chưa duyệt</p>"}
    )
    web.rebuild(NOW)
    page = (root / f"notices/{v1.id}.html").read_text()
    assert "Bản đã duyệt" in page and "Bản nháp" not in page
    assert not (root / f"notices/{v1.id}/v2.html").exists()


def test_withdrawn_page_stays_marked_and_leaves_current_lists(site):
    web, store, root = site
    n = approve(store, "urn:w", ["cao-bang"], priority=Priority.EMERGENCY, title="Cảnh báo lũ")
    web.publish(n.id, NOW)
    assert 'class="banner emergency"' in (root / "index.html").read_text()
    store.transition(n.id, "withdraw", "Nông Thị Hoa")
    web.publish(n.id, NOW)
    page = (root / f"notices/{n.id}.html").read_text()
    assert "Thông báo này đã bị thu hồi" in page and "ngày" in page.split("thu hồi</strong>")[1][:30]
    home = (root / "index.html").read_text()
    assert f"notices/{n.id}.html" not in home and "banner emergency" not in home
    month = next((root / "areas/cao-bang").glob("20*.html")).read_text()
    assert f"notices/{n.id}.html" in month and "Đã bị thu hồi" in month


def expire(store: Store, notice_id: int, at: datetime) -> None:
    with store.session() as s:
        s.execute(update(NoticeVersionRow).where(NoticeVersionRow.notice_id == notice_id).values(expires_at=at))


def memory_rows(cfg) -> list:
    """The private index's content: listing lines, Briefs with the status written, what it records of the site."""
    with sqlite3.connect(cfg.home / MEMORY_FILE) as db:
        [(briefs,)] = db.execute("SELECT data FROM briefs").fetchall()
        return [
            db.execute("SELECT * FROM lines ORDER BY id").fetchall(),
            marshal.loads(briefs),
            db.execute("SELECT * FROM meta ORDER BY key").fetchall(),
        ]


def test_incremental_publishing_ends_where_a_full_rebuild_does(site, cfg):
    web, store, root = site
    ids = [
        approve(store, f"urn:{i}", [area], title=f"Thông báo {i}").id
        for i, area in enumerate(
            ["cao-bang", "cao-bang/nam-tuan", "cao-bang/truong-ha", "cao-bang", "cao-bang/bach-dang"]
        )
    ]
    expire(store, ids[4], NOW + timedelta(days=1))
    for nid in ids:
        web.publish(nid, NOW)
    store.transition(ids[1], "withdraw", "Nông Thị Hoa")
    web.publish(ids[1], NOW)
    again = approve(store, "urn:0", ["cao-bang"], title="Thông báo 0 (sửa đổi)")
    web.publish(again.id, NOW)
    later = NOW + timedelta(days=2)  # notice 4 has expired since it was written; this publish redoes its pages too
    last = approve(store, "urn:5", ["cao-bang/ha-quang"], title="Thông báo 5").id
    report = web.publish(last, later)
    assert f"notices/{ids[4]}.html" in report.written and "areas/cao-bang/bach-dang/index.html" in report.written
    incremental = memory_rows(cfg)
    report = web.rebuild(later)
    assert report.written == [], f"the incremental site differs from a rebuild in {report.written}"
    assert memory_rows(cfg) == incremental  # and so does the private index
    _, listed = read_public_listing(root)
    assert listed[ids[4]]["status"] == "expired" and listed[ids[1]]["status"] == "withdrawn" and len(listed) == 6


def test_refresh_marks_what_expired_and_writes_nothing_otherwise(site):
    web, store, root = site
    a = approve(store, "urn:a", ["cao-bang/nam-tuan"], title="Lịch tiêm phòng")
    expire(store, a.id, NOW + timedelta(hours=1))
    web.publish(a.id, NOW)
    assert "Lịch tiêm phòng" in (root / "areas/cao-bang/nam-tuan/index.html").read_text()
    assert web.refresh(NOW).written == []  # nothing expired since it was written
    report = web.refresh(NOW + timedelta(hours=2))
    assert {
        f"notices/{a.id}.html",
        "index.html",
        "areas/cao-bang/nam-tuan/index.html",
        "areas/cao-bang/index.html",
        "search-index.json",
    } <= set(report.written)
    assert "Thông báo này đã hết hiệu lực" in (root / f"notices/{a.id}.html").read_text()
    assert "Lịch tiêm phòng" not in (root / "areas/cao-bang/nam-tuan/index.html").read_text()
    assert read_public_listing(root)[1][a.id]["status"] == "expired"
    assert web.refresh(NOW + timedelta(hours=3)).written == []


def test_a_publish_that_stops_halfway_is_followed_by_a_full_rebuild(site):
    web, store, root = site
    a = approve(store, "urn:a", ["cao-bang"])
    web.publish(a.id, NOW)
    (root / "areas/cao-bang/ha-quang").rename(root / "ha-quang.moved")
    (root / "areas/cao-bang/ha-quang").write_text("a file where the folder should be")
    b = approve(store, "urn:b", ["cao-bang"], title="Thông báo toàn tỉnh")
    with pytest.raises(OSError):
        web.publish(b.id, NOW)  # some files written, the area pages under ha-quang not
    (root / "areas/cao-bang/ha-quang").unlink()
    (root / "ha-quang.moved").rename(root / "areas/cao-bang/ha-quang")
    c = approve(store, "urn:c", ["cao-bang/nam-tuan"])
    report = web.publish(c.id, NOW)  # the private index no longer matches the site: everything is redone
    assert "areas/cao-bang/ha-quang/index.html" in report.written
    assert "Thông báo toàn tỉnh" in (root / "areas/cao-bang/ha-quang/index.html").read_text()
    assert web.rebuild(NOW).written == []


def test_rows_lost_from_the_search_index_are_made_again_a_lost_entry_rebuilds(site, cfg):
    web, store, root = site
    for i, area in enumerate(["cao-bang", "cao-bang", "cao-bang/nam-tuan"]):
        web.publish(approve(store, f"urn:{i}", [area], title=f"Thông báo {i}").id, NOW)
    index = root / "search-index.json"
    index.write_bytes(
        b"\n".join(line for line in index.read_bytes().split(b"\n") if "Thông báo 1".encode() not in line)
    )
    report = web.publish(approve(store, "urn:3", ["cao-bang/ha-quang"], title="Thông báo 3").id, NOW)
    assert "areas/cao-bang/nam-tuan/index.html" not in report.written  # no rebuild: the row is made again
    assert web.rebuild(NOW).written == [] and len(json.loads(index.read_bytes())["items"]) == 4
    with sqlite3.connect(cfg.home / MEMORY_FILE) as db:
        db.execute("DELETE FROM lines WHERE id = (SELECT min(id) FROM lines)")  # a notice the index cannot show
    report = web.publish(approve(store, "urn:4", ["cao-bang/ha-quang"], title="Thông báo 4").id, NOW)
    assert report.unchanged > 40 and web.rebuild(NOW).written == []  # a full rebuild


def test_a_lost_private_index_makes_the_next_publish_rebuild_everything(site, cfg):
    web, store, root = site
    a = approve(store, "urn:a", ["cao-bang"])
    web.publish(a.id, NOW)
    (cfg.home / MEMORY_FILE).unlink()
    b = approve(store, "urn:b", ["cao-bang"])
    report = web.publish(b.id, NOW)
    assert (cfg.home / MEMORY_FILE).exists() and list(read_public_listing(root)[1]) == [b.id, a.id]
    everything = web.rebuild(NOW)
    assert everything.written == [] and len(report.written) + report.unchanged > everything.unchanged  # + a new QR code


def test_a_lost_listing_makes_the_next_publish_rebuild_everything(site):
    web, store, root = site
    a = approve(store, "urn:a", ["cao-bang"])
    web.publish(a.id, NOW)
    (root / "notices.json").unlink()
    b = approve(store, "urn:b", ["cao-bang"])
    web.publish(b.id, NOW)
    assert list(read_public_listing(root)[1]) == [b.id, a.id]


def test_concurrent_publishes_lose_no_notice(site, cfg):
    web, store, root = site
    a, b = approve(store, "urn:a", ["cao-bang"]), approve(store, "urn:b", ["cao-bang"])
    web.publish(a.id, NOW)
    c, d = approve(store, "urn:c", ["cao-bang/ha-quang"]), approve(store, "urn:d", ["cao-bang/nam-tuan"])
    errors = []

    def run(nid):
        try:
            Website(cfg, Store.open(cfg.database_url)).publish(nid, NOW)  # as two flow runs would
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(nid,)) for nid in (b.id, c.id, d.id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(read_public_listing(root)[1]) == sorted([a.id, b.id, c.id, d.id])


def test_dispatch_and_withdraw_report_deliveries(site):
    web, store, root = site
    n = approve(store, "urn:a", ["cao-bang"])
    [result] = web.dispatch(n, ["site"])
    assert result.ok and result.target == "site" and f"/notices/{n.id}.html" in result.detail
    (root / "notices").rename(root / "notices.moved")
    (root / "notices").write_text("a file where the folder should be")  # fails for root too, unlike chmod
    n2 = approve(store, "urn:b", ["cao-bang"])
    [bad] = web.dispatch(n2, ["site"])
    assert not bad.ok and bad.target == "site" and "check disk space and permissions" in bad.detail


def test_an_embargoed_version_stays_off_the_site_and_off_the_bulletin(site, cfg):
    from datetime import timedelta

    from sqlalchemy import update

    from channels.printed import Printed
    from loa.store.schema import NoticeVersionRow, utcnow

    web, store, root = site
    v1 = approve(store, "urn:doc", ["cao-bang"], summary="<p>Bản đang hiệu lực</p>")
    web.publish(v1.id, NOW)
    change = store.record_entry(
        FEED, entry(summary="<p>Bản sửa, chờ đến giờ đăng</p>", ident="urn:doc"), Classification(True, 3)
    )
    draft = store.draft_notice(
        change.document_version_id, areas=["cao-bang"], variants={"website": "<p>Bản sửa, chờ đến giờ đăng</p>"}
    )
    with store.session() as s:  # the desk's embargo: a publish time tomorrow
        s.execute(
            update(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == draft.id, NoticeVersionRow.version == 2)
            .values(publish_at=utcnow() + timedelta(days=1))
        )
    store.transition(draft.id, "approve", "Nông Thị Hoa")  # v1 stays live until v2 is published
    assert store.notice(v1.id, 1).state != NoticeState.SUPERSEDED
    web.rebuild(NOW)
    page = (root / f"notices/{v1.id}.html").read_text()
    assert "Bản đang hiệu lực" in page and "chờ đến giờ đăng" not in page and 'data-version="1"' in page
    assert not (root / f"notices/{v1.id}/v1.html").exists()
    emb = approve(store, "urn:later", ["cao-bang/nam-tuan"], title="Thông báo chưa đến giờ đăng")
    with store.session() as s:
        s.execute(
            update(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == emb.id)
            .values(publish_at=utcnow() + timedelta(days=1))
        )
    web.rebuild(NOW)
    assert not (root / f"notices/{emb.id}.html").exists()
    entries = [e for e, _ in Printed(cfg, store).live_items(utcnow())]
    assert emb.id not in {e.id for e in entries}
    # the bulletin carries v1 during v2's embargo, as the website does
    assert [(e.id, e.version) for e in entries if e.id == v1.id] == [(v1.id, 1)]


def test_a_rebuild_of_a_consistent_site_writes_nothing_whenever_it_runs(site):
    """A rebuild later in time (nothing expired in between) writes no file: no page, feed or listing carries the
    time of the run (areas with no notice used to date their feeds, and notices.json its generated_at, "now")."""
    web, store, _root = site
    web.publish(approve(store, "urn:a", ["cao-bang/nam-tuan"], title="Thông báo xã").id, NOW)
    assert web.rebuild(NOW + timedelta(minutes=5)).written == []
    assert web.rebuild(NOW + timedelta(hours=6)).written == []
