"""What the desk shows and decides without a server: board previews, diffs, local times, the embargo."""

from datetime import datetime, timedelta, timezone

import pytest

from channels.dispatch import dispatch_notice
from loa.app.announce import dispatches_now
from loa.app.desk.pages import _page_numbers
from loa.app.desk.present import FormError, board_preview, from_input, local, to_input, word_diff
from loa.board_protocol import wrap
from loa.errors import InvalidTransition
from loa.model import Priority
from loa.store import desk
from loa.store.schema import utcnow
from tests.unit.test_desk_store import make
from tests.unit.test_dispatch import FlakyChannel


def test_board_preview_shows_each_profile_as_the_payload_wraps_it(cfg):
    profiles = {p.id: p for p in cfg.boards.profiles}
    short = "Ủy ban nhân dân xã thông báo lịch tiếp công dân."
    for b in board_preview(cfg, short):
        assert b.fits and b.overflow == "" and b.lines == wrap(short, b.profile) and b.used == len(short)
        assert b.grid.count("\n") == b.profile.lines - 1
        assert all(len(row) == b.profile.width for row in b.grid.split("\n"))
    long = " ".join(f"từ{i}" for i in range(200))  # ~1,000 characters
    previews = {b.profile.id: b for b in board_preview(cfg, long)}
    ticker = previews["ticker"]
    assert not ticker.fits and ticker.lines == wrap(long, profiles["ticker"]) and ticker.lines[-1].endswith("…")
    shown = " ".join(ticker.lines).removesuffix("…").rstrip()
    assert long == f"{shown} {ticker.overflow}"  # what is shown plus what overflows is the whole text
    assert previews["panel"].overflow.endswith("từ199")


def test_word_diff():
    assert word_diff("Bà con xã Hồng Việt", "Bà con xã Bế Triều") == [
        ("=", "Bà con xã "), ("-", "Hồng Việt"), ("+", "Bế Triều")]
    assert word_diff(None, "mới") == [("+", "mới")]


def test_local_times_are_vietnam_time():
    at = datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)
    assert local(at) == "01/12/2026 08:30" and to_input(at) == "2026-12-01T08:30"
    assert from_input("2026-12-01T08:30", "Giờ đăng") == at and from_input("", "x") is None
    with pytest.raises(FormError, match="Giờ đăng"):
        from_input("mai", "Giờ đăng")


def test_page_numbers():
    assert _page_numbers(1, 1) == [1]
    assert _page_numbers(6, 200) == [1, None, 4, 5, 6, 7, 8, None, 200]
    assert _page_numbers(2, 4) == [1, 2, 3, 4]


@pytest.mark.parametrize("priority, delay, dispatched", [
    (Priority.NORMAL, timedelta(hours=1), False),  # embargoed: refused until publish_at
    (Priority.NORMAL, timedelta(seconds=-1), True),  # publish_at has passed
    (Priority.EMERGENCY, timedelta(hours=1), True),  # emergencies go out at once
])
def test_dispatch_waits_for_publish_at(sqlite_store, priority, delay, dispatched):
    store = sqlite_store
    n = make(store, 1, priority=priority)
    desk.set_schedule(store, n.id, 1, "Nông Thị Hoa", publish_at=utcnow() + delay, expires_at=None,
                      now=utcnow() - timedelta(hours=2))
    n = store.transition(n.id, "approve", "Nông Thị Hoa")
    assert dispatches_now(n) == dispatched
    channel = FlakyChannel()
    if dispatched:
        assert dispatch_notice(store, {"flaky": channel}, n.id).state == "published"
        assert len(channel.sent) == 2
    else:
        with pytest.raises(InvalidTransition, match="embargoed until .*not dispatched before then"):
            dispatch_notice(store, {"flaky": channel}, n.id)
        assert channel.sent == [] and store.deliveries(n.id) == []
