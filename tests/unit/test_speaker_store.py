"""Speakers in the store (SQLite and PostgreSQL): what the listener records, what it refuses, and how
confirmed airings are counted (once per slot and station, minutes per item played to the end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loa.speaker_protocol import Report
from loa.store import radio as history
from loa.store.speakers import (
    add_speaker,
    confirmed_airings,
    get_speaker,
    monthly_airings,
    record_reports,
    set_disabled,
    slot_confirmations,
)

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SLOT = "nam-tuan/20261201T1700"


def ack(speaker, item, event, *, slot=SLOT, notice=(7, 2), station="nam-tuan", minutes=0, command=None):
    return Report(
        speaker,
        "ack",
        AT + timedelta(minutes=minutes),
        station=station,
        at=AT + timedelta(minutes=minutes),
        slot=slot,
        item=item,
        notice=notice,
        event=event,
        command=command,
    )


def built_slot(store):
    """nam-tuan's 17:00 slot with notice 7 v2 in two languages (what the builder records)."""
    programme = [
        {"id": "00-opening", "kind": "opening", "notice": None, "language": "vi", "title": "", "path": "s/o.mp3",
         "seconds": 6.0},
        {"id": "01-notice-7v2-vi", "kind": "notice", "notice": [7, 2], "language": "vi", "title": "",
         "path": "audio/a.mp3", "seconds": 60.0},
        {"id": "02-notice-7v2-tay", "kind": "notice", "notice": [7, 2], "language": "tay", "title": "",
         "path": "audio/b.mp3", "seconds": 30.0},
    ]  # fmt: skip
    history.record_slots(
        store,
        [
            history.SlotRecord(
                "nam-tuan", "slot", "2026-12-01", "17:00", AT, 1200.0, 96.0, [], [], [], programme=programme
            )
        ],
    )
    history.save_audio(store, [history.AudioRecord("em-7-v2-vi.mp3", 7, 2, "vi", "synthetic", "k", 45.0, None)])


def test_reports_are_recorded_and_refused_ones_say_why(store):
    built_slot(store)
    add_speaker(store, "nt-1", "nam-tuan")
    add_speaker(store, "nt-2", "nam-tuan")
    add_speaker(store, "ha-1", "hoa-an")
    set_disabled(store, "nt-2", True)
    status = Report("nt-1", "status", AT, station="nam-tuan", state="playing", clock_skew_ms=40, cache_items=3)
    changes, refused = record_reports(
        store,
        [
            status,
            ack("nt-1", "01-notice-7v2-vi", "started"),
            ack("nt-1", "01-notice-7v2-vi", "finished", minutes=1),
            ack("nt-1", "01-notice-7v2-vi", "finished", minutes=1),  # a repeat: kept once
            ack("nt-1", "02-notice-7v2-tay", "failed", minutes=2),
            ack("nt-2", "01-notice-7v2-vi", "finished"),  # disabled
            ack("ghost", "01-notice-7v2-vi", "finished"),  # unknown
            ack("ha-1", "01-notice-7v2-vi", "finished"),  # another station's
            ack("ha-1", "01-notice-7v2-vi", "finished", station="hoa-an"),  # its station, another's slot
        ],
    )
    assert [(c.old, c.new) for c in changes] == [("unknown", "playing"), ("playing", "failed")]
    assert len(refused) == 4 and "acked slot 'nam-tuan/20261201T1700'" in refused[-1]
    assert any("'nt-2' is disabled" in r for r in refused) and any("'ghost' is not registered" in r for r in refused)
    assert any("belongs to station 'hoa-an'" in r and "for station 'nam-tuan'" in r for r in refused)
    sp = get_speaker(store, "nt-1")
    assert (sp.state, sp.clock_skew_ms, sp.cache_items, sp.acks) == ("playing", 40, 3, 3)
    assert slot_confirmations(store, 7) == {("nam-tuan", SLOT): [(AT + timedelta(minutes=1)).isoformat()]}


def test_confirmed_airings_count_each_slot_once_and_the_minutes_played(store):
    built_slot(store)
    add_speaker(store, "nt-1", "nam-tuan")
    add_speaker(store, "nt-2", "nam-tuan")  # two clusters of one station
    record_reports(
        store,
        [
            ack("nt-1", "01-notice-7v2-vi", "finished"),
            ack("nt-1", "02-notice-7v2-tay", "finished"),
            ack("nt-2", "01-notice-7v2-vi", "finished"),
            ack("nt-1", "00-opening", "finished", notice=None),
            # an emergency play: no slot, the item is its audio file, the length comes from radio_audio
            ack("nt-1", "em-7-v2-vi.mp3", "finished", slot=None, command="notice-7-v2-nam-tuan", minutes=5),
        ],
    )
    summary = confirmed_airings(store, 7, ["nam-tuan", "hoa-an"])
    assert (summary["aired"], summary["stations"]) == (1, 2)
    assert len(summary["by_station"]["nam-tuan"]) == 2  # the slot and the emergency
    month = monthly_airings(store, AT - timedelta(days=1), AT + timedelta(days=1))
    # slot: vi 60 s (two clusters, one item) + tày 30 s; emergency: 45 s
    assert month == {"nam-tuan": {"airings": 2, "minutes": round(135 / 60, 1), "failed": 0}}
