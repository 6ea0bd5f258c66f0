"""What a slot airs: order, quotas over days, overflow and carry-over (a pure function, no store, no audio)."""

from datetime import UTC, datetime, timedelta

from loa.model import Priority
from loa.radio.select import Aired, Candidate, Rules, Track, emergency, select

AT = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)


def cand(nid, seconds=60.0, priority=Priority.NORMAL, age_hours=0, version=1, **kw) -> Candidate:
    tracks = (
        (Track(f"notice-{nid}-v{version}-vi.mp3", seconds, f"#{nid}", "vi", notice=(nid, version)),) if seconds else ()
    )
    return Candidate(nid, version, priority, f"Thông báo {nid}", AT - timedelta(hours=age_hours), tracks, **kw)


RULES = Rules(airings=3, over_days=3, max_seconds=600)


def ids(cands):
    return [c.notice_id for c in cands]


def test_priority_first_then_newest():
    cands = [
        cand(1, age_hours=1),
        cand(2, priority=Priority.PRIORITY, age_hours=5),
        cand(3, age_hours=0),
        cand(4, priority=Priority.EMERGENCY, age_hours=9),
        cand(5, priority=Priority.PRIORITY, age_hours=2),
    ]
    assert ids(select(cands, {}, set(), RULES, AT).scheduled) == [4, 5, 2, 3, 1]


def test_quota_total_and_per_day_but_none_for_emergencies():
    cands = [cand(1), cand(2), cand(3), cand(4, priority=Priority.EMERGENCY)]
    aired = {(1, 1): Aired(3, 0), (2, 1): Aired(1, 1), (3, 1): Aired(2, 0), (4, 1): Aired(9, 2)}
    sel = select(cands, aired, set(), RULES, AT)
    assert ids(sel.scheduled) == [4, 3] and ids(sel.finished) == [1] and ids(sel.resting) == [2]
    # 6 airings over 3 days: two a day
    sel = select(cands, aired, set(), Rules(6, 3, 600), AT)
    assert ids(sel.scheduled) == [4, 3, 2, 1]


def test_overflow_is_reported_and_first_fit_fills_the_gap():
    cands = [cand(1, 200, age_hours=3), cand(2, 250, age_hours=2), cand(3, 100, age_hours=1)]
    sel = select(cands, {}, set(), Rules(3, 3, 400, fixed_seconds=10), AT)
    # newest first: 3 (100 s), 2 (250 s) fill 350 of 390; 1 (200 s) does not fit
    assert ids(sel.scheduled) == [3, 2]
    assert [(c.notice_id, why) for c, why in sel.overflow] == [(1, "hết thời lượng (cần 3,3 phút, còn 0,7 phút)")]
    assert sel.seconds == 350


def test_carried_over_notices_go_first_within_their_level():
    cands = [
        cand(1, 200, age_hours=3),
        cand(2, 250, age_hours=2),
        cand(3, 100, age_hours=1),
        cand(4, 30, priority=Priority.PRIORITY, age_hours=9),
    ]
    sel = select(cands, {}, {(1, 1)}, Rules(3, 3, 400), AT)
    assert ids(sel.scheduled) == [4, 1, 3] and ids(c for c, _ in sel.overflow) == [2]


def test_emergencies_always_air_and_a_too_long_notice_says_so():
    cands = [cand(1, 900, priority=Priority.EMERGENCY), cand(2, 700), cand(3, 50)]
    sel = select(cands, {}, set(), Rules(3, 3, 600), AT)
    assert ids(sel.scheduled) == [1]  # 15 min of emergency in a 10-min slot: it airs, nothing else does
    assert sorted((c.notice_id, why) for c, why in sel.overflow) == [
        (2, "dài hơn cả buổi phát (11,7 phút > 10,0 phút)"),
        (3, "hết thời lượng (cần 0,8 phút, còn 0,0 phút)"),
    ]


def test_emergency_counts_against_the_room_twice():
    # an emergency is read twice ("Xin nhắc lại …"): 2 × 250 s of a 600 s slot
    sel = select(
        [cand(1, 250, priority=Priority.EMERGENCY), cand(3, 50), cand(4, 60, age_hours=1)],
        {},
        set(),
        Rules(3, 3, 600),
        AT,
    )
    assert ids(sel.scheduled) == [1, 3] and ids(c for c, _ in sel.overflow) == [4]


def test_the_programme_words_take_room():
    # opening + closing take 30 s and each notice a 5 s bridge ("Tin tiếp theo.")
    cands = [
        cand(1, 100),
        cand(2, 100, age_hours=1),
        cand(3, 100, age_hours=2),
        cand(4, 100, age_hours=3),
        cand(5, 100, age_hours=4),
        cand(6, 100, age_hours=5),
    ]
    sel = select(cands, {}, set(), Rules(3, 3, 600, fixed_seconds=30, bridge_seconds=5), AT)
    assert ids(sel.scheduled) == [1, 2, 3, 4, 5]  # 30 + 5 × 105 = 555 s; a sixth would need 660 s
    assert [why for _, why in sel.overflow] == ["hết thời lượng (cần 1,8 phút, còn 0,8 phút)"]
    bare = select(cands, {}, set(), Rules(3, 3, 600), AT)
    assert len(bare.scheduled) == 6


def test_expired_and_embargoed_notices_never_air_but_emergencies_ignore_embargo():
    later = AT + timedelta(hours=1)
    cands = [
        cand(1, expires_at=AT),
        cand(2, expires_at=later),
        cand(3, publish_at=later),
        cand(4, priority=Priority.EMERGENCY, publish_at=later),
    ]
    assert ids(select(cands, {}, set(), RULES, AT).scheduled) == [4, 2]


def test_a_notice_without_audio_in_any_language_is_reported_silent():
    silent = cand(1, seconds=0, missing=("tay: no human recording",))
    sel = select([silent, cand(2)], {}, set(), RULES, AT)
    assert ids(sel.scheduled) == [2] and ids(sel.silent) == [1]


def test_emergency_playlist_is_every_due_emergency_newest_first():
    cands = [
        cand(1, priority=Priority.EMERGENCY, age_hours=2),
        cand(2),
        cand(3, priority=Priority.EMERGENCY),
        cand(4, priority=Priority.EMERGENCY, expires_at=AT),
    ]
    assert ids(emergency(cands, AT)) == [3, 1]
