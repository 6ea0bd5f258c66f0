"""The audio toolkit's pure parts (loa.audio.filters, loa.audio.loudness) and the tool runner's
error paths (loa.tools), without ffmpeg: the numbers and strings the radio and the voice share."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from loa import tools
from loa.audio import filters, loudness
from loa.errors import AudioError, LoaError, ToolError

# what ffmpeg 5-7 print: a named meter's summary, an empty one from a graph reconfiguration first
STDERR = """\
[ebur128@speech @ 0x55d0c] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS
[ebur128@speech @ 0x55d0c] Summary:

  Integrated loudness:
    I:         -16.4 LUFS
    Threshold: -26.6 LUFS
[ebur128@programme @ 0x55d0d] Summary:

  Integrated loudness:
    I:         -15.9 LUFS
[ebur128@quiet @ 0x55d0e] Summary:

  Integrated loudness:
    I:          -inf LUFS
[Parsed_ebur128_0 @ 0x55d0f] Summary:

  Integrated loudness:
    I:         -12.0 LUFS
"""


def test_summaries_keep_the_last_of_each_named_meter():
    assert loudness.summaries(STDERR) == {"speech": -16.4, "programme": -15.9, "quiet": loudness.SILENT}


def test_summaries_of_nothing():
    assert loudness.summaries("") == {}
    assert loudness.summaries("Error opening input file x.mp3") == {}


@pytest.mark.parametrize(
    ("kbps", "db"), [(96, 20 * math.log10(0.95)), (160, 20 * math.log10(0.95)), (192, 20 * math.log10(0.97))]
)
def test_lame_scale(kbps, db):
    assert loudness.lame_cbr_scale_db(kbps) == pytest.approx(db)


@pytest.mark.parametrize(
    ("text", "value"), [("96k", 96), ("8k", 8), ("160k", 160), ("192k", None), ("96", None), ("", None)]
)
def test_kbps(text, value):
    assert loudness.kbps(text) == value


def test_combine_is_an_energy_mean():
    assert loudness.combine([-16.0, -16.0], [3, 5]) == pytest.approx(-16.0)
    # equal lengths at -10 and -20: 10*log10((0.1 + 0.01) / 2)
    assert loudness.combine([-10.0, -20.0], [1, 1]) == pytest.approx(10 * math.log10(0.055))
    assert loudness.combine([float("-inf")], [1]) == loudness.SILENT


def test_gated_level_of_a_full_scale_square_and_of_silence():
    rate = 22050
    square = b"".join((16384).to_bytes(2, sys.byteorder, signed=True) for _ in range(rate))  # -6 dBFS, 1 s
    assert loudness.gated_level(square, rate) == pytest.approx(20 * math.log10(0.5) - 0.9, abs=0.01)
    assert loudness.gated_level(bytes(2 * rate), rate) is None


def test_calibration_interpolates_clamps_and_corrects_by_slope():
    cal = loudness.Calibration(raw=-23.0, points=[(7.0, -17.0), (11.0, -15.0), (16.0, -13.0)], estimate=9.0)
    assert cal.gain_for(-16.0) == pytest.approx(9.0)  # halfway between the first two trials
    assert cal.gain_for(-20.0) == pytest.approx(4.0)  # below the trials: 1 dB per dB
    assert cal.gain_for(0.0) == pytest.approx(16.0 + loudness.MAX_EXTRAPOLATION_DB)
    # between 7 and 11 dB the limited loudness rises 0.5 dB per dB: a 1 LU miss needs 2 dB more
    assert cal.correct(9.0, 1.0) == pytest.approx(11.0)
    assert cal.correct(9.0, 100.0) == pytest.approx(15.0)  # never more than 6 dB at once
    assert loudness.Calibration(loudness.SILENT, [], 9.5).gain_for(-16.0) == 9.5


def test_filter_strings():
    assert filters.limiter(0.0) == "alimiter=limit=1.000000:attack=5:release=50:level=false:latency=true"
    assert "limit=0.501187" in filters.limiter(-6.0)
    assert "limit=0.062500" in filters.limiter(-60.0)  # alimiter's floor
    assert filters.gain(3.14159) == "volume=3.142dB:precision=float"
    assert filters.meter("m") == "ebur128@m=framelog=verbose"
    assert filters.padding(0.5, 0.7) == ["adelay=delays=11025S:all=1", "apad=pad_len=15435"]
    assert filters.padding(0.0, 0.0) == []
    # the meter a filter string names is the key summaries() gives back
    assert filters.meter("speech").split("=")[0].split("@")[1] in loudness.summaries(STDERR)


def test_tool_errors_are_loa_errors():
    assert issubclass(AudioError, ToolError) and issubclass(ToolError, LoaError)


def test_find_names_the_tool_the_file_and_what_to_do(tmp_path):
    out = tmp_path / "a.mp3"
    with pytest.raises(AudioError) as info:
        tools.find(str(tmp_path / "no-ffmpeg"), "ffmpeg", out, error=AudioError)
    msg = str(info.value)
    assert "ffmpeg not found" in msg and str(out) in msg and "apt-get install ffmpeg" in msg
    assert info.value.tool == "ffmpeg" and info.value.path == out
    extra = tmp_path / "sbin-tool"
    extra.write_text("")
    assert tools.find("no-such-program-here", "x", out, extra=[extra]) == str(extra)


def test_run_failure_and_timeout_name_the_tool(tmp_path):
    sh = [sys.executable, "-c"]
    with pytest.raises(ToolError) as info:
        tools.run(
            [*sh, "import sys; print('x: No such file or directory', file=sys.stderr); sys.exit(3)"],
            "fake",
            tmp_path / "f",
            "reading",
            "check f",
        )
    msg = str(info.value)
    assert msg.startswith("fake failed (exit code 3) reading for ") and "No such file or directory" in msg
    assert msg.endswith("; check f") and info.value.returncode == 3
    with pytest.raises(ToolError, match=r"fake took longer than 0 s reading for .* and was stopped"):
        tools.run([*sh, "import time; time.sleep(5)"], "fake", tmp_path / "f", "reading", "check f", timeout=0.2)
    with pytest.raises(ToolError, match="could not be started"):
        tools.run([str(tmp_path)], "fake", tmp_path / "f", "reading", "check f")
    assert tools.run([*sh, "print('ok')"], "fake", Path("f"), "x", "y").stdout.strip() == b"ok"


def test_last_message_skips_noise():
    text = "Stream #0\nsomething failed: Invalid data found\n[mp3 @ 0x1] Packet corrupt\nsize=  10kB\n"
    assert tools.last_message(text) == "something failed: Invalid data found"
    assert tools.last_message("") == "(no message)"
