"""Slots as concrete local times, the due slot of a deployment run, and its cron expression."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from loa.config import Slot, Station
from loa.radio import schedule

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING, EVENING = Slot("06:00", 20), Slot("17:00", 20, (1, 2, 3, 4, 5))  # no evening at weekends
A = Station("a", "cao-bang", "A", slots=(MORNING, EVENING))
B = Station("b", "cao-bang", "B", slots=(Slot("06:03", 10), Slot("17:00", 20)))


def local(y, m, d, hh, mm):
    return datetime(y, m, d, hh, mm, tzinfo=TZ).astimezone(UTC)


def test_occurrence_is_local_time_in_utc():
    t = schedule.occurrence(A, "06:00", date(2026, 11, 26), TZ)
    assert t.starts_at == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert (t.key, t.label, t.max_seconds) == ("2026-11-26-0600", "2026-11-26 06:00", 1200)
    with pytest.raises(ValueError, match="has no 11:00 slot .*06:00, 17:00"):
        schedule.occurrence(A, "11:00", date(2026, 11, 26), TZ)
    with pytest.raises(ValueError, match="does not air on 2026-11-28"):
        schedule.occurrence(A, "17:00", date(2026, 11, 28), TZ)  # a Saturday


def test_upcoming_respects_days():
    # Friday 18:00 → Saturday 06:00; Saturday 07:00 → Sunday 06:00 (no weekend evening); the 17:00 one → Monday
    assert schedule.upcoming(A, local(2026, 11, 27, 18, 0), TZ).label == "2026-11-28 06:00"
    assert schedule.upcoming(A, local(2026, 11, 28, 7, 0), TZ).label == "2026-11-29 06:00"
    assert schedule.upcoming(A, local(2026, 11, 28, 7, 0), TZ, at="17:00").label == "2026-11-30 17:00"
    assert schedule.upcoming(A, local(2026, 11, 26, 6, 0), TZ).label == "2026-11-26 06:00"  # at its start: still it


def test_due_builds_every_slot_in_the_window():
    at_0555 = schedule.due([A, B], local(2026, 11, 26, 5, 55), TZ, window_minutes=7)
    assert sorted((t.station.id, t.slot.time) for t in at_0555) == [("a", "06:00")]
    # the 06:03 deployment runs at 05:58: both slots (06:00 is rebuilt, the same)
    at_0558 = schedule.due([A, B], local(2026, 11, 26, 5, 58), TZ, window_minutes=7)
    assert sorted((t.station.id, t.slot.time) for t in at_0558) == [("a", "06:00"), ("b", "06:03")]
    # by hand at noon: the earliest slot to come, 17:00, for both
    noon = schedule.due([A, B], local(2026, 11, 26, 12, 0), TZ)
    assert sorted((t.station.id, t.label) for t in noon) == [("a", "2026-11-26 17:00"), ("b", "2026-11-26 17:00")]


def test_cron_before_and_slot_times():
    assert schedule.cron_before("06:00", 5) == "55 5 * * *"
    assert schedule.cron_before("00:02", 5) == "57 23 * * *"
    assert schedule.slot_times([A, B]) == ["06:00", "06:03", "17:00"]
