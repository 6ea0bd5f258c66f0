"""The one clock: every "what time is it" in Loa asks `now()`.

Aware UTC datetimes only; local time is a presentation matter (`cfg.tz`). One function, so
a test or a replay can see every place that reads the clock, and no naive or local datetime
slips into the store.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
