"""Read-aloud speed: espeak-ng alone, the naive loudnorm chain, and loa.speech.tts.synthesize().

Generates a ~1,000-word Vietnamese administrative notice and times, in the same run and
interleaved (so a busy machine hurts all of them alike):

  1. espeak-ng alone (WAV into memory);
  2. the naive baseline: espeak-ng → WAV file → ffmpeg single-pass `loudnorm` + libmp3lame;
  3. our synthesize() (espeak-ng → ebur128 + limiter calibration → gain/limiter + LAME);

then the options considered for measuring loudness and encoding (ffmpeg ebur128 on the WAV,
a pure-Python BS.1770 meter extrapolated from a slice, LAME at its default quality vs ours).
Prints medians (and the best run), CPU seconds, the ratios, and the loudness and true peak of
both MP3s measured by decoding them with ffmpeg's ebur128.

    .venv/bin/python bench/bench_tts.py [--words 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loa.speech import tts  # noqa: E402
from loa.speech.tts import VoiceSettings, synthesize  # noqa: E402

SENTENCES = [
    "Ủy ban nhân dân xã thông báo đến toàn thể nhân dân về việc tiếp nhận hồ sơ thủ tục hành chính "
    "qua dịch vụ công trực tuyến toàn trình.",
    "Kể từ ngày mười lăm tháng sáu năm hai nghìn không trăm hai mươi sáu, người dân có thể nộp hồ sơ "
    "đăng ký khai sinh, đăng ký kết hôn và chứng thực bản sao tại bộ phận một cửa của xã.",
    "Cán bộ tiếp nhận sẽ hướng dẫn bà con cách tra cứu tình trạng giải quyết hồ sơ trên cổng dịch vụ "
    "công của tỉnh và trên ứng dụng định danh điện tử.",
    "Đề nghị các hộ gia đình mang theo căn cước công dân khi đến làm thủ tục, không phải nộp bản sao "
    "giấy tờ đã có trong cơ sở dữ liệu quốc gia về dân cư.",
    "Thời gian làm việc buổi sáng từ bảy giờ ba mươi phút đến mười một giờ ba mươi phút, buổi chiều "
    "từ một giờ ba mươi phút đến năm giờ, từ thứ hai đến thứ sáu hằng tuần.",
    "Mọi thắc mắc xin liên hệ văn phòng Ủy ban nhân dân xã hoặc trưởng thôn để được giải đáp kịp thời.",
    "Việc cải cách thủ tục hành chính nhằm giảm thời gian đi lại và chi phí cho người dân và doanh nghiệp, "
    "nâng cao chất lượng phục vụ của cơ quan nhà nước.",
    "Lệ phí đăng ký thường trú và tạm trú được miễn khi nộp hồ sơ trực tuyến trong năm nay.",
    "Người cao tuổi, người khuyết tật và hộ nghèo được hỗ trợ làm thủ tục tại nhà khi có yêu cầu.",
    "Ủy ban nhân dân xã trân trọng thông báo để nhân dân được biết và thực hiện.",
]


def notice_text(words: int, seed: int = 2026) -> str:
    rnd, out, n = random.Random(seed), [], 0
    while n < words:
        sentence = rnd.choice(SENTENCES)
        out.append(sentence)
        n += len(sentence.split())
    return " ".join(out)


class Timer:
    """Wall and children-CPU seconds of a block."""

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), os.times()
        return self

    def __exit__(self, *exc):
        c1 = os.times()
        self.wall = time.perf_counter() - self.t0
        self.cpu = (
            c1.children_user
            - self.c0.children_user
            + c1.children_system
            - self.c0.children_system
            + c1.user
            - self.c0.user
            + c1.system
            - self.c0.system
        )


def espeak_cmd(s: VoiceSettings) -> list[str]:
    return [tts.ESPEAK_BIN, "-v", s.voice, "-s", str(s.rate), "-p", str(s.pitch), "-b", "1", "--stdin", "--stdout"]


def run_espeak(text: str, s: VoiceSettings) -> bytes:
    return subprocess.run(espeak_cmd(s), input=text.encode(), capture_output=True, check=True).stdout


def run_naive(text: str, s: VoiceSettings, out: Path, work: Path) -> None:
    wav = work / "naive.wav"
    wav.write_bytes(run_espeak(text, s))
    subprocess.run(
        [
            tts.FFMPEG_BIN,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(wav),
            "-af",
            f"loudnorm=I={s.loudness_lufs}:TP={s.true_peak_db}:LRA=11",
            "-ar",
            "22050",
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            s.bitrate,
            str(out),
        ],
        check=True,
    )


def measure(path: Path, peak: bool = True) -> tuple[float, float | None]:
    af = "ebur128=framelog=verbose" + (":peak=true" if peak else "")
    err = subprocess.run(
        [tts.FFMPEG_BIN, "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af", af, "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    lufs = float(re.findall(r"I:\s+(\S+) LUFS", err)[-1])
    tp = re.findall(r"Peak:\s+(\S+) dBFS", err)
    return lufs, (float(tp[-1]) if tp else None)


# --- pure-Python BS.1770 (the option we rejected: too slow without numpy) ----------------------


def bs1770_python(samples: array, fs: int) -> float:
    # K-weighting: high shelf then RLB high-pass, coefficients for any fs (as libebur128 does)
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / fs)
    vh = 10 ** (g / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    a = (2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    f1, q1 = 38.13547087602444, 0.5003270373238773
    k1 = math.tan(math.pi * f1 / fs)
    d = 1 + k1 / q1 + k1 * k1
    a_hp = (2 * (k1 * k1 - 1) / d, (1 - k1 / q1 + k1 * k1) / d)
    b0, b1, b2 = b
    a1, a2 = a
    c1, c2 = a_hp
    x1 = x2 = y1 = y2 = z1 = z2 = 0.0  # shelf input/output history, high-pass output history
    hop = fs // 10
    sums, acc, n = [], 0.0, 0
    scale = 1 / 32768
    for v in samples:
        x = v * scale
        y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        z = y - 2 * y1 + y2 - c1 * z1 - c2 * z2  # high-pass input history = shelf output history
        x2, x1, y2, y1, z2, z1 = x1, x, y1, y, z1, z
        acc += z * z
        n += 1
        if n == hop:
            sums.append(acc)
            acc, n = 0.0, 0
    blocks = [sum(sums[i : i + 4]) / (4 * hop) for i in range(len(sums) - 3)]
    gated = [p for p in blocks if p > 0 and -0.691 + 10 * math.log10(p) > -70]
    if not gated:
        return -70.0
    rel = -0.691 + 10 * math.log10(sum(gated) / len(gated)) - 10
    final = [p for p in gated if -0.691 + 10 * math.log10(p) > rel]
    return -0.691 + 10 * math.log10(sum(final) / len(final))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    s = VoiceSettings()
    text = notice_text(args.words)
    print(
        f"notice: {len(text.split())} words, {len(text)} characters; voice {s.voice}, rate {s.rate}, "
        f"target {s.loudness_lufs} LUFS / {s.true_peak_db} dBTP, {s.bitrate}; {os.cpu_count()} CPUs"
    )
    load = os.getloadavg()[0]
    print(
        f"load average before: {load:.2f}"
        + ("  (busy machine: the medians will be slow; compare the best runs)" if load > 0.5 else "")
    )

    results: dict[str, list[Timer]] = {"espeak-ng alone": [], "naive loudnorm + MP3": [], "synthesize()": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        naive_out, ours_out = work / "naive.mp3", work / "ours.mp3"
        wav = run_espeak(text, s)  # warm the page cache and the voice data
        for _ in range(args.runs):
            with Timer() as t:
                run_espeak(text, s)
            results["espeak-ng alone"].append(t)
            with Timer() as t:
                run_naive(text, s, naive_out, work)
            results["naive loudnorm + MP3"].append(t)
            with Timer() as t:
                info = synthesize(text, ours_out, settings=s, tags={"title": "bench", "language": "vie"})
            results["synthesize()"].append(t)

        med = {k: statistics.median(t.wall for t in v) for k, v in results.items()}
        print(f"\naudio: {info.duration:.1f} s of speech; median of {args.runs} runs (best), CPU seconds (median)")
        for name, timers in results.items():
            print(
                f"  {name:24s} {med[name]:6.2f} s  (best {min(t.wall for t in timers):5.2f} s)"
                f"   cpu {statistics.median(t.cpu for t in timers):5.2f} s"
            )
        bests = {k: min(t.wall for t in v) for k, v in results.items()}
        for label, fig in (("median", med), ("best", bests)):
            print(
                f"  {label:6s}: synthesize() is {fig['naive loudnorm + MP3'] / fig['synthesize()']:.1f}x faster than "
                f"the naive chain and takes {fig['synthesize()'] / fig['espeak-ng alone']:.1f}x espeak-ng's time"
            )
        best = min(t.wall for t in results["synthesize()"])
        verdict = {True: "met", False: "NOT met"}
        print(
            f"  goal: synthesize() <= 2 s for 1,000 words: median {verdict[med['synthesize()'] <= 2.0]}, "
            f"best run {verdict[best <= 2.0]} (load average now {os.getloadavg()[0]:.2f})"
        )

        for name, path in (("naive", naive_out), ("ours", ours_out)):
            lufs, tp = measure(path)
            print(
                f"  {name:6s} MP3: {lufs:6.1f} LUFS (target {s.loudness_lufs}), true peak {tp:+.1f} dBTP "
                f"(ceiling {s.true_peak_db})"
            )
        print(f"  ours as reported by synthesize(): {info.loudness_lufs} LUFS, {info.duration:.2f} s")

        # --- the options, one by one ---
        print("\noptions (median of 3):")
        wav_path = work / "speech.wav"
        wav_path.write_bytes(wav)

        def timed(fn, n=3):
            walls = []
            for _ in range(n):
                with Timer() as t:
                    fn()
                walls.append(t.wall)
            return statistics.median(walls)

        ff = [tts.FFMPEG_BIN, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        t_ebur = timed(lambda: measure(wav_path, peak=False))
        print(f"  ffmpeg ebur128 on the 22.05 kHz WAV (measure only)      {t_ebur:6.2f} s")
        t_loud = timed(
            lambda: subprocess.run(
                ff + ["-i", str(wav_path), "-af", "loudnorm=I=-16:TP=-1.5:LRA=11", "-f", "null", "-"], check=True
            ),
            n=1,
        )
        print(f"  ffmpeg loudnorm single pass, no encode (192 kHz inside)  {t_loud:6.2f} s")
        pcm = array("h")
        pcm.frombytes(wav[44 : 44 + 2 * 22050 * 20])
        with Timer() as t:
            py_lufs = bs1770_python(pcm, 22050)
        slice_s = len(pcm) / 22050
        print(
            f"  pure-Python BS.1770 on {slice_s:.0f} s: {t.wall:.2f} s -> {t.wall * info.duration / slice_s:6.2f} s "
            f"for the notice (reads {py_lufs:.1f} LUFS on the slice)"
        )
        for q in (None, tts.LAME_QUALITY):
            extra = [] if q is None else ["-compression_level", str(q)]
            t_enc = timed(
                lambda extra=extra: subprocess.run(
                    ff + ["-i", str(wav_path), "-c:a", "libmp3lame", "-b:a", s.bitrate, *extra, str(work / "enc.mp3")],
                    check=True,
                )
            )
            print(
                f"  LAME encode alone, {'default quality' if q is None else f'compression_level {q}':24s}"
                f"      {t_enc:6.2f} s"
            )


if __name__ == "__main__":
    main()
