"""stations.yaml: slots, days, voice and loudness per station over `defaults`; bad values name file, key and value."""

import pytest

from loa.errors import ConfigError
from tests.unit.test_config import _load, _set


def test_shipped_stations_have_slots_voices_and_quotas(tmp_path):
    cfg = _load(tmp_path, lambda f: None)
    st = {s.id: s for s in cfg.stations}
    assert cfg.radio.build_minutes_before == 5 and cfg.radio.defaults.voice == "vi"
    assert [(s.time, s.max_minutes) for s in st["hoa-an"].slots] == [("06:00", 30), ("11:00", 15), ("17:00", 30)]
    assert st["hoa-an"].slots[1].days == (1, 2, 3, 4, 5)
    # nam-tuan takes every default: two slots, the evening one not on Sunday
    assert [(s.time, s.days) for s in st["nam-tuan"].slots] == [
        ("06:00", (1, 2, 3, 4, 5, 6, 7)),
        ("17:00", (1, 2, 3, 4, 5, 6)),
    ]
    assert st["nam-tuan"].languages == ("vi", "tay") and st["tinh-tuc"].languages == ("vi", "hmn")
    assert (st["dam-thuy"].rate, st["nam-tuan"].rate, st["nam-tuan"].loudness_lufs) == (140, 150, -16.0)
    assert (st["nam-tuan"].airings, st["nam-tuan"].over_days) == (3, 3)


def test_station_overrides_and_jingles(tmp_path):
    def edit(folder):
        (folder / "jingles").mkdir()
        (folder / "jingles" / "intro.wav").write_bytes(b"RIFF")
        _set(
            folder,
            "stations.yaml",
            lambda d: (
                d["defaults"].update(intro="jingles/intro.wav", airings=4),
                d["stations"][1].update(
                    voice="vi-vn-x-south",
                    pitch=40,
                    loudness_lufs=-18,
                    over_days=2,
                    slots=[{"time": "19:30", "max_minutes": 10, "days": ["sat", "sun"]}],
                ),
            ),
        )

    cfg = _load(tmp_path, edit)
    st = {s.id: s for s in cfg.stations}
    hv = st["nam-tuan"]
    assert (hv.voice, hv.pitch, hv.loudness_lufs, hv.airings, hv.over_days) == ("vi-vn-x-south", 40, -18.0, 4, 2)
    assert [(s.time, s.max_minutes, s.days) for s in hv.slots] == [("19:30", 10, (6, 7))]
    assert hv.intro == st["hoa-an"].intro == (tmp_path / "config" / "jingles" / "intro.wav").resolve()
    assert hv.outro is None


@pytest.mark.parametrize(
    "mutate,key,words",
    [
        (
            lambda d: d["stations"][0].update(voice="en-us"),
            "stations[0].voice",
            "'en-us' is not a Vietnamese espeak-ng voice",
        ),
        (lambda d: d["stations"][0].update(rate=500), "stations[0].rate", "500 is outside 80..450"),
        (lambda d: d["defaults"].update(loudness_lufs=-3), "defaults.loudness_lufs", "-3 is outside -40..-5"),
        (lambda d: d["stations"][0].update(languages=["vi", "vi"]), "stations[0].languages", "'vi' is not a unique"),
        (lambda d: d["stations"][0].update(languages=["Tày"]), "stations[0].languages", "'Tày' is not a unique"),
        (
            lambda d: d["stations"][0].update(slots=[{"time": "6am", "max_minutes": 20}]),
            "stations[0].slots[0].time",
            "'6am' is not a time",
        ),
        (
            lambda d: d["stations"][0].update(slots=[{"time": "06:00", "max_minutes": 0}]),
            "stations[0].slots[0].max_minutes",
            "0 is outside 1..240",
        ),
        (
            lambda d: d["stations"][0].update(slots=[{"time": "06:00", "days": ["funday"]}]),
            "stations[0].slots[0].days",
            "'funday' is not a day",
        ),
        (
            lambda d: d["stations"][0].update(slots=[{"time": "06:00"}, {"time": "06:00"}]),
            "stations[0].slots[1].time",
            "listed twice",
        ),
        (lambda d: d["stations"][0].update(slots="06:00"), "stations[0].slots", "is not a list"),
        (lambda d: d["stations"][0].update(slots=[]), "stations[0].slots", "lists no slot"),
        (lambda d: d["stations"][0].update(airings=0), "stations[0].airings", "0 is outside 1..100"),
        (
            lambda d: d["stations"][0].update(over_days="three"),
            "stations[0].over_days",
            "'three' is not a whole number",
        ),
        (lambda d: d["stations"][0].update(intro="nowhere.mp3"), "stations[0].intro", "jingle 'nowhere.mp3' not found"),
        (lambda d: d["stations"][1].update(id="hoa-an"), "stations[1].id", "'hoa-an' is listed twice"),
        (lambda d: d.update(build_minutes_before=0), "build_minutes_before", "0 is outside 1..120"),
    ],
)
def test_bad_station_values_name_file_key_and_value(tmp_path, mutate, key, words):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda folder: _set(folder, "stations.yaml", mutate))
    message = str(info.value)
    assert "stations.yaml" in message and f": {key}: " in message and words in message, message
    assert "\n" not in message


def test_a_station_needs_slots_somewhere(tmp_path):
    with pytest.raises(ConfigError, match=r"stations\[0\]\.slots: is missing, and `defaults` has none"):
        _load(
            tmp_path,
            lambda folder: _set(
                folder, "stations.yaml", lambda d: (d["defaults"].pop("slots"), d["stations"][0].pop("slots"))
            ),
        )
