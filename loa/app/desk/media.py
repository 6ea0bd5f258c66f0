"""Audio for the desk: the preview read-aloud of a draft's radio script, and human recordings.

Preview audio is private to the desk (LOA_HOME/desk/audio, served only to logged-in users):
the public /radio folder must not carry a draft before it is approved. Its name carries a hash
of the script, so an edited script never plays stale audio. Human recordings are kept where the
radio channel reads them: LOA_HOME/radio/recordings/<notice id>/v<version>-<lang>.<ext>; a
replaced recording is moved to replaced/ beside it, never deleted; nothing else is written there.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from loa import clock
from loa.config import Config
from loa.errors import LoaError
from loa.files import atomic_path, write_atomic
from loa.model import NoticeView
from loa.speech.tts import AudioError, AudioInfo, VoiceSettings, probe, synthesize
from loa.store.desk import text_hash

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "tay": "Tiếng Tày", "nung": "Tiếng Nùng", "hmn": "Tiếng H'Mông"}
#: ffprobe codec → file extension of an accepted human recording
RECORDING_CODECS = {
    "mp3": "mp3",
    "vorbis": "ogg",
    "opus": "opus",
    "flac": "flac",
    "aac": "m4a",
    "pcm_s16le": "wav",
    "pcm_s24le": "wav",
    "pcm_f32le": "wav",
    "pcm_u8": "wav",
}
MAX_RECORDING_SECONDS = 3600.0
MIN_RECORDING_SECONDS = 0.5


def languages(cfg: Config) -> list[str]:
    """Vietnamese first, then every language a station airs."""
    found = ["vi"]
    for station in cfg.stations:
        found += [lang for lang in station.languages if lang not in found]
    return found


def preview_audio(cfg: Config, notice: NoticeView) -> Path:
    script = notice.variants.get("radio") or notice.title
    return cfg.layout.desk_audio / f"notice-{notice.id}-v{notice.version}-vi-{text_hash(script)}.mp3"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def audio_duration(path: Path) -> float | None:
    """Seconds, from the sidecar written when the file was made (else ffprobe, once)."""
    if not path.exists():
        return None
    side = _sidecar(path)
    try:
        return float(json.loads(side.read_text())["duration"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        duration = probe(path, loudness=False).duration
    except AudioError:
        return None
    _write_sidecar(path, {"duration": duration})
    return duration


def _write_sidecar(path: Path, data: dict) -> None:
    write_atomic(_sidecar(path), json.dumps(data, ensure_ascii=False))


def make_preview_audio(cfg: Config, notice: NoticeView) -> AudioInfo:
    """Read the current radio script aloud with the radio channel's voice (espeak-ng + ffmpeg)."""
    path = preview_audio(cfg, notice)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = synthesize(
        notice.variants.get("radio") or notice.title,
        path,
        settings=VoiceSettings(voice="vi"),
        tags={
            "title": notice.title,
            "comment": f"loa notice {notice.id} v{notice.version} (desk preview)",
            "language": "vie",
        },
    )
    _write_sidecar(path, {"duration": info.duration})
    return info


# --- human recordings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    language: str
    path: Path
    duration: float | None
    uploaded_at: datetime


def recordings(cfg: Config, notice: NoticeView) -> list[Recording]:
    folder = cfg.layout.notice_recordings(notice.id)
    found = []
    for lang in languages(cfg):
        for path in sorted(folder.glob(f"v{notice.version}-{lang}.*")):
            found.append(
                Recording(lang, path, _probe_duration(path), datetime.fromtimestamp(path.stat().st_mtime).astimezone())
            )
    return found


def recording_file(cfg: Config, notice: NoticeView, language: str) -> Path | None:
    return next((r.path for r in recordings(cfg, notice) if r.language == language), None)


def _probe_duration(path: Path) -> float | None:
    # no sidecar files here: the folder holds exactly the recordings the radio channel reads
    try:
        return probe(path, loudness=False).duration
    except AudioError:
        return None


class RecordingError(LoaError):
    """A recording refused, with a Vietnamese message for the editor."""


def save_recording(cfg: Config, notice: NoticeView, language: str, upload: Path) -> tuple[Path, AudioInfo]:
    """Validate an uploaded file with ffprobe and keep it as v<version>-<lang>.<ext>."""
    if language not in languages(cfg):
        raise RecordingError(f"Ngôn ngữ {language!r} không có trong cấu hình đài (stations.yaml).")
    try:
        info = probe(upload, loudness=False)
    except AudioError as exc:
        raise RecordingError(f"Tệp tải lên không phải là âm thanh đọc được (ffprobe: {exc}).") from exc
    ext = RECORDING_CODECS.get(info.codec)
    if ext is None:
        raise RecordingError(
            f"Định dạng âm thanh {info.codec!r} chưa được hỗ trợ; hãy dùng MP3, OGG, Opus, FLAC, M4A (AAC) hoặc WAV."
        )
    if not MIN_RECORDING_SECONDS <= info.duration <= MAX_RECORDING_SECONDS:
        raise RecordingError(
            f"Bản ghi dài {info.duration:.1f} giây; cần từ {MIN_RECORDING_SECONDS} giây "
            f"đến {MAX_RECORDING_SECONDS / 60:.0f} phút."
        )
    folder = cfg.layout.notice_recordings(notice.id)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    for old in folder.glob(f"v{notice.version}-{language}.*"):
        (folder / "replaced").mkdir(exist_ok=True)
        shutil.move(old, folder / "replaced" / f"{old.stem}.{stamp}{old.suffix}")
    final = folder / f"v{notice.version}-{language}.{ext}"
    with atomic_path(final) as tmp:  # hidden (.v1-vi.mp3.xxxx.tmp): never matches v<version>-<lang>.*
        shutil.copyfile(upload, tmp)
    return final, info
