"""The reference speaker's pure decisions: what to play when, given the schedule, the clock and progress."""

from datetime import UTC, datetime, timedelta

from loa.signing import Signer
from loa.speaker import plan
from loa.speaker.protocol import Key, parse_schedule
from tests.speaker_helpers import STATION, item, new_signer, schedule, slot

T0 = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
SHA = "a" * 64


def _key(s: Signer) -> Key:
    return Key(s.key_id, s.public_key_document()["public_key"])


def _schedule(slots, generated_at=T0 - timedelta(hours=1)):
    s = new_signer()
    return parse_schedule(schedule(s, slots, generated_at), _key(s), STATION)


def _items(*names, seconds=60.0):
    return [item(n, f"http://h/{n}.mp3", seconds, (n[0] * 64)[:64] if n[0] in "abcdef" else SHA) for n in names]


def test_waits_until_the_slot_starts_then_plays_items_in_order():
    sch = _schedule([slot(T0, _items("open", "n1", "close"))])
    assert plan.next_action(sch, T0 - timedelta(seconds=5), {}) == plan.Wait(T0)
    first = plan.next_action(sch, T0, {})
    assert isinstance(first, plan.PlayItem) and first.item.id == "open"
    second = plan.next_action(sch, T0 + timedelta(seconds=61), {first.slot.id: {"open"}})
    assert isinstance(second, plan.PlayItem) and second.item.id == "n1"
    done = {first.slot.id: {"open", "n1", "close"}}
    assert plan.next_action(sch, T0 + timedelta(minutes=4), done) == plan.Wait(None)


def test_after_an_emergency_the_slot_resumes_within_its_window_plus_grace_else_skips():
    sch = _schedule([slot(T0, _items("open", "n1", "close"))])  # 3 minutes long
    sid = sch.slots[0].id
    done = {sid: {"open"}}  # "open" was interrupted by the emergency
    inside = plan.next_action(sch, T0 + timedelta(minutes=3 + 14), done)
    assert isinstance(inside, plan.PlayItem) and inside.item.id == "n1"
    late = plan.next_action(sch, T0 + timedelta(minutes=3 + 16), done)
    assert isinstance(late, plan.SkipItems)
    assert [i.id for i in late.items] == ["n1", "close"] and "too late" in late.reason


def test_a_later_slot_waits_behind_the_earlier_one_and_an_empty_schedule_waits():
    s1, s2 = T0, T0 + timedelta(hours=2)
    sch = _schedule([slot(s2, _items("b")), slot(s1, _items("a"))])  # out of order on the wire
    assert [s.start for s in sch.slots] == [s1, s2]
    assert plan.next_action(sch, T0 - timedelta(hours=1), {}) == plan.Wait(s1)
    assert plan.next_action(sch, T0 + timedelta(minutes=30), {sch.slots[0].id: {"a"}}) == plan.Wait(s2)
    assert plan.next_action(None, T0, {}) == plan.Wait(None)


def test_an_item_withdrawn_by_a_newer_schedule_is_not_played_nor_listed():
    old = _schedule([slot(T0, _items("open", "n1", "close"))], generated_at=T0 - timedelta(hours=1))
    new = _schedule([slot(T0, _items("open", "close"))], generated_at=T0 - timedelta(minutes=1))
    assert plan.is_newer(old, new) and not plan.is_newer(new, old)
    sid = new.slots[0].id
    assert plan.listed(old, sid, "n1") and not plan.listed(new, sid, "n1")
    nxt = plan.next_action(new, T0 + timedelta(seconds=70), {sid: {"open"}})
    assert isinstance(nxt, plan.PlayItem) and nxt.item.id == "close"


def test_prefetch_lists_upcoming_files_once_and_progress_is_pruned_to_listed_slots():
    shared = item("jingle", "http://h/j.mp3", 5, "c" * 64, kind="opening", notice=None)
    past = slot(T0 - timedelta(hours=3), [shared, *_items("old")])
    soon = slot(T0 + timedelta(hours=1), [shared, *_items("a1")])
    later = slot(T0 + timedelta(hours=30), _items("f1"))  # beyond the horizon
    sch = _schedule([past, soon, later])
    assert [i.id for i in plan.to_prefetch(sch, T0)] == ["jingle", "a1"]
    assert plan.needed_hashes(sch, T0) == {"c" * 64, "a" * 64}
    done = {"gone/slot": {"x"}, sch.slots[1].id: {"jingle"}}
    assert plan.prune(done, sch) == {sch.slots[1].id: {"jingle"}}


def test_recent_command_keys_are_bounded_and_remembered():
    keys = plan.RecentKeys(limit=3)
    for k in ("a", "b", "c", "d"):
        keys.add(k)
    assert keys.seen("d") and not keys.seen("a") and len(keys.keys) == 3
    keys.add("d")
    assert keys.keys == ["b", "c", "d"]
