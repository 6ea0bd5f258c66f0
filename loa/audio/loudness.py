"""Loudness arithmetic: LAME's fixed input scale, ebur128 summaries, the limiter calibration.
Pure functions of numbers and text, tested without ffmpeg (tests/unit/test_audio_toolkit.py)."""

from __future__ import annotations

import array
import math
import re
import sys
from dataclasses import dataclass

#: what ebur128 reports for silence or for less than 400 ms of sound; anything at or under
#: GATED is "not measurable"
SILENT = -70.0
GATED = -69.0

_LAME_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_LAME_SCALE = (0.95,) * 13 + (0.97, 0.98, 1.0, 1.0)

# a named meter's summary ([ebur128@name @ 0x..] Summary: ... I: -16.0 LUFS); ffmpeg prints an
# empty one when it (re)configures the graph, so the last of each name counts
_SUMMARY = re.compile(r"\[ebur128@(\w+) @ [^\]]+\] Summary:\s+Integrated loudness:\s+I:\s+(\S+) LUFS")


def kbps(bitrate: str) -> int | None:
    """96 for "96k"; None for anything that is not 8k..160k (22.05 kHz MP3's range)."""
    m = re.fullmatch(r"(\d{1,3})k", str(bitrate))
    return int(m.group(1)) if m and 8 <= int(m.group(1)) <= 160 else None


def lame_cbr_scale_db(kbps: int) -> float:
    """LAME's CBR/ABR presets scale the input (abr_switch_map 'scale' column): 0.95 up to 160 kbps.
    Feed LAME this many dB louder to land on a target."""
    i = min(range(len(_LAME_BITRATES)), key=lambda k: abs(_LAME_BITRATES[k] - kbps))
    return 20 * math.log10(_LAME_SCALE[i])


def summaries(stderr: str) -> dict[str, float]:
    """Integrated loudness (LUFS) by meter name from ffmpeg's stderr; SILENT for -inf or nan."""
    out = {}
    for name, value in _SUMMARY.findall(stderr):
        try:
            level = float(value)
        except ValueError:
            level = SILENT
        out[name] = level if math.isfinite(level) else SILENT
    return out


def combine(levels: list[float], weights: list[int]) -> float:
    """Integrated loudness of parts played one after the other (energy mean, weighted by length)."""
    total = sum(weights)
    energy = sum(w * 10 ** (lv / 10) for lv, w in zip(levels, weights, strict=True)) / total
    return 10 * math.log10(energy) if energy > 0 else SILENT


def gated_level(pcm: bytes, rate: int) -> float | None:
    """A quick loudness estimate (LUFS) of 16-bit mono speech: the mean power of its 400 ms blocks
    above -60 dBFS, less 0.9 dB (K-weighting on speech; within 0.5 LU of ebur128 on espeak-ng's
    voices at amplitudes 60-180). None when there is no speech in it."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    block = max(1, rate * 4 // 10)
    gate = (32768 * 10 ** (-60 / 20)) ** 2 * block
    powers = [
        p
        for p in (sum(x * x for x in samples[i : i + block]) for i in range(0, len(samples) - block + 1, block))
        if p > gate
    ]
    if not powers:
        return None
    return 10 * math.log10(sum(powers) / len(powers) / block / 32768**2) - 0.9


#: never push the gain more than this above the highest trial gain (a near-silent voice)
MAX_EXTRAPOLATION_DB = 10.0


@dataclass
class Calibration:
    """Loudness of the limited audio as a function of the gain before the limiter."""

    raw: float  # integrated loudness of the audio (or its sample), unprocessed
    points: list[tuple[float, float]]  # (gain dB, loudness after gain+limiter)
    estimate: float  # model gain used when nothing could be measured

    def gain_for(self, target: float) -> float:
        pts = [p for p in self.points if p[1] > GATED]
        if self.raw <= GATED or len(pts) < 2:
            return self.estimate
        if target <= pts[0][1]:
            # below the lowest trial the limiter does less and less: loudness follows the gain 1:1
            return pts[0][0] + (target - pts[0][1])
        for (g0, y0), (g1, y1) in zip(pts, pts[1:]):  # noqa: B007 - the bracketing pair is used after the loop
            if y1 >= target:
                break
        if y1 <= y0:
            return g1
        gain = g0 + (target - y0) * (g1 - g0) / (y1 - y0)  # interpolates, or extrapolates past the top
        return min(gain, pts[-1][0] + MAX_EXTRAPOLATION_DB)

    def correct(self, gain: float, miss: float) -> float:
        # the limiter eats part of any extra gain: scale the correction by the local slope
        slope = 1.0
        pts = self.points
        for (g0, y0), (g1, y1) in zip(pts, pts[1:]):
            if g0 <= gain <= g1 and g1 > g0 and y1 > y0:
                slope = (y1 - y0) / (g1 - g0)
        return gain + max(-6.0, min(6.0, miss / max(slope, 0.2)))
