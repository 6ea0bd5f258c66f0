"""Commune loudspeaker radio: a read-aloud MP3 per notice version and an M3U playlist per station.

Audio is synthesised once per notice version (espeak-ng + ffmpeg, loa.speech.tts)
from the approved radio script. A station's playlist is rebuilt from the store
on every publish and withdraw: the live, unexpired notices whose area contains
the station, emergency first, then priority, then newest.
"""

from __future__ import annotations

from pathlib import Path

from loa.config import Config, Station
from loa.files import write_atomic
from loa.model import DeliveryResult, NoticeView, Priority, within
from loa.speech.tts import AudioError, VoiceSettings, probe, synthesize
from loa.store import Store

from channels.base import failure, register

PRIORITY_ORDER = {Priority.EMERGENCY: 0, Priority.PRIORITY: 1, Priority.NORMAL: 2}


def audio_file(cfg: Config, notice: NoticeView, language: str = "vi") -> Path:
    return cfg.home / "radio" / "audio" / f"notice-{notice.id}-v{notice.version}-{language}.mp3"


def playlist_file(cfg: Config, station_id: str) -> Path:
    return cfg.home / "radio" / "stations" / f"{station_id}.m3u8"


@register
class Radio:
    name = "radio"

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.stations = {s.id: s for s in cfg.stations}

    def targets(self, notice: NoticeView) -> list[str]:
        return [s.id for s in self.cfg.stations if any(within(s.area, a) for a in notice.areas)]

    def _audio(self, notice: NoticeView) -> Path:
        path = audio_file(self.cfg, notice)
        if not path.exists():
            synthesize(notice.variants.get("radio") or notice.title, path, settings=VoiceSettings(voice="vi"),
                       tags={"title": notice.title, "comment": f"loa notice {notice.id} v{notice.version}",
                             "language": "vie"})
        return path

    def _playlist(self, station: Station) -> Path:
        live = [n for n in self.store.live_notices() if any(within(station.area, a) for a in n.areas)]
        live.sort(key=lambda n: (PRIORITY_ORDER[n.priority], -n.id))
        lines = ["#EXTM3U", f"#PLAYLIST:{station.name}"]
        for n in live:
            path = audio_file(self.cfg, n)
            if path.exists():
                seconds = round(probe(path, loudness=False).duration)
                lines += [f"#EXTINF:{seconds},{n.title}", f"../audio/{path.name}"]
        return write_atomic(playlist_file(self.cfg, station.id), "\n".join(lines) + "\n")

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        try:
            audio = self._audio(notice)
        except AudioError as exc:
            return failure(self.name, targets, str(exc), transient=False)
        return self._rebuild(targets, f"plays {audio.name}")

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._rebuild(targets, f"notice {notice.id} removed")

    def _rebuild(self, targets: list[str], what: str) -> list[DeliveryResult]:
        results = []
        for sid in targets:
            try:
                path = self._playlist(self.stations[sid])
                results.append(DeliveryResult(self.name, sid, True, f"{path}: {what}"))
            except (OSError, AudioError, KeyError) as exc:
                results.append(DeliveryResult(self.name, sid, False, f"playlist for station {sid}: {exc}"))
        return results

    def describe(self) -> dict:
        return {"channel": self.name, "stations": sorted(self.stations), "root": str(self.cfg.home / "radio")}
