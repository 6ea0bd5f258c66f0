"""Read a notice aloud: espeak-ng speech, EBU R128 loudness, MP3 with ID3 tags, written atomically.

    info = synthesize("Ủy ban nhân dân xã thông báo ...", Path("notice-12-v1-vi.mp3"),
                      tags={"title": "...", "comment": "loa notice 12 v1", "language": "vie"})

How the loudness is made fast (measured on the 2-core dev machine with a 1,000-word notice,
~4 min 45 s of speech at rate 150; `bench/bench_tts.py` re-measures all of it):

  * espeak-ng alone: ~0.35 s. The naive chain, ffmpeg single-pass `loudnorm` (dynamic mode,
    192 kHz inside) + MP3: ~8 s, and it lands at -17.6 LUFS for a -16 target. LAME alone takes
    ~0.75 s at `-compression_level 7` (~1.1-1.5 s at its default quality), so loudness must cost
    next to nothing and LAME must not wait.
  * Measuring: ffmpeg's `ebur128` filter at the native 22.05 kHz reads the whole notice in
    ~0.3 s including start-up. A pure-Python BS.1770 meter (K-weighting biquads + gating; the
    project has no numpy) needs ~2.5-4.5 s: rejected (the bench runs it).
  * One gain is not enough: espeak-ng's peak-to-loudness ratio is ~21 dB, and -16 LUFS under a
    -1.5 dBTP ceiling leaves 14.5 dB, so peaks must be limited (`alimiter`), and limiting takes
    off loudness by an amount that depends on voice, pitch, rate and target (1 to 10 LU measured;
    gain-then-limit from the raw measurement alone landed 1.4 LU low). So the measurement is a
    *limiter calibration*: while espeak-ng is still speaking, its WAV comes back to Python and
    ~60 s of it (2 s slices spread over the whole notice, so a long notice costs what a short
    one does; all of a short one) streams into one ffmpeg that measures it raw and through
    volume+alimiter at three trial gains, each with its own ebur128. Interpolating gives the one
    gain that lands the limited speech on the target: within 0.2 LU of it over 18
    voice/pitch/rate/target combinations at 150 and 1,000 words. espeak-ng + calibration: ~0.5 s.
  * Encoding: gain + limiter (+ jingles, padding) + LAME in one ffmpeg per half of the speech,
    two halves at once (one per core), cut inside one of espeak-ng's pauses (runs of exact
    zeros) near the middle; the MP3 streams are joined byte-wise (ID3 on the first, no Xing
    header), which adds the encoder delay, ~75 ms, to that pause. Short notices use one ffmpeg.
    An `ebur128` just before LAME re-measures what is encoded; off by more than
    CORRECTION_TOLERANCE_LU (not seen so far) it is encoded once more with the error corrected.
  * LAME's CBR presets scale the input by 0.95 up to 160 kbps (-0.45 dB, its abr_switch_map),
    so the target fed to LAME is raised by that much (`loa.audio.loudness.lame_cbr_scale_db`).
  Result: ~1.5 s for the 1,000-word notice on an idle machine (bench: median and best of 5).

Jingles (intro/outro) get the same gain+limiter treatment, calibrated once per file version and
cached, so the whole programme sits at the target. Layout of the file:
[lead_silence] [intro] speech [outro] [tail_silence].

Known limit: the limiter is a sample-peak limiter with TRUE_PEAK_MARGIN_DB of headroom. At the
defaults the MP3's true peak is ~-2.1 dBTP (ceiling -1.5); the central voice, and settings that
need much limiting (low pitch, -12 LUFS targets), overshoot the ceiling by 0.3 to ~1.2 dB after
MP3 coding. Loudness stays within 0.2 LU of the target in all of them.

Another engine can make the speech instead of espeak-ng: VoiceSettings.command is a command
line (a station's `engine: {command: [...]}` in config/stations.yaml) that reads the text and
writes a WAV; see VOICE_COMMAND_HELP. Its WAV takes the same road (limiter calibration, loudness,
MP3), so a Piper or vendor voice airs at the same loudness as the built-in one.

Every failure is an AudioError that names the tool, its exit code and last message, the output
file, and what to do. The programs run through loa.tools (one runner, one watchdog timeout); the
filter strings and the loudness arithmetic are loa.audio's, shared with the radio's recordings. The binaries are module settings (ESPEAK_BIN, FFMPEG_BIN, FFPROBE_BIN; env
LOA_ESPEAK_BIN, LOA_FFMPEG_BIN, LOA_FFPROBE_BIN), looked up on PATH at call time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from loa import tools
from loa.audio import filters
from loa.audio.loudness import GATED, SILENT, Calibration, combine, gated_level, kbps, lame_cbr_scale_db, summaries
from loa.errors import AudioError
from loa.files import atomic_path

log = logging.getLogger(__name__)

# --- module settings (tests and deployments may change them) -------------------------------

# set at start from the environment as loaded by loa.config (LOA_ESPEAK_BIN …): use_tools
ESPEAK_BIN: str = "espeak-ng"
FFMPEG_BIN: str = "ffmpeg"
FFPROBE_BIN: str = "ffprobe"


def use_tools(espeak: str, ffmpeg: str, ffprobe: str) -> None:
    """The programs speech runs (names on PATH or paths), as loa.config.start reads them from LOA_*."""
    global ESPEAK_BIN, FFMPEG_BIN, FFPROBE_BIN
    ESPEAK_BIN, FFMPEG_BIN, FFPROBE_BIN = espeak, ffmpeg, ffprobe


SAMPLE_RATE = filters.SAMPLE_RATE
#: espeak-ng amplitude (-a, default 100). At 100 its loudest vowels touch full scale; 60 keeps
#: ~2.5 dB of headroom so nothing is clipped before our own limiter.
ESPEAK_AMPLITUDE = 60
#: LAME quality (ffmpeg -compression_level, 0 best .. 9 fastest). 7 takes ~2/3 of the time of
#: LAME's default (3) (8 and 9 are no faster); for 96 kbps mono speech on a horn speaker it is plenty.
LAME_QUALITY = 7
#: how far below the true-peak ceiling the sample-peak limiter sits, for MP3 overshoot and
#: inter-sample peaks. Measured at -16/-1.5: vi and vi-vn-x-south -2.1..-2.2 dBTP; the central
#: voice -1.2 (-0.5 at pitch 20); 1.5 dB made the central voice *worse* (harder limiting, more
#: MP3 overshoot), so 1 dB
TRUE_PEAK_MARGIN_DB = 1.0
#: re-encode once if the programme misses the target by more than this
CORRECTION_TOLERANCE_LU = 0.5
#: seconds of speech used to calibrate the limiter, and the slice length it is sampled in
CALIBRATION_SECONDS = 60.0
CALIBRATION_SLICE = 2.0
#: seconds of a voice command's speech measured (in Python) to place its trial gains
ESTIMATE_SECONDS = 4
#: trial gains, dB above the estimated "no limiting needed" gain
CALIBRATION_STEPS_DB = (0.0, 4.0, 9.0)
#: speech longer than this is encoded as two halves by two LAME processes at once (one per core),
#: cut inside a pause of at least SPLIT_SILENCE_SAMPLES digital zeros
SPLIT_MIN_SECONDS = 40.0
SPLIT_SILENCE_SAMPLES = 1000  # at SAMPLE_RATE: 45 ms
#: probe() measures loudness only for files up to this long (decode + ebur128: ~1.1 s per 10 min)
PROBE_LOUDNESS_MAX_SECONDS = 600.0

# espeak-ng's integrated loudness at amplitude 60, pitch 50, rate 150 (measured), and how it moves
# with pitch and rate. Only used to place the calibration gains; the measurement decides.
_ESPEAK_LUFS = {"vi": -23.2, "vi-vn-x-central": -23.7, "vi-vn-x-south": -22.8}
_ESPEAK_LUFS_DEFAULT = -23.3
_ESPEAK_LUFS_PER_PITCH = 0.042
_ESPEAK_LUFS_PER_WPM = -0.010

#: the voice-command interface, also shown in configuration errors
VOICE_COMMAND_HELP = (
    "a voice command is a list of arguments; it reads the text (UTF-8, already written out for "
    "reading) on stdin, or from the file named by {text}, and writes a mono 16-bit PCM WAV to stdout, "
    "or to the file named by {wav}; {voice}, {rate} and {pitch} become the station's settings"
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDERS = ("text", "wav", "voice", "rate", "pitch")


def voice_command_problem(command: tuple[str, ...] | list[str]) -> str | None:
    """What is wrong with a voice command line (None when it can be run): the shape, its
    placeholders, and whether its program is found (on PATH or as a path)."""
    if not isinstance(command, (list, tuple)) or not command or not all(isinstance(a, str) and a for a in command):
        return f"{command!r} is not a list of non-empty strings; " + VOICE_COMMAND_HELP
    for arg in command:
        for name in _PLACEHOLDER.findall(arg):
            if name not in _PLACEHOLDERS:
                return (
                    f"{{{name}}} in {arg!r} is not a placeholder (use "
                    + ", ".join(f"{{{p}}}" for p in _PLACEHOLDERS)
                    + ")"
                )
    if _PLACEHOLDER.search(command[0]):
        return f"the program {command[0]!r} cannot be a placeholder"
    if shutil.which(command[0]) is None:
        return f"program {command[0]!r} not found (looked on PATH and as a path); install it or give its full path"
    return None


#: the one statement of what a voice setting may be: VoiceSettings checks it, and so should the
#: stations.yaml loader (loa/config.py repeats these numbers today)
VOICE_LIMITS: dict[str, tuple[float, float, str]] = {
    "rate": (80, 450, "words per minute (espeak-ng's range)"),
    "pitch": (0, 99, "(espeak-ng's range)"),
    "loudness_lufs": (-40.0, -5.0, "LUFS"),
    "true_peak_db": (-20.0, 0.0, "dBTP"),
    "lead_silence": (0.0, 30.0, "seconds"),
    "tail_silence": (0.0, 30.0, "seconds"),
}


@dataclass(frozen=True)
class VoiceSettings:
    voice: str = "vi"  # espeak-ng voice: vi (northern), vi-vn-x-central, vi-vn-x-south
    rate: int = 150  # words per minute (espeak -s)
    pitch: int = 50  # espeak -p 0..99
    loudness_lufs: float = -16.0  # EBU R128 integrated loudness target
    true_peak_db: float = -1.5
    bitrate: str = "96k"
    lead_silence: float = 0.5  # seconds of silence at the start of the file
    tail_silence: float = 0.7  # seconds of silence at the end of the file
    command: tuple[str, ...] = ()  # another engine's command line (VOICE_COMMAND_HELP); () is espeak-ng

    def __post_init__(self) -> None:
        problems = []
        if not re.fullmatch(r"[A-Za-z0-9_+.\-]{1,64}", self.voice or ""):
            problems.append(f"voice {self.voice!r} is not an espeak-ng voice name (e.g. vi, vi-vn-x-south)")
        for name, (low, high, unit) in VOICE_LIMITS.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and low <= value <= high):
                problems.append(f"{name} {value!r} is outside {low:g}..{high:g} {unit}")
        if kbps(self.bitrate) is None:
            problems.append(f"bitrate {self.bitrate!r} is not like '96k' (8k..160k for 22.05 kHz MP3)")
        if self.command:
            problem = voice_command_problem(self.command)
            if problem and "not found" not in problem:  # a missing program fails when it is run
                problems.append(f"command: {problem}")
        if problems:
            raise ValueError("VoiceSettings: " + "; ".join(problems))


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    duration: float  # seconds
    codec: str  # ffprobe codec_name, "mp3" for ours
    loudness_lufs: float | None  # integrated loudness, None when not measured
    sample_rate: int | None = None
    channels: int | None = None


# --- public API ------------------------------------------------------------------------------


def synthesize(
    text: str,
    out_path: Path,
    *,
    settings: VoiceSettings = VoiceSettings(),
    tags: dict[str, str] | None = None,
    intro: Path | None = None,
    outro: Path | None = None,
) -> AudioInfo:
    """Speak `text` (UTF-8 Vietnamese, already normalised for reading) into an MP3 at `out_path`.

    The file appears complete or not at all (temp file in the same folder, then os.replace).
    `tags` become ID3v2.3 tags (title, comment, language, artist, album, date ...; other keys
    become TXXX frames). Returns what was written; loudness_lufs is the programme's integrated
    loudness measured just before encoding (corrected for LAME's fixed scale).
    """
    out_path = Path(out_path)
    started = time.perf_counter()
    speech = _prepare_text(text, out_path)
    meta = _check_tags(tags or {})
    espeak = _voice_program(settings, out_path)
    ffmpeg = _tool(FFMPEG_BIN, "ffmpeg", out_path)
    paths = [_check_jingle(p, role, out_path) for p, role in ((intro, "intro"), (outro, "outro"))]
    if out_path.is_dir():
        raise AudioError(
            f"cannot write audio to {out_path}: it is a folder; give a file path ending in .mp3", path=out_path
        )
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioError(
            f"cannot create the folder for {out_path}: {exc}; check the path and its permissions", path=out_path
        ) from exc

    lame_db = lame_cbr_scale_db(kbps(settings.bitrate) or 96)
    target = settings.loudness_lufs - lame_db  # what LAME must be fed to land on the target
    ceiling = settings.true_peak_db - TRUE_PEAK_MARGIN_DB - lame_db
    jingles = [None if p is None else (p, *_jingle_gain(ffmpeg, p, target, ceiling, out_path)) for p in paths]

    spoken, cal = _speak_and_measure(espeak, ffmpeg, speech, settings, target, ceiling, out_path)
    t_speech = time.perf_counter()
    gain = cal.gain_for(target)

    try:
        with atomic_path(out_path, fsync=True) as tmp:
            for attempt in (1, 2):
                measured = _encode(ffmpeg, spoken, gain, ceiling, settings, jingles, meta, tmp, out_path)
                miss = target - measured["speech"]
                if abs(miss) <= CORRECTION_TOLERANCE_LU or attempt == 2 or measured["speech"] <= GATED:
                    break  # on target, or already corrected, or too short to measure (< 0.4 s)
                log.warning(
                    "speech for %s measured %.2f LUFS before encoding, %.2f LU off target; re-encoding "
                    "with the gain corrected",
                    out_path,
                    measured["speech"] + lame_db,
                    -miss,
                )
                gain = cal.correct(gain, miss)
            _check_mp3(tmp, out_path)
    except OSError as exc:
        raise AudioError(
            f"cannot write {out_path}: {exc}; check free space and the folder's permissions", path=out_path
        ) from exc
    done = time.perf_counter()
    log.debug(
        "synthesize %s: %d chars, speech+measure %.3f s, encode %.3f s, total %.3f s, gain %.2f dB",
        out_path,
        len(speech),
        t_speech - started,
        done - t_speech,
        done - started,
        gain,
    )
    # the programme's own length; ffprobe (and probe()) count ~0.07 s more, 0.13 s for a file made
    # in two halves: LAME's encoder delay and last-frame padding
    samples = (
        round(settings.lead_silence * SAMPLE_RATE)
        + len(spoken.pcm) // 2 * SAMPLE_RATE // spoken.rate
        + sum(j[2] for j in jingles if j is not None)
        + round(settings.tail_silence * SAMPLE_RATE)
    )
    return AudioInfo(
        out_path, round(samples / SAMPLE_RATE, 4), "mp3", round(measured["programme"] + lame_db, 2), SAMPLE_RATE, 1
    )


def _check_mp3(path: Path, out_path: Path) -> None:
    """Refuse to publish something that is not an MP3 (ID3 tag or MPEG audio frame sync first)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        size = os.fstat(fh.fileno()).st_size
    if size < 512 or not (head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)):
        raise AudioError(
            f"ffmpeg wrote no usable MP3 for {out_path} ({size} bytes); "
            "check that ffmpeg has libmp3lame (ffmpeg -encoders | grep mp3)",
            path=out_path,
            tool="ffmpeg",
        )


def probe(path: Path, *, loudness: bool = True) -> AudioInfo:
    """What an audio file is: codec and duration from ffprobe (~0.1 s), and its integrated
    loudness measured with ffmpeg's ebur128 when `loudness` and the file is at most
    PROBE_LOUDNESS_MAX_SECONDS long (else None; ~0.5 s more for a 5-minute notice).
    Results are cached per file version (path, mtime, size) for the life of the process, so a
    playlist rebuild does not decode every notice again."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not path.is_file():
        raise AudioError(f"cannot probe {path}: no such file; synthesize it first or check the path", path=path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, loudness)
    with _probe_lock:
        if key in _probe_cache:
            return _probe_cache[key]
    ffprobe = _tool(FFPROBE_BIN, "ffprobe", path)
    ffmpeg = _tool(FFMPEG_BIN, "ffmpeg", path) if loudness else None
    info = _probe(ffprobe, ffmpeg, path, loudness=loudness, for_path=path)
    with _probe_lock:
        if len(_probe_cache) >= 4096:
            _probe_cache.clear()
        _probe_cache[key] = info
    return info


# files are replaced, never rewritten in place, so (path, mtime, size) names one version
_probe_cache: dict[tuple, AudioInfo] = {}
_probe_lock = threading.Lock()


# --- text and arguments ----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _prepare_text(text: str, out_path: Path) -> str:
    # NFC matters: espeak-ng reads decomposed Vietnamese (NFD, as some feeds and editors send)
    # wrongly, e.g. "nhân" became n^'a:1n instead of n^'@1n.
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    clean = _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if not clean:
        raise AudioError(
            f"nothing to read aloud for {out_path}: the text is empty; check the notice's radio script", path=out_path
        )
    return clean + "\n"


_TAG_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in tags.items():
        if not _TAG_KEY.fullmatch(str(key)):
            raise ValueError(f"ID3 tag name {key!r}: use letters, digits, '_' or '-'")
        out[str(key)] = _CONTROL.sub(" ", unicodedata.normalize("NFC", str(value)))
    return out


def _tool(name: str, label: str, for_path: Path) -> str:
    return tools.find(name, label, for_path, error=AudioError)


def _voice_program(s: VoiceSettings, out_path: Path) -> str:
    if not s.command:
        return _tool(ESPEAK_BIN, "espeak-ng", out_path)
    return tools.find(
        s.command[0],
        f"voice command {s.command[0]!r}",
        out_path,
        hint="install it, or fix the station's engine command in config/stations.yaml",
        error=AudioError,
    )


def _voice_label(s: VoiceSettings) -> str:
    return f"voice command {Path(s.command[0]).name}" if s.command else "espeak-ng"


def _voice_cmd(program: str, s: VoiceSettings, text: str, folder: Path) -> tuple[list[str], Path | None, Path | None]:
    """The command line that speaks `text`, and the text and WAV files it uses (None: stdin, stdout)."""
    if not s.command:
        return (
            [
                program,
                "-v",
                s.voice,
                "-s",
                str(s.rate),
                "-p",
                str(s.pitch),
                "-a",
                str(ESPEAK_AMPLITUDE),
                "-b",
                "1",
                "--stdin",
                "--stdout",
            ],
            None,
            None,
        )
    joined = " ".join(s.command)
    text_file = folder / "text.txt" if "{text}" in joined else None
    wav_file = folder / "speech.wav" if "{wav}" in joined else None
    if text_file is not None:
        text_file.write_text(text, encoding="utf-8")
    values = {
        "text": str(text_file),
        "wav": str(wav_file),
        "voice": s.voice,
        "rate": str(s.rate),
        "pitch": str(s.pitch),
    }
    args = [_PLACEHOLDER.sub(lambda m: values[m[1]], a) for a in s.command[1:]]
    return [program, *args], text_file, wav_file


def _wav_chunks(proc: subprocess.Popen, wav_file: Path | None):
    """The WAV as it arrives: from the engine's stdout, or from its file once it has finished."""
    if wav_file is None:
        while chunk := proc.stdout.read1(65536):  # type: ignore[union-attr]  # stdout=PIPE: a BufferedReader
            yield chunk
        return
    if proc.wait() == 0 and wav_file.is_file():
        with open(wav_file, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk


def _check_jingle(path: Path | None, role: str, out_path: Path) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise AudioError(
            f"{role} jingle {path} not found while making {out_path}: "
            f"fix the {role} path in the radio config or remove it",
            path=out_path,
        )
    return path


# --- processes -------------------------------------------------------------------------------


def _feed(stream: IO[bytes], data: bytes) -> threading.Thread:
    def run() -> None:
        try:
            stream.write(data)
        except (BrokenPipeError, OSError):
            pass  # the reader died; its exit code tells why
        finally:
            try:
                stream.close()
            except OSError:
                pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _stderr_text(f: IO[bytes]) -> str:
    f.seek(0)
    return f.read().decode("utf-8", "replace")


def _fail(
    tool: str, rc: int, stderr: str, out_path: Path, doing: str, hint: str, watchdog: tools.Watchdog
) -> AudioError:
    timed_out = watchdog.timeout if watchdog.fired else None
    return tools.failure(tool, rc, stderr, out_path, doing, hint, timed_out=timed_out, error=AudioError)  # type: ignore[return-value]


# --- pass 1: espeak-ng -> Python -> ffmpeg (measure + calibrate the limiter) -----------------


def _espeak_lufs_estimate(s: VoiceSettings) -> float:
    base = _ESPEAK_LUFS.get(s.voice.split("+")[0], _ESPEAK_LUFS_DEFAULT)
    return base + _ESPEAK_LUFS_PER_PITCH * (s.pitch - 50) + _ESPEAK_LUFS_PER_WPM * (s.rate - 150)


def _estimate_seconds(text: str, s: VoiceSettings) -> float:
    # measured: 1,000 Vietnamese words take ~280 s at rate 150 (espeak counts syllables fast)
    return len(text.split()) * 0.28 * 150 / s.rate


def _wav_header(buf: bytes) -> tuple[int, int, int, int] | None:
    """(sample rate, channels, bits, offset of the samples) of a streamed WAV, None until complete."""
    if len(buf) < 12:
        return None
    if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE stream")
    pos, fmt = 12, None
    while pos + 8 <= len(buf):
        cid, size = buf[pos : pos + 4], int.from_bytes(buf[pos + 4 : pos + 8], "little")
        if cid == b"data":
            if fmt is None:
                raise ValueError("WAV data before its fmt chunk")
            return (*fmt, pos + 8)
        if pos + 8 + size > len(buf):
            return None
        if cid == b"fmt ":
            body = buf[pos + 8 : pos + 8 + size]
            fmt = (
                int.from_bytes(body[4:8], "little"),
                int.from_bytes(body[2:4], "little"),
                int.from_bytes(body[14:16], "little"),
            )
        pos += 8 + size + (size & 1)
    return None


@dataclass
class _Speech:
    pcm: bytes  # s16le mono
    rate: int  # espeak-ng's sample rate (22050 for its own voices)


def _speak_and_measure(
    espeak: str, ffmpeg: str, text: str, s: VoiceSettings, target: float, ceiling: float, out_path: Path
) -> tuple[_Speech, Calibration]:
    """espeak-ng's WAV comes back to Python as it is spoken; as it arrives, 2 s slices spread over
    the whole notice (all of a short one) go on to one ffmpeg that measures them raw and through
    the limiter at the trial gains. espeak-ng and ffmpeg stream side by side on the two cores.

    A separate ffmpeg measuring every sample was tried: exact where the slices are within 0.2 LU,
    but on a busy machine it slowed the whole pass (1,000 words: 2.29 s against 1.70 s median)."""
    base_gain = target - _espeak_lufs_estimate(s)
    gains = [round(base_gain + step, 2) for step in CALIBRATION_STEPS_DB]
    n = len(gains)
    label = _voice_label(s)
    head = None
    with (
        tempfile.TemporaryFile() as es_err,
        tempfile.TemporaryFile() as c_err,
        tempfile.TemporaryDirectory(prefix="loa-voice-") as folder,
    ):
        es_cmd, text_file, wav_file = _voice_cmd(espeak, s, text, Path(folder))
        es = tools.spawn(
            es_cmd,
            label,
            out_path,
            error=AudioError,
            stdin=subprocess.PIPE if text_file is None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if wav_file is None else subprocess.DEVNULL,
            stderr=es_err,
        )
        procs = [es]
        try:
            with tools.Watchdog(procs) as dog:
                feeder = _feed(cast(IO[bytes], es.stdin), text.encode("utf-8")) if text_file is None else None
                chunks = _wav_chunks(es, wav_file)
                buf = bytearray()
                while head is None:
                    chunk = next(chunks, b"")
                    if not chunk:
                        break
                    buf += chunk
                    try:
                        head = _wav_header(bytes(buf[:4096]))
                    except ValueError as exc:
                        fix = (
                            "check that ESPEAK_BIN is espeak-ng"
                            if not s.command
                            else "make the command write a PCM WAV (" + VOICE_COMMAND_HELP + ")"
                        )
                        raise AudioError(
                            f"{label} wrote no WAV for {out_path} ({exc}); {fix}", path=out_path, tool=label
                        ) from exc
                if head is not None:
                    rate, channels, bits, offset = head
                    if channels != 1 or bits != 16:
                        fix = (
                            "check the espeak-ng installation"
                            if not s.command
                            else "make the command write mono 16-bit PCM (e.g. pipe it through "
                            "ffmpeg -i - -ac 1 -c:a pcm_s16le -f wav -)"
                        )
                        raise AudioError(
                            f"{label} wrote {channels}-channel {bits}-bit audio for {out_path}; "
                            f"expected mono 16-bit: {fix}",
                            path=out_path,
                            tool=label,
                        )
                    if s.command:  # an unknown voice: place the trial gains from its first seconds
                        while len(buf) - offset < 2 * rate * ESTIMATE_SECONDS:
                            chunk = next(chunks, b"")
                            if not chunk:
                                break
                            buf += chunk
                        level = gated_level(bytes(buf[offset : offset + 2 * rate * ESTIMATE_SECONDS]), rate)
                        if level is not None:
                            base_gain = target - level
                            gains = [round(base_gain + step, 2) for step in CALIBRATION_STEPS_DB]
                    raw_in = ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]
                    ff = [ffmpeg, *filters.HEAD]
                    est = _estimate_seconds(text, s)
                    every = 2 * rate * CALIBRATION_SLICE * max(1.0, est / CALIBRATION_SECONDS)
                    take = 2 * round(rate * CALIBRATION_SLICE)
                    graph = (
                        f"[0:a]ebur128@sample=framelog=verbose,asplit={n}{''.join(f'[c{k}]' for k in range(n))};"
                        + ";".join(
                            f"[c{k}]volume={g:.2f}dB:precision=float,{filters.limiter(ceiling)},"
                            f"ebur128@k{k}=framelog=verbose,anullsink"
                            for k, g in enumerate(gains)
                        )
                    )
                    calib = tools.spawn(
                        ff + raw_in + ["-filter_complex", graph, "-f", "null", "-"],
                        "ffmpeg",
                        out_path,
                        error=AudioError,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=c_err,
                    )
                    procs.append(calib)
                    pcm = bytearray(buf[offset:])
                    sent = 0
                    chunk = bytes(pcm)
                    while True:
                        if chunk:
                            _send(calib, _slices(chunk, sent, every, take))
                            sent += len(chunk)
                        chunk = next(chunks, b"")
                        if not chunk:
                            break
                        pcm += chunk
                    assert calib.stdin is not None  # started with stdin=PIPE
                    try:
                        calib.stdin.close()
                    except OSError:
                        pass
                if es.stdout is not None:
                    es.stdout.close()
                if feeder is not None:
                    feeder.join()
                codes = [p.wait() for p in procs]
        except BaseException:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
            raise
        es_text, c_text = _stderr_text(es_err), _stderr_text(c_err)
    if codes[0] != 0:
        if s.command:
            hint = "run the station's engine command by hand on a short text to see why (config/stations.yaml)"
        elif "voice" in es_text.lower():
            hint = "check the voice name (espeak-ng --voices=vi lists vi, vi-vn-x-central, vi-vn-x-south)"
        else:
            hint = "check that espeak-ng and its data (espeak-ng-data) are installed"
        raise _fail(label, codes[0], es_text, out_path, "speaking the text", hint, dog)
    if head is None or len(pcm) < rate // 5:
        fix = (
            "check that the text is Vietnamese words and the voice is installed"
            if not s.command
            else "check that the command writes its WAV where the interface says (" + VOICE_COMMAND_HELP + ")"
        )
        raise AudioError(
            f"{label} produced no speech for {out_path} (voice {s.voice!r}); {fix}", path=out_path, tool=label
        )
    if codes[1:] and codes[1] != 0:
        raise _fail(
            "ffmpeg",
            codes[1],
            c_text,
            out_path,
            "measuring the speech",
            "check that ffmpeg is complete (ebur128, alimiter filters)",
            dog,
        )
    found = summaries(c_text)
    missing = [k for k in ["sample"] + [f"k{k}" for k in range(n)] if k not in found]
    if missing:
        raise AudioError(
            f"ffmpeg printed no loudness for {out_path} ({', '.join(missing)} missing); "
            "check that this ffmpeg has the ebur128 and alimiter filters",
            path=out_path,
            tool="ffmpeg",
        )
    # the slices stand for the whole speech (within 0.2 LU measured; the encode re-measures all)
    points = [(g, found[f"k{k}"]) for k, g in enumerate(gains)]
    cal = Calibration(found["sample"], points, base_gain + CALIBRATION_STEPS_DB[len(CALIBRATION_STEPS_DB) // 2])
    log.debug("speech %s: sample %.2f LUFS, calibration %s", out_path, found["sample"], points)
    return _Speech(bytes(pcm), rate), cal


def _send(proc: subprocess.Popen, data: bytes) -> None:
    if data and proc.poll() is None:
        assert proc.stdin is not None  # started with stdin=PIPE
        try:
            proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            pass  # it died: its exit code and stderr say why


def _slices(chunk: bytes, start: int, every: float, take: int) -> bytes:
    """The parts of `chunk` (at byte `start` of the stream) inside the calibration slices: the
    first `take` bytes of every `every` bytes, windows starting on even offsets (whole samples)."""
    if every <= take:
        return chunk
    out, pos, end = [], start, start + len(chunk)

    def window(k: int) -> int:
        return int(k * every) & ~1

    while pos < end:
        k = int(pos // every)
        if window(k + 1) <= pos:
            k += 1
        hi = window(k) + take
        if pos < hi:
            stop = min(hi, end)
            out.append(chunk[pos - start : stop - start])
            pos = stop
        else:
            pos = window(k + 1)
    return b"".join(out)


# --- jingles ---------------------------------------------------------------------------------

_jingle_cache: dict[tuple, tuple[float, int]] = {}
_jingle_lock = threading.Lock()
_SAMPLES = re.compile(r"\[astats@n @ [^\]]+\] Number of samples: (\d+)")


def _jingle_gain(ffmpeg: str, path: Path, target: float, ceiling: float, out_path: Path) -> tuple[float, int]:
    """(gain, samples at SAMPLE_RATE) that bring a jingle, through the same limiter as the speech,
    to the target. One ffmpeg run measures it raw and through the limiter at trial gains wide
    enough for any jingle from -45 to 0 LUFS (it is short: cheap); cached per file version."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, round(target, 2), round(ceiling, 2))
    with _jingle_lock:
        if key in _jingle_cache:
            return _jingle_cache[key]
    gains = [target + 20.0 + step for step in (-20.0, -15.0, -10.0, -6.0, -3.0, 0.0, 3.0, 6.0, 10.0, 15.0, 20.0, 25.0)]
    n = len(gains)
    graph = (
        f"[0:a:0]aformat=sample_fmts=flt:sample_rates={SAMPLE_RATE}:channel_layouts=mono,"
        "astats@n=metadata=0:measure_overall=Number_of_samples:measure_perchannel=none,"
        f"ebur128@raw=framelog=verbose,asplit={n}{''.join(f'[c{k}]' for k in range(n))};"
        + ";".join(
            f"[c{k}]volume={g:.3f}dB:precision=float,{filters.limiter(ceiling)},ebur128@k{k}=framelog=verbose,anullsink"
            for k, g in enumerate(gains)
        )
    )
    found, samples = _jingle_run(ffmpeg, path, graph, ["raw"] + [f"k{k}" for k in range(n)], out_path)
    if found["raw"] <= GATED:  # silent, or too short to gate: leave it as it is
        result = (0.0, samples)
    else:
        points = [(g, found[f"k{k}"]) for k, g in enumerate(gains)]
        # trials that left the jingle under the gate say nothing: start from the first real one
        points = [p for p in points if p[1] > GATED]
        result = (Calibration(found["raw"], points, target - found["raw"]).gain_for(target), samples)
    with _jingle_lock:
        _jingle_cache[key] = result
    return result


def _jingle_run(ffmpeg: str, path: Path, graph: str, names: list[str], out_path: Path) -> tuple[dict[str, float], int]:
    cmd = [
        ffmpeg,
        *filters.HEAD,
        "-i",
        str(path),
        "-filter_complex",
        graph,
        "-f",
        "null",
        "-",
    ]
    with tempfile.TemporaryFile() as err:
        proc = tools.spawn(
            cmd, "ffmpeg", out_path, error=AudioError, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        with tools.Watchdog([proc]) as dog:
            rc = proc.wait()
        text = _stderr_text(err)
    if rc != 0:
        raise _fail(
            "ffmpeg",
            rc,
            text,
            out_path,
            f"reading jingle {path}",
            "check that the jingle is a readable audio file (ffprobe it)",
            dog,
        )
    found = summaries(text)
    counts = _SAMPLES.findall(text)
    if any(n not in found for n in names):
        raise AudioError(
            f"ffmpeg printed no loudness for jingle {path} while making {out_path}; "
            "check that this ffmpeg has the ebur128 filter",
            path=out_path,
            tool="ffmpeg",
        )
    return found, int(counts[-1]) if counts else 0


# --- pass 2: two ffmpeg+LAME halves in parallel ---------------------------------------------


@dataclass
class _Chain:
    """One ffmpeg process: gain + limiter (+ jingle, padding) + LAME, for one part of the speech."""

    pcm: bytes
    rate: int
    intro: tuple[Path, float, int] | None  # (file, gain dB, samples)
    outro: tuple[Path, float, int] | None
    lead: float
    tail: float
    id3: bool  # the first part carries the ID3 tag
    xing: bool  # only a file made in one part gets a Xing/LAME header (its frame count)
    dest: str  # file name, or "pipe:1"


def _split_point(pcm: bytes, rate: int) -> int | None:
    """A byte offset near the middle, inside a run of digital silence (espeak-ng's pauses are
    exact zeros), where the speech can be cut and encoded as two MP3 streams and rejoined: the
    encoder delay and padding at the joint add ~75 ms to a pause, which nobody hears."""
    run = bytes(2 * (SPLIT_SILENCE_SAMPLES * rate // SAMPLE_RATE))
    mid = len(pcm) // 4 * 2
    best = None
    for found in (pcm.find(run, mid), pcm.rfind(run, 0, mid)):
        if found >= 0 and (best is None or abs(found - mid) < abs(best - mid)):
            best = found
    if best is None or abs(best - mid) > len(pcm) // 4:
        return None
    cut = best + len(run) // 2
    return cut - cut % 2


def _chain_cmd(
    ffmpeg: str, c: _Chain, gain: float, ceiling: float, s: VoiceSettings, tags: dict[str, str]
) -> list[str]:
    inputs = ["-f", "s16le", "-ar", str(c.rate), "-ac", "1", "-i", "pipe:0"]
    resample = f"aresample={SAMPLE_RATE}," if c.rate != SAMPLE_RATE else ""
    graph = [f"[0:a]{resample}{filters.gain(gain)},{filters.limiter(ceiling)},{filters.meter('speech')}[sp]"]
    order = ["[sp]"]
    for role, jingle in (("intro", c.intro), ("outro", c.outro)):
        if jingle is None:
            continue
        inputs += ["-i", str(jingle[0])]
        graph.append(
            f"[{inputs.count('-i') - 1}:a:0]aformat=sample_fmts=flt:sample_rates={SAMPLE_RATE}:"
            f"channel_layouts=mono,volume={jingle[1]:.3f}dB:precision=float,{filters.limiter(ceiling)}[{role}]"
        )
        if role == "intro":
            order.insert(0, "[intro]")
        else:
            order.append("[outro]")
    chain = [f"concat=n={len(order)}:v=0:a=1"] if len(order) > 1 else ["anull"]
    chain += filters.padding(c.lead, c.tail)
    if len(order) > 1:  # speech alone: the padding is gated out, the programme measures as the speech
        chain.append(filters.meter("programme"))
    graph.append("".join(order) + ",".join(chain) + "[out]")
    if c.id3:
        meta = ["-id3v2_version", "3"]
        for key, value in tags.items():
            meta += ["-metadata", f"{key}={value}"]
    else:
        meta = ["-id3v2_version", "0"]
    return [
        ffmpeg,
        *filters.HEAD,
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(graph),
        "-map",
        "[out]",
        "-map_metadata",
        "-1",
        *meta,
        "-c:a",
        "libmp3lame",
        "-b:a",
        s.bitrate,
        "-compression_level",
        str(LAME_QUALITY),
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        "1",
        "-write_xing",
        "1" if c.xing else "0",
        "-f",
        "mp3",
        c.dest,
    ]


def _encode(
    ffmpeg: str,
    speech: _Speech,
    gain: float,
    ceiling: float,
    s: VoiceSettings,
    jingles: list[tuple[Path, float, int] | None],
    tags: dict[str, str],
    tmp: Path,
    out_path: Path,
) -> dict[str, float]:
    """Write the MP3 to `tmp`; return the loudness measured just before LAME: speech, programme."""
    intro, outro = jingles
    pcm, rate = speech.pcm, speech.rate
    split = _split_point(pcm, rate) if len(pcm) >= 2 * rate * SPLIT_MIN_SECONDS else None
    if split is None:
        chains = [_Chain(pcm, rate, intro, outro, s.lead_silence, s.tail_silence, True, True, str(tmp))]
    else:
        chains = [
            _Chain(pcm[:split], rate, intro, None, s.lead_silence, 0.0, True, False, str(tmp)),
            _Chain(pcm[split:], rate, None, outro, 0.0, s.tail_silence, False, False, "pipe:1"),
        ]
    procs: list[subprocess.Popen] = []
    try:
        for c in chains:
            procs.append(
                tools.spawn(
                    _chain_cmd(ffmpeg, c, gain, ceiling, s, tags),
                    "ffmpeg",
                    out_path,
                    error=AudioError,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE if c.dest == "pipe:1" else subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
    except BaseException:
        for p in procs:
            p.kill()
            p.wait()
        raise
    results: list[tuple[bytes, bytes]] = [(b"", b"")] * len(chains)  # (stdout, stderr), set by run()

    def run(i: int) -> None:
        try:
            results[i] = procs[i].communicate(chains[i].pcm)
        except (BrokenPipeError, OSError, ValueError):
            procs[i].kill()
            results[i] = (b"", b"")

    with tools.Watchdog(procs) as dog:
        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(chains))]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:  # interrupted: leave no encoder running
            for p in procs:
                if p.poll() is None:
                    p.kill()
            raise
    found: list[dict[str, float]] = []
    for proc, (_out, err) in zip(procs, results):
        text = err.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise _fail(
                "ffmpeg",
                proc.returncode,
                text,
                out_path,
                "encoding the MP3",
                "check that ffmpeg has libmp3lame (ffmpeg -encoders | grep mp3), that the intro/outro "
                "files are readable audio, and that the folder is writable with free space",
                dog,
            )
        f = summaries(text)
        f.setdefault("programme", f.get("speech", SILENT))
        if "speech" not in f:
            raise AudioError(
                f"ffmpeg printed no loudness while encoding {out_path}; check that this ffmpeg has the ebur128 filter",
                path=out_path,
                tool="ffmpeg",
            )
        found.append(f)
    if len(chains) == 2:
        with open(tmp, "ab") as fh:
            fh.write(results[1][0])
    weights = [len(c.pcm) for c in chains]
    return {
        "speech": combine([f["speech"] for f in found], weights),
        "programme": combine([f["programme"] for f in found], weights),
    }


# --- probe -----------------------------------------------------------------------------------


def _probe(ffprobe: str, ffmpeg: str | None, path: Path, *, loudness: bool, for_path: Path) -> AudioInfo:
    cmd = [
        ffprobe,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-select_streams",
        "a:0",
        str(path),
    ]
    proc = tools.run(
        cmd,
        "ffprobe",
        path,
        "reading the file",
        "the file is not readable audio: synthesize it again",
        error=AudioError,
    )
    try:
        data = json.loads(proc.stdout or b"{}")
    except ValueError as exc:
        raise AudioError(
            f"ffprobe printed no JSON for {path}; check the ffprobe installation", path=for_path, tool="ffprobe"
        ) from exc
    streams = data.get("streams") or []
    if not streams:
        raise AudioError(f"{path} has no audio stream; synthesize it again", path=for_path, tool="ffprobe")
    st, fmt = streams[0], data.get("format") or {}
    try:
        duration = float(fmt.get("duration") or st.get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    lufs = None
    if loudness and ffmpeg and 0 < duration <= PROBE_LOUDNESS_MAX_SECONDS:
        lufs = _measure_file(ffmpeg, path, for_path)
    return AudioInfo(
        path,
        duration,
        str(st.get("codec_name") or ""),
        lufs,
        int(st["sample_rate"]) if st.get("sample_rate") else None,
        st.get("channels"),
    )


def _measure_file(ffmpeg: str, path: Path, for_path: Path) -> float | None:
    cmd = [
        ffmpeg,
        *filters.HEAD,
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-af",
        "ebur128@m=framelog=verbose",
        "-f",
        "null",
        "-",
    ]
    proc = tools.run(
        cmd, "ffmpeg", path, "measuring the loudness", "the file may be damaged: synthesize it again", error=AudioError
    )
    value = summaries(proc.stderr.decode("utf-8", "replace")).get("m")
    return None if value is None or value <= GATED else value
