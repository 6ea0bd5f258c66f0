"""The audio a station airs for a notice version, per language.

Which source: a human recording for the language (uploaded on the desk or with `loa radio upload`:
LOA_HOME/radio/recordings/<notice id>/v<version>-<lang>.<ext>) beats the synthetic voice; only
Vietnamese has a synthetic voice (espeak-ng), so Tày, Nùng and H'Mông air only when recorded.

Files: LOA_HOME/radio/audio/notice-<id>-v<version>-<lang>.mp3 is made with the stations.yaml
`defaults` (the website links it); a station whose voice, rate, pitch, loudness or padding differs
gets notice-<id>-v<version>-<lang>-<profile>.mp3, so stations with the same settings share one file.
The store (radio_audio) remembers what each file was made from: a new recording, an edited voice or
a lost file remakes it, and a playlist build reads lengths from the store instead of decoding audio.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from loa.config import Config, Station
from loa.model import NoticeView
from loa.prose import sentences
from loa.radio import loudness
from loa.radio.select import Track
from loa.speech.tts import AudioError, VoiceSettings, synthesize
from loa.store import Store
from loa.store import radio as history

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "tay": "Tiếng Tày", "nung": "Tiếng Nùng", "hmn": "Tiếng H'Mông"}
#: ISO 639-3 codes for the ID3 language tag
ISO639_3 = {"vi": "vie", "tay": "tyz", "nung": "nut", "hmn": "hmn"}
#: languages espeak-ng can speak; any other airs only from a human recording
SYNTHETIC = frozenset({"vi"})
RECORDING_SUFFIXES = frozenset({".mp3", ".ogg", ".opus", ".flac", ".m4a", ".wav"})
#: how a language's reason starts when its audio failed (as opposed to: no recording)
BROKEN = "không tạo được âm thanh"


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)


def voice_settings(station: Station) -> VoiceSettings:
    return VoiceSettings(
        voice=station.voice,
        rate=station.rate,
        pitch=station.pitch,
        loudness_lufs=station.loudness_lufs,
        true_peak_db=station.true_peak_db,
        lead_silence=station.lead_silence,
        tail_silence=station.tail_silence,
        command=station.voice_command,
    )


def _loudness_fields(s: VoiceSettings) -> tuple:
    return (s.loudness_lufs, s.true_peak_db, s.lead_silence, s.tail_silence, s.bitrate)


def _recording_in(folder: Path, names: list[str], version: int, language: str) -> Path | None:
    stem = f"v{version}-{language}."  # hidden uploads in progress (.v1-tay.mp3.tmp) never match
    for name in sorted(names):
        if name.startswith(stem) and Path(name).suffix.lower() in RECORDING_SUFFIXES:
            return folder / name
    return None


def recording_for(cfg: Config, notice_id: int, version: int, language: str) -> Path | None:
    """The editor's recording of this version in this language (the desk keeps exactly one per language)."""
    folder = cfg.layout.notice_recordings(notice_id)
    try:
        return _recording_in(folder, os.listdir(folder), version, language)
    except OSError:
        return None


@dataclass(frozen=True)
class Source:
    """What one audio file is made from."""

    file: str  # name under LOA_HOME/radio/audio
    notice_id: int
    version: int
    language: str
    kind: str  # synthetic | recording
    key: str  # changes whenever the file must be remade
    settings: VoiceSettings
    text: str = ""
    recording: Path | None = None
    title: str = ""


def source(cfg: Config, station: Station, notice: NoticeView, language: str) -> Source | None:
    """The source of `notice` in `language` on `station`; None when it cannot air in that language."""
    return Sources(cfg)(station, notice, language)


class Sources:
    """source() for many (station, notice, language) at once: one folder listing per notice, one Source per
    distinct (settings, notice version, language) however many stations share it."""

    def __init__(self, cfg: Config):
        self.root = cfg.layout.recordings
        self.canonical = voice_settings(cfg.radio.defaults)
        self._settings: dict[str, VoiceSettings] = {}
        self._listings: dict[int, list[str]] = {}
        self._memo: dict[tuple, Source | None] = {}

    def recording(self, notice_id: int, version: int, language: str) -> Path | None:
        if notice_id not in self._listings:
            try:
                self._listings[notice_id] = os.listdir(self.root / str(notice_id))
            except OSError:
                self._listings[notice_id] = []
        names = self._listings[notice_id]
        return _recording_in(self.root / str(notice_id), names, version, language) if names else None

    def __call__(self, station: Station, notice: NoticeView, language: str) -> Source | None:
        settings = self._settings.get(station.id)
        if settings is None:
            settings = self._settings[station.id] = voice_settings(station)
        key = (settings, notice.id, notice.version, language)
        if key not in self._memo:
            self._memo[key] = self._source(settings, notice, language)
        return self._memo[key]

    def _source(self, settings: VoiceSettings, notice: NoticeView, language: str) -> Source | None:
        rec = self.recording(notice.id, notice.version, language)
        if rec is not None:
            st = rec.stat()
            fields = _loudness_fields(settings)
            same = fields == _loudness_fields(self.canonical)
            key = _hash(rec.name, st.st_size, st.st_mtime_ns, fields)
            return Source(
                _name(notice, language, "" if same else _hash(fields)[:8]),
                notice.id,
                notice.version,
                language,
                "recording",
                key,
                settings,
                recording=rec,
                title=notice.title,
            )
        if language not in SYNTHETIC:
            return None
        text = notice.variants.get("radio") or notice.title
        same = settings == self.canonical
        return Source(
            _name(notice, language, "" if same else _hash(settings)[:8]),
            notice.id,
            notice.version,
            language,
            "synthetic",
            _hash(text, settings),
            settings,
            text=text,
            title=notice.title,
        )


def _name(notice: NoticeView, language: str, profile: str) -> str:
    return f"notice-{notice.id}-v{notice.version}-{language}{'-' + profile if profile else ''}.mp3"


def _hash(*parts) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


class AudioMaker:
    """Makes (or finds, already made) the audio files of notices for stations."""

    def __init__(self, cfg: Config, store: Store, workers: int = 2):
        self.cfg, self.store, self.workers = cfg, store, workers
        self.folder = cfg.layout.audio

    def tracks(
        self, pairs: list[tuple[Station, NoticeView]]
    ) -> dict[tuple[str, int, int], tuple[list[Track], dict[str, str]]]:
        """For each (station, notice): the tracks in the station's languages, and {language: why not} for those
        it cannot air (no recording, or audio that could not be made). Makes what is missing or outdated, one
        file per distinct source, shared by the stations that air the same thing."""
        wanted: dict[tuple[str, int, int], list[tuple[str, Source | None]]] = {}
        sources: dict[str, Source] = {}
        find = Sources(self.cfg)
        for station, notice in pairs:
            found = []
            for lang in station.languages:
                src = find(station, notice, lang)
                found.append((lang, src))
                if src is not None:
                    sources.setdefault(src.file, src)
            wanted[(station.id, notice.id, notice.version)] = found
        made, errors = self.ensure(list(sources.values()))
        out = {}
        for key, found in wanted.items():
            tracks, missing = [], {}
            for lang, src in found:
                if src is None:
                    missing[lang] = (
                        f"chưa có bản ghi giọng người đọc {language_name(lang)} (tiếng này không có "
                        f"giọng đọc máy): tải lên trên trang biên tập hoặc bằng "
                        f"`loa radio upload {key[1]} --lang {lang} TỆP`"
                    )
                elif src.file in errors:
                    missing[lang] = f"{BROKEN}: {errors[src.file]}"
                else:
                    tracks.append(
                        Track(
                            src.file,
                            made[src.file],
                            f"{src.title} ({language_name(lang)})",
                            lang,
                            notice=(src.notice_id, src.version),
                        )
                    )
            out[key] = (tracks, missing)
        return out

    def ensure(self, sources: list[Source]) -> tuple[dict[str, float], dict[str, str]]:
        """({file: seconds}, {file: error}) for every source, making the files that are missing or were made
        from something else. One file that cannot be made never stops the others."""
        known = history.audio_records(self.store, [s.file for s in sources])
        seconds, errors, todo = {}, {}, []
        for s in sources:
            rec = known.get(s.file)
            if rec is not None and rec.source_key == s.key and (self.folder / s.file).is_file():
                seconds[s.file] = rec.seconds
            else:
                todo.append(s)
        if todo:
            made = []
            # two at once: tts encodes a long notice in two halves itself, so more would only queue on 2 cores
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(todo)))) as pool:
                for s, fut in [(s, pool.submit(self._make, s)) for s in todo]:
                    try:
                        made.append(fut.result())
                        seconds[s.file] = made[-1].seconds
                    except (AudioError, ValueError, OSError) as exc:
                        log.warning("audio %s not made: %s", s.file, exc)
                        errors[s.file] = str(exc)
            history.save_audio(self.store, made)
        return seconds, errors

    def segment(self, station: Station, text: str, kind: str) -> Track:
        """A programme sentence (opening, bridge, closing) in the station's voice: spoken()."""
        return spoken(self.cfg, station, text, kind)

    def _make(self, s: Source) -> history.AudioRecord:
        path = self.folder / s.file
        tags = {
            "title": s.title,
            "comment": f"loa notice {s.notice_id} v{s.version}",
            "language": ISO639_3.get(s.language, s.language),
            "album": "Loa",
        }
        if s.kind == "recording":
            assert s.recording is not None  # a recording source names its file
            info = loudness.normalize(
                s.recording,
                path,
                loudness_lufs=s.settings.loudness_lufs,
                true_peak_db=s.settings.true_peak_db,
                lead_silence=s.settings.lead_silence,
                tail_silence=s.settings.tail_silence,
                tags=tags,
            )
        else:
            info = synthesize(s.text, path, settings=s.settings, tags=tags)
        log.info("made %s from %s (%.1f s, %s LUFS)", s.file, s.kind, info.duration, info.loudness_lufs)
        return history.AudioRecord(
            s.file, s.notice_id, s.version, s.language, s.kind, s.key, round(info.duration, 3), info.loudness_lufs
        )


def jingle(cfg: Config, station: Station, role: str) -> Track | None:
    """The station's intro or outro, normalised once to its loudness into LOA_HOME/radio/jingles."""
    src = getattr(station, role)
    if src is None:
        return None
    st = src.stat()
    fields = (station.loudness_lufs, station.true_peak_db)
    name = f"{role}-{_hash(str(src), st.st_size, st.st_mtime_ns, fields)[:12]}.mp3"
    path = cfg.layout.jingles / name
    side = path.with_suffix(".seconds")
    if not path.is_file() or not side.is_file():
        info = loudness.normalize(
            src,
            path,
            loudness_lufs=station.loudness_lufs,
            true_peak_db=station.true_peak_db,
            tags={"title": f"{station.name} ({role})", "album": "Loa"},
        )
        side.write_text(f"{info.duration:.3f}\n")
    try:
        seconds = float(side.read_text())
    except (OSError, ValueError) as exc:
        raise AudioError(
            f"cannot read the length of jingle {path}: {exc}; delete it to have it remade", path=path
        ) from exc
    title = f"{station.name} — {'mở đầu' if role == 'intro' else 'kết thúc'}"
    return Track(name, seconds, title, None, folder="jingles")


def spoken(cfg: Config, station: Station, text: str, kind: str) -> Track:
    """A programme segment (opening, bridge, closing) in the station's voice, made once per distinct text and
    voice into LOA_HOME/radio/segments (shared by the stations that say the same thing the same way)."""
    from loa.speech.readaloud import read_aloud

    settings = voice_settings(station)
    name = f"{kind}-{_hash(text, settings)[:16]}.mp3"
    path = cfg.layout.segments / name
    side = path.with_suffix(".seconds")
    if not path.is_file() or not side.is_file():
        said = " ".join(read_aloud(line, cfg.lexicon) for line in sentences(text) or [text])
        info = synthesize(
            said, path, settings=settings, tags={"title": f"{station.name}: {text}", "album": "Loa", "language": "vie"}
        )
        side.write_text(f"{info.duration:.3f}\n")
    try:
        seconds = float(side.read_text())
    except (OSError, ValueError) as exc:
        raise AudioError(
            f"cannot read the length of programme segment {path.name}: {exc}; delete it to have it remade", path=path
        ) from exc
    return Track(name, seconds, text, "vi", folder="segments")
