"""What the desk shows and decides without a server: board previews, diffs, local times, the embargo."""

from datetime import UTC, datetime, timedelta

import pytest

from loa.app.desk.pages import _page_numbers
from loa.app.desk.present import FormError, board_preview, from_input, local, to_input, word_diff
from loa.errors import InvalidTransition
from loa.model import Priority
from loa.publishing.dispatch import dispatch_notice
from loa.publishing.machine import is_due
from loa.store import desk
from loa.store.schema import utcnow
from tests.unit.test_desk_store import make
from tests.unit.test_dispatch import FlakyChannel


def test_board_preview_shows_each_profile_as_its_template_lays_it_out(cfg, store):
    n = make(store, 3, title="Thông báo lịch tiếp công dân của Chủ tịch UBND xã Hồng Việt")
    short = "Ủy ban nhân dân xã thông báo lịch tiếp công dân."
    for b in board_preview(cfg, n, short):
        assert b.fits and b.overflow == "" and b.used == len(" ".join(b.lines))
        assert b.grid.count("\n") == b.profile.lines - 1
        assert all(len(row) == b.profile.width for row in b.grid.split("\n"))
    previews = {b.profile.id: b for b in board_preview(cfg, n, short)}
    assert " ".join(previews["panel"].lines).endswith(short) and previews["ticker"].lines[0].startswith(n.title)
    # a long text: the panel shows the sentences that fit, each whole, and names the ones it leaves out
    said = [f"Câu thứ {i} nói về thủ tục hành chính của xã Hồng Việt." for i in range(1, 21)]
    panel = {b.profile.id: b for b in board_preview(cfg, n, " ".join(said))}["panel"]
    assert panel.fits and panel.overflow
    shown = " ".join(panel.lines)
    assert all((s in shown) != (s in panel.overflow) for s in said)  # each sentence shown or left out, whole
    assert panel.overflow.endswith("Câu thứ 20 nói về thủ tục hành chính của xã Hồng Việt.")


def test_word_diff():
    assert word_diff("Bà con xã Hồng Việt", "Bà con xã Bế Triều") == [
        ("=", "Bà con xã "),
        ("-", "Hồng Việt"),
        ("+", "Bế Triều"),
    ]
    assert word_diff(None, "mới") == [("+", "mới")]


def test_local_times_are_vietnam_time():
    at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert local(at) == "01/12/2026 08:30" and to_input(at) == "2026-12-01T08:30"
    assert from_input("2026-12-01T08:30", "Giờ đăng") == at and from_input("", "x") is None
    with pytest.raises(FormError, match="Giờ đăng"):
        from_input("mai", "Giờ đăng")


def test_page_numbers():
    assert _page_numbers(1, 1) == [1]
    assert _page_numbers(6, 200) == [1, None, 4, 5, 6, 7, 8, None, 200]
    assert _page_numbers(2, 4) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "priority, delay, dispatched",
    [
        (Priority.NORMAL, timedelta(hours=1), False),  # embargoed: refused until publish_at
        (Priority.NORMAL, timedelta(seconds=-1), True),  # publish_at has passed
        (Priority.EMERGENCY, timedelta(hours=1), True),  # emergencies go out at once
    ],
)
def test_dispatch_waits_for_publish_at(sqlite_store, priority, delay, dispatched):
    store = sqlite_store
    n = make(store, 1, priority=priority)
    desk.set_schedule(
        store, n.id, 1, "Nông Thị Hoa", publish_at=utcnow() + delay, expires_at=None, now=utcnow() - timedelta(hours=2)
    )
    n = store.transition(n.id, "approve", "Nông Thị Hoa")
    assert is_due(n.priority, n.publish_at) == dispatched
    channel = FlakyChannel()
    if dispatched:
        assert dispatch_notice(store, {"flaky": channel}, n.id).state == "published"
        assert len(channel.sent) == 2
    else:
        with pytest.raises(InvalidTransition, match="embargoed until .*not dispatched before then"):
            dispatch_notice(store, {"flaky": channel}, n.id)
        assert channel.sent == [] and store.deliveries(n.id) == []
