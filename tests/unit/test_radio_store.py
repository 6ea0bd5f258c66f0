"""The radio history in the store (SQLite and PostgreSQL) and which source each language airs from."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from loa.radio import audio
from loa.store import radio as history
from tests.unit.test_radio_build import notice, radio_cfg, station

T0 = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def slot(st, at, airings, overflow=(), kind="slot"):
    return history.SlotRecord(
        st,
        kind,
        at.date().isoformat(),
        at.strftime("%H:%M"),
        at,
        1200.0,
        sum(a.seconds for a in airings),
        list(airings),
        [list(o) for o in overflow],
        [],
    )


def test_counts_carry_and_replacement(store):
    a, b = history.Airing(1, 1, ["vi"], 60.0), history.Airing(2, 1, ["vi", "tay"], 90.0)
    history.record_slots(
        store,
        [
            slot("x", T0, [a, b]),
            slot("y", T0, [a], overflow=[(2, 1, "no room")]),
            slot("x", T0 + timedelta(hours=10), [a], overflow=[(2, 1, "no room")]),
        ],
    )
    later = T0 + timedelta(days=1)
    counts = history.aired_counts(store, ["x", "y"], later, T0 + timedelta(hours=5), [(1, 1), (2, 1), (3, 1)])
    assert counts == {("x", 1, 1): (2, 1), ("x", 2, 1): (1, 0), ("y", 1, 1): (1, 0)}
    assert history.carried(store, ["x", "y", "z"], later) == {"x": {(2, 1)}, "y": {(2, 1)}}
    assert history.carried(store, ["x"], T0 + timedelta(hours=1)) == {"x": set()}
    # rebuilding a slot replaces it: airings are not counted twice
    history.record_slots(store, [slot("x", T0, [b])])
    counts = history.aired_counts(store, ["x"], later, T0 - timedelta(days=1), [(1, 1), (2, 1)])
    assert counts == {("x", 1, 1): (1, 1), ("x", 2, 1): (1, 1)}
    assert history.future_slots(store, ["x", "y"], T0) == [("x", T0 + timedelta(hours=10))]
    assert [r.slot for r in history.notice_airings(store, 1)] == ["2026-12-01 23:00", "2026-12-02 09:00"]
    latest = history.latest_slots(store, ["x", "y"], T0 + timedelta(hours=1))
    assert latest["x"].starts_at == T0 + timedelta(hours=10) and latest["y"].starts_at == T0  # next, else last


def test_emergencies_aired_once(store):
    history.record_slots(store, [slot("x", T0, [history.Airing(5, 2, ["vi"], 30.0)], kind="emergency")])
    assert history.emergencies_aired(store, ["x", "y"], [(5, 2), (5, 1)]) == {("x", 5, 2)}


def test_audio_records_upsert(store):
    rec = history.AudioRecord("notice-1-v1-vi.mp3", 1, 1, "vi", "synthetic", "k1", 12.5, -16.1)
    history.save_audio(store, [rec])
    history.save_audio(store, [replace(rec, source="recording", source_key="k2", seconds=20.0)])
    assert history.audio_records(store, ["notice-1-v1-vi.mp3", "other.mp3"]) == {
        "notice-1-v1-vi.mp3": replace(rec, source="recording", source_key="k2", seconds=20.0)
    }


def test_a_human_recording_beats_the_synthetic_voice(store, tmp_path):
    cfg = radio_cfg(
        tmp_path,
        stations=[
            station(languages=["vi", "tay", "hmn"]),
            station("south", "cao-bang", voice="vi-vn-x-south"),
            station("quiet", "cao-bang", loudness_lufs=-20),
        ],
    )
    n = notice(store, "Thông báo A")
    hv, south, quiet = cfg.stations
    vi = audio.source(cfg, hv, n, "vi")
    assert (vi.kind, vi.file) == ("synthetic", f"notice-{n.id}-v1-vi.mp3")  # the defaults: the website's file
    assert audio.source(cfg, hv, n, "tay") is None and audio.source(cfg, hv, n, "hmn") is None
    other = audio.source(cfg, south, n, "vi")
    assert other.kind == "synthetic" and other.file.startswith(f"notice-{n.id}-v1-vi-") and other.key != vi.key

    folder = cfg.home / "radio" / "recordings" / str(n.id)
    folder.mkdir(parents=True)
    (folder / "v1-tay.ogg").write_bytes(b"x")
    (folder / "v1-vi.mp3").write_bytes(b"y")
    (folder / ".v1-hmn.mp3.tmp").write_bytes(b"z")  # an upload in progress is not a recording
    tay, vi2 = audio.source(cfg, hv, n, "tay"), audio.source(cfg, hv, n, "vi")
    assert (tay.kind, tay.recording.name, tay.file) == ("recording", "v1-tay.ogg", f"notice-{n.id}-v1-tay.mp3")
    assert (vi2.kind, vi2.file) == ("recording", vi.file) and vi2.key != vi.key  # the same file, remade
    assert audio.source(cfg, hv, n, "hmn") is None
    # a recording is the same for every voice; only loudness and padding make another file
    assert audio.source(cfg, south, n, "vi").file == vi.file
    assert audio.source(cfg, quiet, n, "vi").file != vi.file
