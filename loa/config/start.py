"""What a process does once with a loaded config before it works: the side effects kept out of loading."""

from __future__ import annotations

from loa.config.env import ensure_secrets
from loa.config.model import Config


def start(cfg: Config) -> Config:
    """Create the embedded broker's passwords if missing and point speech at the configured tools."""
    from loa.speech import tts

    ensure_secrets(cfg.home)
    tts.use_tools(cfg.env.espeak_bin, cfg.env.ffmpeg_bin, cfg.env.ffprobe_bin)
    return cfg
