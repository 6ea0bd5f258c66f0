"""The store on SQLite and PostgreSQL: versions, the notice state machine, exactly-once deliveries."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from loa.errors import InvalidTransition, NotFound
from loa.model import Classification, DeliveryResult, DocumentMeta, Entry, NoticeState
from loa.store import Store

FEED = "http://127.0.0.1/feed.xml"
RELEVANT = Classification(
    True,
    5.0,
    ('từ khóa "cải cách hành chính" (+3.0)',),
    ("procedures",),
    DocumentMeta(number="3627/KH-UBND", doc_type="Kế hoạch"),
)


def entry(title="Kế hoạch cải cách hành chính năm 2026", summary="<p>Nội dung</p>", ident="urn:doc:1"):
    import hashlib

    return Entry(
        identity=ident,
        title=title,
        summary_html=summary,
        link="https://example.gov.vn/1",
        published=datetime(2026, 11, 20, 8, tzinfo=UTC),
        content_hash=hashlib.sha256((title + summary).encode()).hexdigest(),
    )


def draft(store: Store, e=None, areas=("cao-bang",)):
    change = store.record_entry(FEED, e or entry(), RELEVANT)
    return store.draft_notice(
        change.document_version_id,
        areas=list(areas),
        variants={"website": "<p>web</p>", "boards": "bảng tin", "radio": "kính thưa"},
    )


def test_migrations_are_idempotent(store):
    Store.open(store.engine.url.render_as_string(hide_password=False))  # second upgrade: no error
    assert store.notices() == []


def test_entry_change_detection(store):
    first = store.record_entry(FEED, entry(), RELEVANT)
    again = store.record_entry(FEED, entry(), RELEVANT)
    amended = store.record_entry(FEED, entry(summary="<p>Nội dung sửa đổi</p>"), RELEVANT)
    assert (first.kind, again.kind, amended.kind) == ("new", "unchanged", "updated")
    assert first.document_id == again.document_id == amended.document_id
    assert (first.version, amended.version) == (1, 2)


def test_a_text_seen_before_is_not_a_change_so_two_feeds_that_disagree_never_flip(store):
    old, new = entry(), entry(summary="<p>Nội dung sửa đổi</p>")
    assert store.record_entry("http://a.example/rss", old, RELEVANT).kind == "new"
    assert store.record_entry("http://b.example/rss", new, RELEVANT).kind == "updated"
    for _ in range(2):  # each portal keeps serving its own text
        assert store.record_entry("http://a.example/rss", old, RELEVANT).version == 1
        assert store.record_entry("http://b.example/rss", new, RELEVANT).kind == "unchanged"
    assert store.known_texts(["urn:doc:1", "urn:other"]) == {"urn:doc:1": {old.content_hash, new.content_hash}}


def poll(store, items, etag='"v1"'):
    return store.record_poll(
        FEED, name="Sở Nội vụ", title="Tin cải cách", etag=etag, last_modified=None, items=items, areas=["cao-bang"]
    )


def test_record_poll_stores_entries_drafts_and_feed_health_together(store):
    irrelevant = Classification(False, 0.0, ("tổng điểm 0.0 < ngưỡng 3.0",))
    items = [
        (entry(), RELEVANT, {"boards": "bảng tin", "radio": "kính thưa"}),
        (entry(title="Lễ hội mùa xuân", ident="urn:doc:2"), irrelevant, None),
    ]
    changes, drafted = poll(store, items)
    assert [c.kind for c in changes] == ["new", "new"]
    (made,) = drafted
    assert (made.document_id, made.document_version, made.notice_version) == (changes[0].document_id, 1, 1)
    assert store.notice(made.notice_id).variants == {"boards": "bảng tin", "radio": "kính thưa"}
    assert store.titles([made.notice_id]) == {made.notice_id: "Kế hoạch cải cách hành chính năm 2026"}
    assert store.feed_validators(FEED) == ('"v1"', None)
    (health,) = store.feeds()
    assert (health.title, health.consecutive_failures) == ("Tin cải cách", 0)
    changes, drafted = poll(store, items, etag='"v2"')
    assert [c.kind for c in changes] == ["unchanged", "unchanged"] and drafted == []


def test_record_poll_is_all_or_nothing(store, monkeypatch):
    from loa.store import ingest

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "draft_notices", broken)
    with pytest.raises(RuntimeError):
        poll(store, [(entry(), RELEVANT, {"boards": "bảng tin"})])
    # no document kept without its draft, and no ETag saved: the next poll fetches and drafts it all again
    assert store.known_texts(["urn:doc:1"]) == {} and store.feed_validators(FEED) == (None, None)


def test_two_texts_of_one_document_in_one_poll_leave_one_draft(store):
    items = [(entry(), RELEVANT, {"boards": "v1"}), (entry(summary="<p>Bản sửa</p>"), RELEVANT, {"boards": "v2"})]
    _, drafted = poll(store, items)
    assert [(d.notice_version, d.document_version) for d in drafted] == [(1, 1), (2, 2)]
    notice_id = drafted[0].notice_id
    states = {v: store.notice(notice_id, v).state for v in (1, 2)}
    assert states == {1: NoticeState.SUPERSEDED, 2: NoticeState.DRAFTED}
    assert store.notice(notice_id).variants == {"boards": "v2"}


def test_sqlite_times_are_stored_as_sqlalchemy_writes_them():
    from sqlalchemy.dialects.sqlite import base, dialect

    from loa.store.schema import UTCDateTime

    ours, theirs = UTCDateTime().bind_processor(dialect()), base.DATETIME().bind_processor(dialect())
    for value in (
        datetime(2026, 11, 29, 1, 2, 3, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=7))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 1, 1))


def test_notice_view_round_trip(store):
    n = draft(store)
    view = store.notice(n.id)
    assert view.state == NoticeState.DRAFTED and view.version == 1
    assert view.title == "Kế hoạch cải cách hành chính năm 2026"
    assert view.meta.number == "3627/KH-UBND" and view.content_areas == ["procedures"]
    assert view.variants["boards"] == "bảng tin"
    assert view.created_at.tzinfo is not None


def test_approval_records_who_and_when(store):
    n = draft(store)
    approved = store.transition(n.id, "approve", "Nguyễn Thị Lan")
    assert approved.state == NoticeState.APPROVED
    assert approved.approved_by == "Nguyễn Thị Lan" and approved.approved_at is not None
    history = [(a.action, a.actor) for a in store.actions(n.id)]
    assert history == [("drafted", "loa"), ("approve", "Nguyễn Thị Lan")]


@pytest.mark.parametrize("first,then", [("approve", "reject"), ("reject", "approve"), ("reject", "withdraw")])
def test_invalid_transitions_change_nothing(store, first, then):
    n = draft(store)
    store.transition(n.id, first, "editor")
    before = store.notice(n.id).state
    with pytest.raises(InvalidTransition, match=f"cannot {then} notice {n.id}"):
        store.transition(n.id, then, "editor")
    assert store.notice(n.id).state == before


def test_actor_is_required_and_unknown_notice(store):
    n = draft(store)
    with pytest.raises(InvalidTransition, match="--by"):
        store.transition(n.id, "approve", "  ")
    with pytest.raises(NotFound, match="notice 999"):
        store.transition(999, "approve", "editor")


def test_amended_document_supersedes_once_approved(store):
    n1 = draft(store)
    store.transition(n1.id, "approve", "editor")
    change = store.record_entry(FEED, entry(title="Kế hoạch cải cách hành chính năm 2026 (sửa đổi)"), RELEVANT)
    v2 = store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={"boards": "mới"})
    assert (v2.id, v2.version) == (n1.id, 2)
    assert store.notice(n1.id, 1).state == NoticeState.APPROVED  # old stays live until v2 is approved
    store.transition(n1.id, "approve", "editor")
    assert store.notice(n1.id, 1).state == NoticeState.SUPERSEDED
    assert store.notice(n1.id).state == NoticeState.APPROVED
    assert [v.version for v in store.live_notices()] == [2]


def test_deliveries_are_planned_once_and_settle(store):
    n = draft(store)
    store.transition(n.id, "approve", "editor")
    targets = {"website": ["site"], "boards": ["cao-bang"]}
    store.plan_deliveries(n.id, 1, "publish", targets)
    store.plan_deliveries(n.id, 1, "publish", targets)  # idempotent
    assert len(store.deliveries(n.id)) == 2
    store.record_delivery(n.id, 1, "publish", DeliveryResult("website", "site", True, "page"))
    store.record_delivery(n.id, 1, "publish", DeliveryResult("boards", "cao-bang", False, "broker down"))
    assert store.settle(n.id, 1) == NoticeState.PARTIALLY_PUBLISHED
    store.record_delivery(n.id, 1, "publish", DeliveryResult("boards", "cao-bang", True, "topic"))
    assert store.settle(n.id, 1) == NoticeState.PUBLISHED
    boards = store.deliveries(n.id, channel="boards")[0]
    assert (boards.status, boards.attempts, boards.last_error) == ("delivered", 2, "broker down")


def test_live_notices_leave_out_withdrawn_and_expired(store):
    a = draft(store, entry(ident="urn:a"))
    b = draft(store, entry(ident="urn:b"))
    c = draft(store, entry(ident="urn:c"))
    for n in (a, b, c):
        store.transition(n.id, "approve", "editor")
    store.transition(b.id, "withdraw", "editor")
    with store.session() as s:
        from loa.store.schema import NoticeVersionRow

        row = s.query(NoticeVersionRow).filter_by(notice_id=c.id).one()
        row.expires_at = datetime.now(UTC) - timedelta(hours=1)
    assert [n.id for n in store.live_notices()] == [a.id]


def test_text_keeps_vietnamese_exactly(store):
    title = "Quyết định công bố thủ tục hành chính lĩnh vực đất đai – Ủy ban nhân dân tỉnh"
    n = draft(store, entry(title=title, ident="urn:vi"))
    assert store.notice(n.id).title == title


def test_fast_head_check_agrees_with_alembic(store):
    from loa.store import migrate

    assert migrate.heads() == migrate.script_heads()
    assert migrate.current(store.engine) == migrate.heads()
