"""A station's voice from another engine: the "command" interface of loa.speech.tts.

The command here is espeak-ng itself, run through the interface (text on stdin or in a file,
WAV on stdout or in a file), against the real ffmpeg; files are checked from the outside.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from loa.errors import ConfigError
from loa.radio.audio import voice_settings
from loa.speech.tts import AudioError, VoiceSettings, synthesize, voice_command_problem
from tests.unit.test_config import _load, _set
from tests.unit.test_tts import PARAGRAPH, duration, ffprobe, loudness

ESPEAK_STDIO = ("espeak-ng", "-v", "{voice}", "-s", "{rate}", "-p", "{pitch}", "--stdin", "--stdout")
ESPEAK_FILES = ("espeak-ng", "-v", "vi", "-a", "180", "-f", "{text}", "-w", "{wav}")


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("command", [ESPEAK_STDIO, ESPEAK_FILES], ids=["stdin-stdout", "files"])
def test_command_voice_is_spoken_and_loudness_normalised(tmp_path, command):
    out = tmp_path / "notice-7-v1-vi.mp3"
    info = synthesize(PARAGRAPH, out, settings=VoiceSettings(command=command), tags={"title": "Thông báo"})
    stream = ffprobe(out)["streams"][0]
    assert (stream["codec_name"], stream["channels"], int(stream["sample_rate"])) == ("mp3", 1, 22050)
    # 43 words of Vietnamese speech: espeak-ng at its own rate takes 10-20 s
    assert 8.0 < duration(out) < 25.0 and abs(info.duration - duration(out)) < 0.3
    # the louder (-a 180) and the default voice both land on the -16 LUFS target
    assert abs(loudness(out) + 16.0) <= 0.5
    assert ffprobe(out)["format"]["tags"]["title"] == "Thông báo"


def test_command_settings_fill_the_placeholders(tmp_path):
    slow = synthesize(PARAGRAPH, tmp_path / "slow.mp3", settings=VoiceSettings(rate=100, command=ESPEAK_STDIO))
    fast = synthesize(PARAGRAPH, tmp_path / "fast.mp3", settings=VoiceSettings(rate=300, command=ESPEAK_STDIO))
    assert slow.duration > 1.6 * fast.duration


def test_failing_command_names_it_its_message_and_the_file(tmp_path):
    bad = _script(tmp_path, "vendor-tts", 'echo "licence expired" >&2; exit 3')
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError) as err:
        synthesize(PARAGRAPH, out, settings=VoiceSettings(command=(str(bad),)))
    msg = str(err.value)
    assert "voice command vendor-tts failed (exit code 3)" in msg and "licence expired" in msg
    assert str(out) in msg and "config/stations.yaml" in msg and not out.exists()


def test_command_that_writes_no_wav_is_refused(tmp_path):
    text_only = _script(tmp_path, "echo-tts", "cat")
    with pytest.raises(AudioError, match=r"voice command echo-tts wrote no WAV .*mono 16-bit PCM WAV"):
        synthesize(PARAGRAPH, tmp_path / "x.mp3", settings=VoiceSettings(command=(str(text_only),)))
    silent = _script(tmp_path, "lazy-tts", "exit 0")
    with pytest.raises(AudioError, match=r"voice command lazy-tts produced no speech"):
        synthesize(PARAGRAPH, tmp_path / "y.mp3", settings=VoiceSettings(command=(str(silent), "{wav}")))


def test_stereo_command_output_is_refused_with_the_fix(tmp_path):
    stereo = _script(
        tmp_path, "stereo-tts", "espeak-ng -v vi --stdin --stdout | ffmpeg -loglevel error -i - -ac 2 -f wav -"
    )
    with pytest.raises(AudioError, match=r"wrote 2-channel 16-bit audio .*-ac 1"):
        synthesize(PARAGRAPH, tmp_path / "x.mp3", settings=VoiceSettings(command=(str(stereo),)))


def test_missing_program_fails_when_run_with_what_to_do(tmp_path):
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError, match=r"voice command 'piper-nowhere' not found .*config/stations.yaml"):
        synthesize(PARAGRAPH, out, settings=VoiceSettings(command=("piper-nowhere", "--output_file", "{wav}")))


@pytest.mark.parametrize(
    "command,words",
    [
        ([], "is not a list of non-empty strings"),
        ("espeak-ng --stdout", "is not a list of non-empty strings"),
        (["espeak-ng", ""], "is not a list of non-empty strings"),
        (["espeak-ng", "-w", "{out}"], "{out} in '{out}' is not a placeholder (use {text}, {wav}"),
        (["{wav}"], "the program '{wav}' cannot be a placeholder"),
        (["piper-nowhere"], "program 'piper-nowhere' not found"),
    ],
)
def test_command_problems_are_named(command, words):
    assert words in voice_command_problem(command)


def test_a_good_command_has_no_problem():
    assert voice_command_problem(ESPEAK_FILES) is None
    with pytest.raises(ValueError, match="command: .* is not a placeholder"):
        VoiceSettings(command=("espeak-ng", "{speed}"))


# --- stations.yaml --------------------------------------------------------------------------


def test_station_engine_is_configured_per_station(tmp_path):
    def edit(folder):
        _set(
            folder,
            "stations.yaml",
            lambda d: (
                d["defaults"].update(engine={"command": list(ESPEAK_FILES)}),
                d["stations"][1].update(engine="espeak-ng"),
            ),
        )

    cfg = _load(tmp_path, edit)
    st = {s.id: s for s in cfg.stations}
    assert st["hoa-an"].voice_command == ESPEAK_FILES == st["dam-thuy"].voice_command
    assert st["nam-tuan"].voice_command == ()
    assert voice_settings(st["hoa-an"]).command == ESPEAK_FILES
    assert voice_settings(st["nam-tuan"]).command == ()


def test_shipped_stations_use_the_built_in_voice(tmp_path):
    cfg = _load(tmp_path, lambda f: None)
    assert all(s.voice_command == () for s in cfg.stations)


@pytest.mark.parametrize(
    "engine,key,words",
    [
        (
            {"command": ["piper-nowhere", "--output_file", "{wav}"]},
            "stations[0].engine.command",
            "program 'piper-nowhere' not found (looked on PATH and as a path); install it or give its full path",
        ),
        ({"command": ["espeak-ng", "{out}"]}, "stations[0].engine.command", "{out} in '{out}' is not a placeholder"),
        ({"command": "espeak-ng --stdout"}, "stations[0].engine.command", "is not a list of non-empty strings"),
        ("piper", "stations[0].engine", "'piper' is not espeak-ng or {command: [program, arg, ...]}"),
        ({"cmd": ["espeak-ng"]}, "stations[0].engine", "is not espeak-ng or {command:"),
    ],
)
def test_bad_engine_is_one_clear_line_at_start(tmp_path, engine, key, words):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, lambda folder: _set(folder, "stations.yaml", lambda d: d["stations"][0].update(engine=engine)))
    message = str(info.value)
    assert "stations.yaml" in message and f": {key}: " in message and words in message, message
    assert "\n" not in message


def test_engine_program_may_be_a_path(tmp_path):
    espeak = next(
        Path(p) / "espeak-ng" for p in os.environ["PATH"].split(os.pathsep) if (Path(p) / "espeak-ng").is_file()
    )
    cfg = _load(
        tmp_path,
        lambda folder: _set(
            folder,
            "stations.yaml",
            lambda d: d["stations"][0].update(engine={"command": [str(espeak), "--stdin", "--stdout"]}),
        ),
    )
    assert cfg.stations[0].voice_command == (str(espeak), "--stdin", "--stdout")
