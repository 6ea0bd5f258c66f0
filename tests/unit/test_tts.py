"""loa.speech.tts against the real espeak-ng, ffmpeg and ffprobe: no mocks.

Every file is checked from the outside, the way a station's player or an auditor would:
ffprobe for the format and tags, `ffmpeg -i out.mp3 -af ebur128 -f null -` for the loudness.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from loa.audio import loudness as audio_loudness
from loa.errors import LoaError
from loa.speech import tts
from loa.speech.tts import AudioError, AudioInfo, VoiceSettings, probe, synthesize

PARAGRAPH = (
    "Ủy ban nhân dân xã thông báo: từ ngày mười lăm tháng sáu, bà con nộp hồ sơ đăng ký khai sinh "
    "và chứng thực bản sao qua dịch vụ công trực tuyến. Cán bộ bộ phận một cửa sẽ hướng dẫn tra cứu "
    "kết quả trên cổng dịch vụ công của tỉnh. Đề nghị các hộ gia đình mang theo căn cước công dân."
)
WORDS = len(PARAGRAPH.split())
SHORT = "Ủy ban nhân dân xã Hồng Việt thông báo lịch tiếp công dân."

# a notice long enough (> SPLIT_MIN_SECONDS of speech) to be encoded as two halves in parallel
LONG = " ".join(
    [
        PARAGRAPH,
        "Thời gian làm việc buổi sáng từ bảy giờ ba mươi phút đến mười một giờ, "
        "buổi chiều từ một giờ ba mươi phút đến năm giờ.",
        "Mọi thắc mắc xin liên hệ văn phòng Ủy ban nhân dân xã hoặc trưởng thôn để được giải đáp kịp thời.",
    ]
    * 2
)


# --- helpers: look at the file from the outside ------------------------------------------------


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def loudness(path: Path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


def duration(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


def tone(
    path: Path, seconds: float, *, freq: int = 880, rate: int = 44100, channels: int = 2, volume_db: float = -6.0
) -> Path:
    """A jingle made with ffmpeg: a tone in a different rate/layout than the speech."""
    layout = "stereo" if channels == 2 else "mono"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:sample_rate={rate}:duration={seconds}",
            "-af",
            f"volume={volume_db}dB,aformat=channel_layouts={layout}",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def default_mp3(tmp_path_factory) -> tuple[Path, AudioInfo]:
    out = tmp_path_factory.mktemp("tts") / "notice-7-v1-vi.mp3"
    info = synthesize(
        PARAGRAPH,
        out,
        tags={"title": "Thông báo tiếp nhận hồ sơ trực tuyến", "comment": "loa notice 7 v1", "language": "vie"},
    )
    return out, info


# --- format, length, loudness, tags ----------------------------------------------------------


def test_writes_a_mono_mp3_of_plausible_length(default_mp3):
    out, info = default_mp3
    data = ffprobe(out)
    (stream,) = data["streams"]
    assert data["format"]["format_name"] == "mp3"
    assert stream["codec_name"] == "mp3" and stream["channels"] == 1
    assert int(stream["sample_rate"]) in (22050, 24000)
    d = float(data["format"]["duration"])
    s = VoiceSettings()
    speech = d - s.lead_silence - s.tail_silence
    # espeak-ng reads Vietnamese syllable-words at 2.5-6 a second at rate 150
    assert d > 1.0 and WORDS / 6 < speech < WORDS / 2.5, (d, WORDS)
    # synthesize() reports the programme's own length; ffprobe adds LAME's encoder delay and padding
    assert info.path == out and info.codec == "mp3" and 0 <= d - info.duration < 0.1
    assert info.channels == 1 and info.sample_rate == int(stream["sample_rate"])


def test_loudness_of_the_mp3_is_on_the_default_target(default_mp3):
    out, info = default_mp3
    measured = loudness(out)
    assert abs(measured - VoiceSettings().loudness_lufs) <= 1.0, measured
    assert info.loudness_lufs is not None and abs(info.loudness_lufs - measured) <= 0.5


def test_loudness_follows_another_target(tmp_path):
    out = tmp_path / "quiet.mp3"
    info = synthesize(PARAGRAPH, out, settings=VoiceSettings(loudness_lufs=-23.0, true_peak_db=-2.0))
    assert abs(loudness(out) - (-23.0)) <= 1.0
    assert abs(info.loudness_lufs - (-23.0)) <= 1.0


def test_id3_tags_are_written(default_mp3):
    out, _ = default_mp3
    tags = {k.lower(): v for k, v in ffprobe(out)["format"].get("tags", {}).items()}
    assert tags["title"] == "Thông báo tiếp nhận hồ sơ trực tuyến"
    assert tags["comment"] == "loa notice 7 v1"
    assert tags["language"] == "vie"


def test_probe_reads_back_what_was_written(default_mp3):
    out, info = default_mp3
    got = probe(out)
    assert got.codec == "mp3" and got.channels == 1
    assert 0 <= got.duration - info.duration < 0.1
    assert got.loudness_lufs is not None and abs(got.loudness_lufs - VoiceSettings().loudness_lufs) <= 1.0
    assert probe(out, loudness=False).loudness_lufs is None


def test_long_notice_encoded_in_two_halves_is_one_seamless_file(tmp_path):
    out = tmp_path / "long.mp3"
    intro = tone(tmp_path / "intro.wav", 1.0)
    outro = tone(tmp_path / "outro.wav", 1.0, freq=440, channels=1)
    info = synthesize(LONG, out, tags={"title": "Dài", "comment": "loa notice 8 v2"}, intro=intro, outro=outro)
    data = ffprobe(out)
    assert len(data["streams"]) == 1 and data["streams"][0]["channels"] == 1
    assert data["format"]["tags"]["title"] == "Dài"
    d = float(data["format"]["duration"])
    assert d > tts.SPLIT_MIN_SECONDS and 0 <= d - info.duration < 0.2  # two encoder delays
    words = len(LONG.split())
    assert words / 6 < d - 2.0 < words / 2.5
    # decodes end to end without errors, and is on target
    dec = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(out), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert dec.returncode == 0 and dec.stderr.strip() == ""
    assert abs(loudness(out) - VoiceSettings().loudness_lufs) <= 1.0


# --- text really reaches espeak-ng as UTF-8 ------------------------------------------------


def test_vietnamese_diacritics_are_spoken(tmp_path):
    out = tmp_path / "uy-ban.mp3"
    s = VoiceSettings(lead_silence=0.0, tail_silence=0.0)
    synthesize("Ủy ban nhân dân", out, settings=s)
    # four syllables: well over half a second; mangled bytes would be spelt out or dropped
    assert 0.6 < duration(out) < 3.5


def test_decomposed_unicode_reads_like_composed(tmp_path):
    text = SHORT
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    s = VoiceSettings(lead_silence=0.0, tail_silence=0.0)
    a = synthesize(text, tmp_path / "nfc.mp3", settings=s)
    b = synthesize(nfd, tmp_path / "nfd.mp3", settings=s)
    assert abs(a.duration - b.duration) < 0.03
    assert (tmp_path / "nfc.mp3").stat().st_size == (tmp_path / "nfd.mp3").stat().st_size


@pytest.mark.parametrize("voice", ["vi-vn-x-central", "vi-vn-x-south"])
def test_central_and_southern_voices(tmp_path, voice):
    out = tmp_path / f"{voice}.mp3"
    info = synthesize(SHORT, out, settings=VoiceSettings(voice=voice, rate=140, pitch=45))
    assert ffprobe(out)["streams"][0]["codec_name"] == "mp3"
    words = len(SHORT.split())
    assert words / 6 < info.duration - 1.2 < words / 2.5
    assert abs(loudness(out) - VoiceSettings().loudness_lufs) <= 1.0


# --- jingles and padding -----------------------------------------------------------------


def test_intro_and_outro_add_their_length_and_keep_the_loudness(tmp_path):
    s = VoiceSettings()
    intro = tone(tmp_path / "intro.wav", 1.5, channels=2, rate=44100, volume_db=-3.0)
    outro = tone(tmp_path / "outro.wav", 1.0, freq=660, channels=1, rate=48000, volume_db=-30.0)
    plain = synthesize(SHORT, tmp_path / "plain.mp3", settings=s)
    framed = synthesize(SHORT, tmp_path / "framed.mp3", settings=s, intro=intro, outro=outro)
    # as reported, and as ffprobe sees the files (one jingle per half: the long-notice test)
    assert abs((framed.duration - plain.duration) - 2.5) < 0.01, (framed.duration, plain.duration)
    seen = duration(tmp_path / "framed.mp3") - duration(tmp_path / "plain.mp3")
    assert abs(seen - 2.5) < 0.06, seen
    # the loud intro and the quiet outro were both brought to the target with the speech
    assert abs(loudness(tmp_path / "framed.mp3") - s.loudness_lufs) <= 1.0
    assert abs(framed.loudness_lufs - s.loudness_lufs) <= 1.0


def test_silence_padding_changes_the_length(tmp_path):
    a = synthesize(SHORT, tmp_path / "a.mp3", settings=VoiceSettings(lead_silence=0.0, tail_silence=0.0))
    b = synthesize(SHORT, tmp_path / "b.mp3", settings=VoiceSettings(lead_silence=1.0, tail_silence=2.0))
    assert abs((b.duration - a.duration) - 3.0) < 0.01
    assert abs((duration(tmp_path / "b.mp3") - duration(tmp_path / "a.mp3")) - 3.0) < 0.06


# --- failures: helpful, and never a half-written file ------------------------------------


def test_missing_espeak_says_how_to_install_it(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "out" / "x.mp3"
    with pytest.raises(AudioError) as err:
        synthesize(PARAGRAPH, out)
    msg = str(err.value)
    assert "espeak-ng not found" in msg and "apt-get install espeak-ng" in msg and str(out) in msg
    assert isinstance(err.value, LoaError)
    assert not out.exists()


def test_missing_ffmpeg_binary_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(tts, "FFMPEG_BIN", str(tmp_path / "no" / "ffmpeg"))
    with pytest.raises(AudioError, match=r"ffmpeg not found .*apt-get install ffmpeg"):
        synthesize(PARAGRAPH, tmp_path / "x.mp3")


def test_unknown_voice_names_the_voices(tmp_path):
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError) as err:
        synthesize(PARAGRAPH, out, settings=VoiceSettings(voice="xx-nowhere"))
    msg = str(err.value)
    assert "espeak-ng failed (exit code" in msg and str(out) in msg
    assert "does not exist" in msg and "espeak-ng --voices=vi" in msg
    assert not out.exists()


def test_empty_text_is_refused(tmp_path):
    with pytest.raises(AudioError, match="nothing to read aloud"):
        synthesize(" \n\t ", tmp_path / "x.mp3")


def test_bad_settings_are_refused_early():
    with pytest.raises(ValueError, match="pitch"):
        VoiceSettings(pitch=120)
    with pytest.raises(ValueError, match="bitrate"):
        VoiceSettings(bitrate="loud")


def test_unreadable_jingle_fails_before_anything_is_written(tmp_path):
    bad = tmp_path / "intro.mp3"
    bad.write_bytes(b"this is not audio" * 100)
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError, match=r"ffmpeg failed .*jingle"):
        synthesize(PARAGRAPH, out, intro=bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intro.mp3"]


def failing_encoder(tmp_path: Path) -> Path:
    """The real ffmpeg, except that an MP3 encode writes half a file and dies (disk full, killed)."""
    real = subprocess.run(["sh", "-c", "command -v ffmpeg"], capture_output=True, text=True).stdout.strip()
    script = tmp_path / "ffmpeg-dies-mid-encode"
    script.write_text(f"""#!/bin/sh
case "$*" in
  *libmp3lame*)
    for last in "$@"; do :; done
    [ "$last" = pipe:1 ] || head -c 4096 /dev/urandom > "$last"
    cat > /dev/null
    echo "av_interleaved_write_frame(): No space left on device" >&2
    exit 1 ;;
esac
exec {real} "$@"
""")
    script.chmod(0o755)
    return script


def test_failed_encode_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    folder = tmp_path / "audio"
    folder.mkdir()
    out = folder / "notice-9-v1-vi.mp3"
    out.write_bytes(b"previous good file")
    monkeypatch.setattr(tts, "FFMPEG_BIN", str(failing_encoder(tmp_path)))
    with pytest.raises(AudioError) as err:
        synthesize(PARAGRAPH, out)
    msg = str(err.value)
    assert "exit code 1" in msg and "No space left on device" in msg and str(out) in msg
    assert out.read_bytes() == b"previous good file"
    assert [p.name for p in folder.iterdir()] == [out.name]
    # and for a first synthesis, nothing appears at all
    fresh = folder / "notice-10-v1-vi.mp3"
    with pytest.raises(AudioError):
        synthesize(LONG, fresh)
    assert not fresh.exists() and [p.name for p in folder.iterdir()] == [out.name]


def test_output_is_replaced_atomically_and_readable(tmp_path):
    out = tmp_path / "n.mp3"
    out.write_bytes(b"old")
    synthesize(SHORT, out)
    assert out.read_bytes()[:3] == b"ID3"
    assert os.stat(out).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["n.mp3"]


def test_probe_errors_are_audio_errors(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        probe(tmp_path / "missing.mp3")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(AudioError, match="ffprobe"):
        probe(junk)


# --- the pure helpers behind the fast path ------------------------------------------------


def test_calibration_interpolates_and_extrapolates():
    cal = audio_loudness.Calibration(raw=-23.0, points=[(7.0, -17.0), (11.0, -15.0), (16.0, -13.0)], estimate=9.0)
    assert cal.gain_for(-16.0) == pytest.approx(9.0)  # between the first two trials
    assert cal.gain_for(-14.0) == pytest.approx(13.5)  # between the last two
    assert cal.gain_for(-20.0) == pytest.approx(4.0)  # below: the limiter lets go, 1 dB per dB
    assert cal.gain_for(-12.0) == pytest.approx(18.5)  # above: the last slope
    assert cal.gain_for(0.0) == pytest.approx(16.0 + audio_loudness.MAX_EXTRAPOLATION_DB)
    assert audio_loudness.Calibration(-70.0, [], 9.5).gain_for(-16.0) == 9.5  # nothing measurable
    assert cal.correct(9.0, 0.5) == pytest.approx(10.0)  # slope 0.5 there: twice the miss


def test_calibration_slices_are_spread_and_sample_aligned():
    stream = bytes(range(256)) * 400  # 102,400 bytes
    every, take = 10_000.5, 1_000
    whole = tts._slices(stream, 0, every, take)
    # fed in odd-sized chunks, the same bytes come out
    pieces, pos = [], 0
    for size in (1, 4095, 333, 7, 50_000, 47_964):
        pieces.append(tts._slices(stream[pos : pos + size], pos, every, take))
        pos += size
    assert pos == len(stream) and b"".join(pieces) == whole
    starts = [int(k * every) & ~1 for k in range(11)]
    assert whole == b"".join(stream[s : s + take] for s in starts)
    assert tts._slices(b"abcd", 0, 4.0, 4) == b"abcd"  # short notice: everything


def test_wav_header_of_a_stream():
    fmt = (
        (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + (22050).to_bytes(4, "little")
        + (44100).to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
    )
    head = b"RIFF" + b"\xff\xff\xff\x7f" + b"WAVE" + b"fmt " + fmt + b"data" + b"\x00\xf0\xff\x7f"
    assert tts._wav_header(head[:30]) is None  # not all there yet
    assert tts._wav_header(head + b"\x01\x02") == (22050, 1, 16, 44)
    with pytest.raises(ValueError):
        tts._wav_header(b"ID3\x03" + bytes(40))


def test_split_point_is_inside_a_pause_near_the_middle():
    sound = b"\x10\x27" * 50_000
    pause = bytes(2 * 3000)
    pcm = sound + pause + sound + pause + sound
    cut = tts._split_point(pcm, 22050)
    assert cut is not None and cut % 2 == 0 and pcm[cut - 100 : cut + 100] == bytes(200)
    assert tts._split_point(sound * 3, 22050) is None  # no pause: one piece


def test_lame_scale_compensation():
    assert audio_loudness.lame_cbr_scale_db(96) == pytest.approx(-0.4455, abs=1e-3)
    assert audio_loudness.lame_cbr_scale_db(192) == pytest.approx(-0.2646, abs=1e-3)
    assert audio_loudness.lame_cbr_scale_db(320) == 0.0
