"""The desk's queries and changes on SQLite and PostgreSQL: filters, search, pages, counts, audited edits."""

from datetime import UTC, datetime, timedelta

import pytest

from loa.errors import InvalidTransition, NotFound
from loa.model import Classification, DocumentMeta, NoticeState, Priority
from loa.store import Store, desk
from loa.store.desk import EditConflict, QueueFilter, fold, text_hash
from loa.store.schema import utcnow
from tests.unit.test_store import entry

OTHER_FEED = "http://127.0.0.1/other.xml"


def make(
    store: Store,
    i: int,
    *,
    title=None,
    areas=("cao-bang",),
    feed="http://127.0.0.1/feed.xml",
    content_areas=("procedures",),
    number=None,
    priority=Priority.NORMAL,
):
    cls = Classification(
        True,
        4.0,
        ("từ khóa “thủ tục hành chính” (+2.5)",),
        tuple(content_areas),
        DocumentMeta(number=number or f"{i}/QĐ-UBND", doc_type="Quyết định", issuer="UBND tỉnh Cao Bằng"),
    )
    change = store.record_entry(feed, entry(title=title or f"Thông báo số {i}", ident=f"urn:doc:{i}"), cls)
    return store.draft_notice(
        change.document_version_id,
        areas=list(areas),
        priority=priority,
        variants={
            "website": "<p>Nội dung</p>",
            "boards": "Bảng tin",
            "radio": "Kính thưa bà con",
            "print": "<p>In</p>",
        },
    )


def test_fold_ignores_case_and_vietnamese_marks():
    assert fold("Kế hoạch ĐỀ ÁN  Cải cách") == "ke hoach de an cai cach"


def test_queue_filters_search_and_pages(store):
    a = make(
        store,
        1,
        title="Kế hoạch cải cách hành chính năm 2026",
        areas=["cao-bang/nam-tuan"],
        content_areas=["institutions"],
        number="3627/KH-UBND",
    )
    b = make(store, 2, title="Công bố thủ tục hộ tịch", areas=["cao-bang"], feed=OTHER_FEED)
    c = make(store, 3, title="Sắp xếp đơn vị hành chính", areas=["cao-bang/dam-thuy"], priority=Priority.EMERGENCY)
    d = make(store, 4, title="Toàn tỉnh", areas=["cao-bang"])
    store.transition(d.id, "approve", "Nông Thị Hoa")

    def ids(**kw):
        return [r.id for r in desk.queue(store, QueueFilter(**kw)).rows]

    assert ids() == [d.id, c.id, b.id, a.id]  # newest first
    assert ids(state="drafted") == [c.id, b.id, a.id] and ids(state="approved") == [d.id]
    assert ids(priority="emergency") == [c.id]
    # a commune shows what reaches it (province-wide notices) and its own; the province shows everything
    assert ids(area="cao-bang/nam-tuan") == [d.id, b.id, a.id]
    assert ids(area="cao-bang") == [d.id, c.id, b.id, a.id]
    assert ids(area="cao-bang/dam-thuy") == [d.id, c.id, b.id]
    feeds = dict((name, i) for i, name in desk.feed_choices(store))
    assert ids(feed_id=feeds[OTHER_FEED]) == [b.id]
    assert ids(content_area="institutions") == [a.id]
    assert ids(q="ke hoach") == [a.id] and ids(q="KẾ HOẠCH") == [a.id] and ids(q="3627/kh") == [a.id]
    assert ids(q="100%") == [] and ids(q="hanh chinh", state="drafted") == [c.id, a.id]

    row = desk.queue(store, QueueFilter(q="thu tuc ho tich")).rows[0]
    assert (row.title, row.areas, row.feed, row.number) == (
        "Công bố thủ tục hộ tịch",
        ["cao-bang"],
        OTHER_FEED,
        "2/QĐ-UBND",
    )
    page = desk.queue(store, QueueFilter(per_page=3, page=2))
    assert (page.total, page.pages, page.page, [r.id for r in page.rows]) == (4, 2, 2, [a.id])
    assert desk.queue(store, QueueFilter(per_page=3, page=99)).page == 2  # past the end: the last page


def test_queue_shows_the_latest_version_and_state_filters_every_version(store):
    n = make(store, 1)
    store.transition(n.id, "approve", "Nông Thị Hoa")
    change = store.record_entry(
        "http://127.0.0.1/feed.xml", entry(ident="urn:doc:1", summary="<p>sửa</p>"), Classification(True, 4.0)
    )
    store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={"boards": "v2"})
    assert [(r.id, r.version) for r in desk.queue(store, QueueFilter()).rows] == [(n.id, 2)]
    assert [(r.id, r.version) for r in desk.queue(store, QueueFilter(state="approved")).rows] == [(n.id, 1)]


def test_counts_say_what_waits(store):
    make(store, 1, priority=Priority.EMERGENCY)
    make(store, 2)
    s = make(store, 3)
    desk.set_schedule(store, s.id, 1, "Nông Thị Hoa", publish_at=utcnow() + timedelta(days=1), expires_at=None)
    store.transition(s.id, "approve", "Nông Thị Hoa")
    c = desk.counts(store)
    assert (c.waiting, c.emergency_drafts, c.scheduled, c.by_state["approved"]) == (2, 1, 1, 1)
    assert [r.id for r in desk.queue(store, QueueFilter(state="scheduled")).rows] == [s.id]


def test_variant_edits_are_audited_with_a_diff(store):
    n = make(store, 1)
    change = desk.edit_variant(
        store, n.id, 1, "boards", "Bảng tin\r\nđã sửa  ", "Lý Văn Tùng", base=text_hash("Bảng tin")
    )
    assert change.after == "Bảng tin\nđã sửa" and "+đã sửa" in change.diff
    assert store.notice(n.id).variants["boards"] == "Bảng tin\nđã sửa"
    assert desk.edit_variant(store, n.id, 1, "boards", "Bảng tin\nđã sửa", "Lý Văn Tùng") is None  # nothing changed
    with pytest.raises(EditConflict, match="changed by someone else"):
        desk.edit_variant(store, n.id, 1, "boards", "bản khác", "Nông Thị Hoa", base=text_hash("Bảng tin"))
    desk.edit_variant(store, n.id, 1, "website", '<p onclick="x()">Bài <script>alert(1)</script>mới</p>', "Lý Văn Tùng")
    assert store.notice(n.id).variants["website"] == "<p>Bài mới</p>"  # sanitised again on save
    with pytest.raises(NotFound, match="channel 'fax'"):
        desk.edit_variant(store, n.id, 1, "fax", "x", "Lý Văn Tùng")

    items = desk.history(store, n.id)
    assert [(h.action, h.actor) for h in items] == [
        ("drafted", "loa"),
        ("edit:boards", "Lý Văn Tùng"),
        ("edit:website", "Lý Văn Tùng"),
    ]
    edit = items[1]
    assert (edit.field, edit.before, edit.after) == ("variant:boards", "Bảng tin", "Bảng tin\nđã sửa")
    assert edit.diff.splitlines()[:2] == ["--- trước", "+++ sau"]
    assert [a.action for a in store.actions(n.id)] == ["drafted", "edit:boards", "edit:website"]

    store.transition(n.id, "approve", "Nông Thị Hoa")
    with pytest.raises(InvalidTransition, match="only drafts can be changed"):
        desk.edit_variant(store, n.id, 1, "boards", "sau khi duyệt", "Lý Văn Tùng")
    assert store.notice(n.id).variants["boards"] == "Bảng tin\nđã sửa"


def test_settings_and_schedule_are_audited(store):
    n = make(store, 1)
    changes = desk.set_settings(
        store,
        n.id,
        1,
        "Lý Văn Tùng",
        priority=Priority.EMERGENCY,
        areas=["cao-bang/hoa-an", "cao-bang/hoa-an", "cao-bang/ha-quang"],
    )
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("priority", "normal", "emergency"),
        ("areas", "cao-bang", "cao-bang/ha-quang, cao-bang/hoa-an"),
    ]
    assert (
        desk.set_settings(
            store, n.id, 1, "Lý Văn Tùng", priority=Priority.EMERGENCY, areas=["cao-bang/ha-quang", "cao-bang/hoa-an"]
        )
        == []
    )
    with pytest.raises(InvalidTransition, match="at least one target area"):
        desk.set_settings(store, n.id, 1, "Lý Văn Tùng", areas=[])
    view = store.notice(n.id)
    assert view.priority == Priority.EMERGENCY and view.areas == ["cao-bang/ha-quang", "cao-bang/hoa-an"]

    at = datetime(2030, 1, 2, 1, 0, tzinfo=UTC)
    desk.set_schedule(store, n.id, 1, "Nông Thị Hoa", publish_at=at, expires_at=at + timedelta(days=30))
    with pytest.raises(InvalidTransition, match="must come after"):
        desk.set_schedule(store, n.id, 1, "Nông Thị Hoa", publish_at=at, expires_at=at - timedelta(hours=1))
    view = store.notice(n.id)
    assert (view.publish_at, view.expires_at) == (at, at + timedelta(days=30))
    trail = [(h.action, h.actor, h.after) for h in desk.history(store, n.id)][-2:]
    assert trail == [
        ("set:publish_at", "Nông Thị Hoa", at.isoformat()),
        ("set:expires_at", "Nông Thị Hoa", (at + timedelta(days=30)).isoformat()),
    ]


def test_nothing_is_deleted(store):
    """Every change adds rows; none removes one (the audit trail and old texts stay)."""
    from sqlalchemy import func, select

    from loa.store.schema import ActionDetailRow, ActionRow, VariantRow

    n = make(store, 1)

    def count():
        with store.session() as s:
            return [s.scalar(select(func.count()).select_from(t)) for t in (ActionRow, ActionDetailRow, VariantRow)]

    before = count()
    desk.edit_variant(store, n.id, 1, "boards", "một", "Lý Văn Tùng")
    desk.edit_variant(store, n.id, 1, "boards", "hai", "Lý Văn Tùng")
    store.transition(n.id, "reject", "Nông Thị Hoa", "trùng")
    after = count()
    assert after[0] == before[0] + 3 and after[1] == before[1] + 2 and after[2] == before[2]
    assert [h.before for h in desk.history(store, n.id) if h.field] == ["Bảng tin", "một"]
    assert store.notice(n.id).state == NoticeState.REJECTED


def test_migration_matches_the_schema(store):
    """0003 creates exactly the desk tables of schema.py (Alembic compares them on both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from loa.store.schema import Base

    mine = {"users", "desk_sessions", "login_attempts", "action_details", "desk_search"}
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)

    def table_of(d):
        d = d[0] if isinstance(d, list) else d
        for part in d[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None:
                return table.name
            if isinstance(name, str) and name in mine:
                return name
        return None

    assert [d for d in diffs if table_of(d) in mine] == []


def test_searching_the_queue_is_a_pure_read(store, monkeypatch):
    """The search text is written when a version is drafted: a search takes no write transaction."""
    a = make(store, 1, title="Kế hoạch cải cách hành chính năm 2026", number="3627/KH-UBND")

    def no_write():
        raise AssertionError("the queue search opened a write transaction")

    monkeypatch.setattr(store, "session", no_write)
    assert [r.id for r in desk.queue(store, QueueFilter(q="3627/kh")).rows] == [a.id]
    assert [r.id for r in desk.queue(store, QueueFilter(q="ke hoach cai cach")).rows] == [a.id]


def test_versions_drafted_before_search_indexing_are_indexed_once(store):
    from loa.store.schema import SearchTextRow

    a = make(store, 1, title="Công bố thủ tục hộ tịch")
    with store.session() as s:  # a store from before: its versions have no search text
        s.query(SearchTextRow).delete()
    assert desk.queue(store, QueueFilter(q="ho tich")).rows == []
    assert desk.index_unindexed(store) == 1 and desk.index_unindexed(store) == 0
    assert [r.id for r in desk.queue(store, QueueFilter(q="ho tich")).rows] == [a.id]


def test_an_approved_emergency_with_a_publish_time_is_not_scheduled(store):
    """The desk's "scheduled" is the core's embargo rule: an emergency goes out at once whatever its time."""
    e = make(store, 1, priority=Priority.EMERGENCY)
    later = utcnow() + timedelta(days=1)
    desk.set_schedule(store, e.id, 1, "Nông Thị Hoa", publish_at=later, expires_at=None)
    store.transition(e.id, "approve", "Nông Thị Hoa")
    assert desk.counts(store).scheduled == 0
    assert desk.queue(store, QueueFilter(state="scheduled")).rows == []
