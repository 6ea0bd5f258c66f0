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

import logging
from pathlib import Path

from loa import tools
from loa.audio import filters
from loa.audio.loudness import GATED, SILENT, lame_cbr_scale_db, summaries
from loa.errors import AudioError
from loa.files import atomic_path
from loa.speech import tts
from loa.speech.tts import AudioInfo

log = logging.getLogger(__name__)

SAMPLE_RATE = filters.SAMPLE_RATE
BITRATE = "96k"
#: LAME's CBR presets scale the input by 0.95 up to 160 kbps: feed it this much louder
LAME_SCALE_DB = lame_cbr_scale_db(96)
#: the limiter sits this far under the true-peak ceiling (MP3 overshoot, inter-sample peaks), as tts does
TRUE_PEAK_MARGIN_DB = tts.TRUE_PEAK_MARGIN_DB
TOLERANCE_LU = 0.5
MAX_PASSES = 3


def _ffmpeg(out: Path) -> str:
    return tools.find(tts.FFMPEG_BIN, "ffmpeg", out, error=AudioError)


def _run(cmd: list[str], out: Path, doing: str) -> str:
    proc = tools.run(cmd, "ffmpeg", out, doing, "check that the file is readable audio (ffprobe it)", error=AudioError)
    return proc.stderr.decode("utf-8", "replace")


def _integrated(text: str) -> float:
    return summaries(text).get("m", SILENT)


def measure(ffmpeg: str, src: Path, out: Path) -> float:
    """Integrated loudness (LUFS) of `src` as mono at 22.05 kHz, the way it will be played."""
    text = _run(
        [
            ffmpeg,
            *filters.HEAD,
            "-i",
            str(src),
            "-map",
            "0:a:0",
            "-af",
            f"{filters.MONO_FLOAT},aresample={SAMPLE_RATE},{filters.meter('m')}",
            "-f",
            "null",
            "-",
        ],
        out,
        f"measuring {src.name}",
    )
    return _integrated(text)


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
    if raw <= GATED:
        raise AudioError(f"{src} is silent or shorter than 0.4 s (no measurable loudness); record it again", path=out)
    target = loudness_lufs - LAME_SCALE_DB
    ceiling = true_peak_db - TRUE_PEAK_MARGIN_DB - LAME_SCALE_DB
    gain = target - raw
    meta = []
    for key, value in (tags or {}).items():
        meta += ["-metadata", f"{key}={value}"]
    pad = filters.padding(lead_silence, tail_silence)
    with atomic_path(out) as tmp:
        for _ in range(MAX_PASSES):
            chain = [
                filters.MONO_FLOAT,
                f"aresample={SAMPLE_RATE}",
                filters.gain(gain),
                filters.limiter(ceiling),
                filters.meter("m"),
                *pad,
            ]
            text = _run(
                [
                    ffmpeg,
                    *filters.HEAD,
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
    info = tts.probe(out, loudness=False)
    return AudioInfo(
        out, info.duration, info.codec, round(measured + LAME_SCALE_DB, 2), info.sample_rate, info.channels
    )
