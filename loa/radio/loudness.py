"""Bring a human recording (or a jingle) to a station's loudness, as MP3 like the synthetic voice.

The approach of loa.speech.tts, for a file that already exists: measure its integrated loudness
(EBU R128, ffmpeg ebur128), then one ffmpeg applies the gain, a sample-peak limiter under the true-peak
ceiling, the silence padding and LAME, measuring the limited programme just before LAME. Limiting
takes off loudness by an amount that depends on the recording, so when the programme misses the
target by more than TOLERANCE_LU the encode runs again with the miss corrected (a recording is a
few minutes at most: each pass is a fraction of a second). Mono 22.05 kHz, 96 kbps, as the
synthetic voice: the loudspeakers need no more.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from loa.speech import tts
from loa.speech.tts import AudioError, AudioInfo

SAMPLE_RATE = 22050
BITRATE = "96k"
#: LAME's CBR presets scale the input by 0.95 up to 160 kbps (see loa.speech.tts): feed it this much louder
LAME_SCALE_DB = 20 * math.log10(0.95)
#: the limiter sits this far under the true-peak ceiling (MP3 overshoot, inter-sample peaks), as tts does
TRUE_PEAK_MARGIN_DB = 1.0
TOLERANCE_LU = 0.5
MAX_PASSES = 3
TIMEOUT = 300.0

_SUMMARY = re.compile(r"Summary:\s*\n\s*Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf|nan) LUFS")


def _ffmpeg(out: Path) -> str:
    found = shutil.which(tts.FFMPEG_BIN)
    if not found:
        raise AudioError(
            f"ffmpeg not found (looked for {tts.FFMPEG_BIN!r}) while making {out}: install ffmpeg "
            "with libmp3lame (apt-get install ffmpeg) or set LOA_FFMPEG_BIN",
            path=out,
            tool="ffmpeg",
        )
    return found


def _run(cmd: list[str], out: Path, doing: str) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(
            f"ffmpeg took longer than {TIMEOUT:.0f} s {doing} for {out}; is the file very long?",
            path=out,
            tool="ffmpeg",
        ) from exc
    text = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        last = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["(no message)"]
        raise AudioError(
            f"ffmpeg failed (exit code {proc.returncode}) {doing} for {out}: {last[0][:300]}; "
            "check that the file is readable audio (ffprobe it)",
            path=out,
            tool="ffmpeg",
            returncode=proc.returncode,
            detail=text[-4000:],
        )
    return text


def _integrated(text: str) -> float:
    found = _SUMMARY.findall(text)
    try:
        value = float(found[-1]) if found else -70.0
    except ValueError:
        value = -70.0
    return value if math.isfinite(value) else -70.0


def measure(ffmpeg: str, src: Path, out: Path) -> float:
    """Integrated loudness (LUFS) of `src` as mono at 22.05 kHz, the way it will be played."""
    text = _run(
        [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-loglevel",
            "info",
            "-i",
            str(src),
            "-map",
            "0:a:0",
            "-af",
            f"aformat=sample_fmts=flt:channel_layouts=mono,aresample={SAMPLE_RATE},ebur128=framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        out,
        f"measuring {src.name}",
    )
    return _integrated(text)


def _limiter(ceiling_db: float) -> str:
    limit = min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))
    return f"alimiter=limit={limit:.6f}:attack=5:release=50:level=false:latency=true"


def normalize(
    src: Path,
    out: Path,
    *,
    loudness_lufs: float = -16.0,
    true_peak_db: float = -1.5,
    lead_silence: float = 0.0,
    tail_silence: float = 0.0,
    tags: dict[str, str] | None = None,
) -> AudioInfo:
    """Write `src` to `out` (MP3) at `loudness_lufs`, peaks under `true_peak_db`; atomically.
    Returns the file's duration (ffprobe) and the programme's loudness measured before LAME."""
    src, out = Path(src), Path(out)
    ffmpeg = _ffmpeg(out)
    raw = measure(ffmpeg, src, out)
    if raw <= -69.0:
        raise AudioError(f"{src} is silent or shorter than 0.4 s (no measurable loudness); record it again", path=out)
    target = loudness_lufs - LAME_SCALE_DB
    ceiling = true_peak_db - TRUE_PEAK_MARGIN_DB - LAME_SCALE_DB
    gain = target - raw
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    meta = []
    for key, value in (tags or {}).items():
        meta += ["-metadata", f"{key}={value}"]
    pad = []
    if round(lead_silence * SAMPLE_RATE) > 0:
        pad.append(f"adelay=delays={round(lead_silence * SAMPLE_RATE)}S:all=1")
    if round(tail_silence * SAMPLE_RATE) > 0:
        pad.append(f"apad=pad_len={round(tail_silence * SAMPLE_RATE)}")
    try:
        for _ in range(MAX_PASSES):
            chain = [
                "aformat=sample_fmts=flt:channel_layouts=mono",
                f"aresample={SAMPLE_RATE}",
                f"volume={gain:.3f}dB:precision=float",
                _limiter(ceiling),
                "ebur128=framelog=verbose",
                *pad,
            ]
            text = _run(
                [
                    ffmpeg,
                    "-hide_banner",
                    "-nostdin",
                    "-nostats",
                    "-loglevel",
                    "info",
                    "-y",
                    "-i",
                    str(src),
                    "-map",
                    "0:a:0",
                    "-af",
                    ",".join(chain),
                    "-map_metadata",
                    "-1",
                    "-id3v2_version",
                    "3",
                    *meta,
                    "-c:a",
                    "libmp3lame",
                    "-b:a",
                    BITRATE,
                    "-ar",
                    str(SAMPLE_RATE),
                    "-ac",
                    "1",
                    "-f",
                    "mp3",
                    str(tmp),
                ],
                out,
                "normalising the loudness",
            )
            measured = _integrated(text)
            miss = target - measured
            if abs(miss) <= TOLERANCE_LU:
                break
            gain += miss
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    info = tts.probe(out, loudness=False)
    return AudioInfo(
        out, info.duration, info.codec, round(measured + LAME_SCALE_DB, 2), info.sample_rate, info.channels
    )
