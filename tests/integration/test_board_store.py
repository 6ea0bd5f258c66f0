"""Board registry, online/offline history and acks in the store, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from loa.board_protocol import Report
from loa.errors import LoaError
from loa.store.boards import (
    ack_counts,
    acks_of,
    add_board,
    boards,
    get_board,
    health,
    record_reports,
    status_history,
)
from tests.unit.test_store import draft, entry

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 27, 8, tzinfo=UTC)


def status(board, state, minutes=0):
    return Report(board, "status", T0 + timedelta(minutes=minutes), state=state)


def ack(board, notice, version=1, minutes=0, area="cao-bang"):
    return Report(board, "ack", T0 + timedelta(minutes=minutes), notice=notice, version=version, area=area)


def test_online_offline_history_records_changes_only(store):
    add_board(store, "hv-1", "cao-bang/nam-tuan", "Nhà văn hóa Nam Tuấn")
    with pytest.raises(LoaError, match="already exists"):
        add_board(store, "hv-1", "cao-bang")
    changes = record_reports(
        store,
        [
            status("hv-1", "online"),
            status("hv-1", "online", 1),
            status("hv-1", "offline", 5),
            status("ghost", "online"),
        ],
    )
    assert [(c.board.id, c.old, c.new) for c in changes] == [
        ("hv-1", "unknown", "online"),
        ("hv-1", "online", "offline"),
    ]
    [b] = boards(store)
    assert (b.state, b.state_since, b.last_seen_at) == ("offline", T0 + timedelta(minutes=5), T0 + timedelta(minutes=1))
    assert [h.state for h in status_history(store, "hv-1")] == ["offline", "online"]
    assert record_reports(store, [status("hv-1", "offline", 6)]) == []  # a retained repeat is no change


def test_acks_are_kept_once_per_board_and_version(store):
    add_board(store, "hv-1", "cao-bang/nam-tuan")
    record_reports(store, [ack("hv-1", 7), ack("hv-1", 7, minutes=1), ack("hv-1", 7, version=2, minutes=2)])
    record_reports(store, [ack("hv-1", 7)])  # a later batch repeats it
    assert [(a.notice, a.version) for a in acks_of(store, "hv-1")] == [(7, 2), (7, 1)]
    assert boards(store)[0].acks == 2
    add_board(store, "hv-2", "cao-bang/nam-tuan")
    record_reports(store, [ack("hv-2", 7, minutes=3)])
    one, two = get_board(store, "hv-1"), get_board(store, "hv-2")  # each counts its own acks only
    assert (one.acks, two.acks, two.last_seen_at) == (2, 1, T0 + timedelta(minutes=3))
    assert [b.id for b in boards(store, only="hv-2")] == ["hv-2"] and boards(store, only="nope") == []


def test_ack_counts_cover_the_boards_below_the_target_areas(store):
    n = draft(
        store, areas=["cao-bang/nam-tuan", "cao-bang/bach-dang", "cao-bang/hoa-an"]
    )  # the khu-vuc-hoa-an communes
    n = store.transition(n.id, "approve", "Nông Thị Hoa")
    for board, area in [
        ("hv-1", "cao-bang/nam-tuan"),
        ("bt-1", "cao-bang/bach-dang"),
        ("ha-an", "cao-bang/hoa-an"),
        ("hq-1", "cao-bang/truong-ha"),
        ("tinh", "cao-bang"),
    ]:
        add_board(store, board, area)
    # hq-1 and the province board are not targets; their acks (a misbehaving board) do not count
    record_reports(
        store,
        [ack("hv-1", n.id), ack("ha-an", n.id), ack("hq-1", n.id), ack("tinh", n.id), ack("bt-1", n.id, version=9)],
    )
    counts = ack_counts(store, n.id)
    assert counts.as_dict() == {"notice_id": n.id, "version": 1, "boards": 3, "acknowledged": 2}


def test_health_rows_say_which_current_notices_a_board_has_not_shown(store):
    a = store.transition(draft(store, areas=["cao-bang"]).id, "approve", "Nông Thị Hoa")
    b = store.transition(
        draft(store, entry(ident="urn:doc:2"), areas=["cao-bang/truong-ha"]).id, "approve", "Nông Thị Hoa"
    )
    add_board(store, "hv-1", "cao-bang/nam-tuan")
    add_board(store, "xh-1", "cao-bang/truong-ha")
    record_reports(store, [status("hv-1", "online"), ack("hv-1", a.id), ack("xh-1", b.id)])
    rows = {r.board: r for r in health(store)}
    assert (rows["hv-1"].state, rows["hv-1"].current_notices, rows["hv-1"].not_shown) == ("online", 1, 0)
    assert (rows["xh-1"].state, rows["xh-1"].current_notices, rows["xh-1"].shown, rows["xh-1"].not_shown) == (
        "unknown",
        2,
        1,
        1,
    )
