"""ffmpeg command and filter-string pieces, so every audio path limits, pads and measures alike."""

from __future__ import annotations

#: the sample rate everything is made at: espeak-ng's own, MPEG-2 layer III supports it, and
#: loudspeakers need no more
SAMPLE_RATE = 22050
#: every ffmpeg run: no banner or progress, stdin never read, the info level ebur128 prints at
HEAD = ("-hide_banner", "-nostdin", "-nostats", "-loglevel", "info")
#: float mono, what the gain and limiter work on
MONO_FLOAT = "aformat=sample_fmts=flt:channel_layouts=mono"


def limiter(ceiling_db: float) -> str:
    """A sample-peak limiter at `ceiling_db` dBFS (clamped to -24..0 dB, alimiter's range)."""
    limit = min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))
    return f"alimiter=limit={limit:.6f}:attack=5:release=50:level=false:latency=true"


def gain(db: float, places: int = 3) -> str:
    """A volume change of `db` decibels, computed in float (no clipping before the limiter)."""
    return f"volume={db:.{places}f}dB:precision=float"


def meter(name: str) -> str:
    """An EBU R128 meter named `name`: its summary is found by loa.audio.loudness.summaries()."""
    return f"ebur128@{name}=framelog=verbose"


def padding(lead: float, tail: float, rate: int = SAMPLE_RATE) -> list[str]:
    """Filters that add `lead` seconds of silence before and `tail` seconds after (none for 0)."""
    out = []
    if round(lead * rate) > 0:
        out.append(f"adelay=delays={round(lead * rate)}S:all=1")
    if round(tail * rate) > 0:
        out.append(f"apad=pad_len={round(tail * rate)}")
    return out
