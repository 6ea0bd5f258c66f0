"""Radio benchmark: each figure beside a baseline measured in the same run.

1. read-aloud: loa.speech.readaloud over the ~650 lines of the phrase suite (tests/data/readaloud),
   beside NFC normalisation alone (a floor) and espeak-ng's own text-to-phoneme pass over the same lines;
2. a 1,000-word notice: loa.speech.tts.synthesize (speech + EBU R128 loudness + MP3) beside espeak-ng alone;
3. playlist builds for 500 stations over a store with 300 live notices (loa.radio.build: history,
   selection, M3U8 + XSPF, history written), beside the floor of any build: reading the live notices
   from the store and writing the same 1,000 playlist files.

  .venv/bin/python bench/bench_radio.py [--stations 500] [--notices 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import yaml  # noqa: E402
from bench_tts import notice_text, run_espeak  # noqa: E402

from loa.config import Env, load_config  # noqa: E402
from loa.config.lexicon import load_lexicon  # noqa: E402
from loa.files import write_atomic  # noqa: E402
from loa.model import Classification, DocumentMeta, Entry, Priority  # noqa: E402
from loa.radio import audio as radio_audio  # noqa: E402
from loa.radio import playlist as pl  # noqa: E402
from loa.radio import schedule  # noqa: E402
from loa.radio.build import Builder  # noqa: E402
from loa.speech.readaloud import read_aloud  # noqa: E402
from loa.speech.tts import VoiceSettings, synthesize  # noqa: E402
from loa.store import Draft, Store  # noqa: E402
from loa.store import radio as history  # noqa: E402


def median_of(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def lines() -> list[str]:
    from tests.unit import test_readaloud as t

    return [written for written, _ in t.ALL]


def bench_read_aloud(runs: int) -> None:
    lex = load_lexicon(ROOT / "config" / "lexicon.yaml")
    text = lines()
    rounds = 5
    ours, _ = median_of(lambda: [read_aloud(s, lex) for _ in range(rounds) for s in text], runs)
    floor, _ = median_of(lambda: [unicodedata.normalize("NFC", s) for _ in range(rounds) for s in text], runs)
    joined = "\n".join(text) + "\n"
    es, _ = median_of(
        lambda: subprocess.run(
            ["espeak-ng", "-v", "vi", "-q", "-x", "--stdin"], input=joined.encode(), capture_output=True, check=True
        ),
        runs,
    )
    n = len(text) * rounds
    print(f"read-aloud ({len(text)} lines × {rounds}): {n / ours:,.0f} lines/s ({ours / n * 1e6:.0f} µs a line)")
    print(f"  baseline NFC only:                {n / floor:,.0f} lines/s")
    print(
        f"  baseline espeak-ng -x (its own text → phonemes, one process for {len(text)} lines): "
        f"{len(text) / es:,.0f} lines/s; ours is {(n / ours) / (len(text) / es):.1f}× its speed"
    )


def bench_tts(runs: int, work: Path) -> Path:
    text = notice_text(1000)
    s = VoiceSettings()
    es, es_best = median_of(lambda: run_espeak(text, s), runs)
    out = work / "notice-1000.mp3"
    ours, ours_best = median_of(lambda: synthesize(text, out, settings=s, tags={"title": "bench"}), runs)
    info = synthesize(text, out, settings=s)
    print(f"1,000-word notice ({len(text.split())} words, {info.duration:.0f} s of audio, {info.loudness_lufs} LUFS):")
    print(f"  synthesize (speech + loudness + MP3): median {ours:.2f} s, best {ours_best:.2f} s (goal ≤ 2 s)")
    print(
        f"  baseline espeak-ng alone:             median {es:.2f} s, best {es_best:.2f} s; "
        f"ours = espeak-ng × {ours / es:.1f}"
    )
    return out


RELEVANT = Classification(True, 5.0, ("bench",), ("procedures",), DocumentMeta())


def bench_playlists(stations: int, notices: int, runs: int, work: Path, mp3: Path) -> None:
    folder = work / "config"
    shutil.copytree(ROOT / "config", folder)
    cfg0 = load_config(Env(home=work / "home", config_dir=folder))
    communes = [p for p in cfg0.areas if p.count("/") == 2] or list(cfg0.areas)
    data = yaml.safe_load((folder / "stations.yaml").read_text())
    data["stations"] = [
        {
            "id": f"st-{i:03d}",
            "name": f"Đài số {i}",
            "area": communes[i % len(communes)],
            "languages": ["vi", "tay"] if i % 3 == 0 else ["vi"],
            "slots": [{"time": "06:00", "max_minutes": 20}, {"time": "17:00", "max_minutes": 20}],
        }
        for i in range(stations)
    ]
    (folder / "stations.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    cfg = load_config(Env(home=work / "home", config_dir=folder))
    store = Store.open(f"sqlite:///{work / 'loa.db'}")

    # live notices over the province, districts and communes; a tenth of them priority, a few emergencies
    areas = list(cfg.areas)
    entries = [
        (Entry(f"urn:bench:{i}", f"Thông báo số {i} về thủ tục hành chính", "<p>x</p>", None, None, f"h{i}"), RELEVANT)
        for i in range(notices)
    ]
    changes = store.record_entries("http://127.0.0.1/bench.xml", entries)
    drafts = [
        Draft(
            c.document_version_id,
            [areas[i % len(areas)]],
            {"radio": f"Kính thưa bà con, thông báo số {i}."},
            Priority.EMERGENCY if i % 97 == 0 else Priority.PRIORITY if i % 10 == 0 else Priority.NORMAL,
        )
        for i, c in enumerate(changes)
    ]
    ids = store.draft_notices(drafts)
    for nid, _ in ids:
        store.transition(nid, "approve", "bench")
    # their audio exists (made at dispatch): one real MP3, hard-linked under every name, recorded in the store
    seconds = 45.0  # a typical notice read aloud (~100 words): 20-minute slots hold ~26, the rest overflows
    folder_audio = cfg.home / "radio" / "audio"
    folder_audio.mkdir(parents=True, exist_ok=True)
    records = {}
    live = store.live_notices()
    for st in cfg.stations[:3]:
        for n in live:
            src = radio_audio.source(cfg, st, n, "vi")
            if src.file not in records:
                os.link(mp3, folder_audio / src.file)
                records[src.file] = history.AudioRecord(
                    src.file, n.id, n.version, "vi", "synthetic", src.key, seconds, -16.0
                )
    history.save_audio(store, list(records.values()))

    builder = Builder(cfg, store)
    day = datetime.now(cfg.tz).date() + timedelta(days=1)
    slots = [
        t
        for at in ("06:00", "17:00")
        for t in [
            [schedule.occurrence(st, at, day + timedelta(days=d), cfg.tz) for st in cfg.stations] for d in range(runs)
        ]
    ]
    timings, reports, counts = [], [], []
    for targets in sorted(slots, key=lambda ts: ts[0].starts_at):
        now = targets[0].starts_at - timedelta(minutes=5)
        t0 = time.perf_counter()
        reports = builder.slots(targets, now)
        timings.append(time.perf_counter() - t0)
        counts.append(
            f"{targets[0].label[5:]}: {sum(len(r.scheduled) for r in reports)} aired, "
            f"{sum(len(r.overflow) for r in reports)} overflow, {sum(len(r.missing) for r in reports)} gaps"
        )

    # the floor: read the live notices; write the same 1,000 playlist files (no selection, no history)
    read, _ = median_of(lambda: store.live_notices(), runs)
    by_station = {r.station: r for r in reports}
    lists = [
        pl.Playlist(
            f"{st.name}",
            st.name,
            tuple(pl.Track(f, 60.0, "x", "vi") for e in by_station[st.id].scheduled for f in e["files"]),
        )
        for st in cfg.stations
    ]
    out = work / "floor"

    def write_all():  # the same four files a station gets: its slot's and its next playlist, M3U8 and XSPF
        for st, p in zip(cfg.stations, lists):
            for stem in (f"{st.id}/slot", st.id):
                write_atomic(out / f"{stem}.m3u8", pl.m3u8(p, f"{cfg.site_url}/radio"))
                write_atomic(out / f"{stem}.xspf", pl.xspf(p, f"{cfg.site_url}/radio"))

    write, _ = median_of(write_all, runs)
    ours = statistics.median(timings)
    print(
        f"playlist build, {stations} stations × 1 slot over {len(live)} live notices "
        f"({len(slots)} slot builds in sequence, quotas and carry-over applying):"
    )
    print(
        f"  ours: median {ours:.2f} s a slot (best {min(timings):.2f}, worst {max(timings):.2f}) = "
        f"{stations / ours:,.0f} stations/s"
    )
    print("  builds (all stations): " + "; ".join(counts))
    print(
        f"  baseline floor: read live notices {read:.2f} s + write {4 * stations} playlist files {write:.2f} s "
        f"= {read + write:.2f} s; ours = floor × {ours / (read + write):.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--notices", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"bench_radio on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="loa-bench-radio-") as tmp:
        work = Path(tmp)
        bench_read_aloud(args.runs)
        mp3 = bench_tts(args.runs, work)
        bench_playlists(args.stations, args.notices, args.runs, work, mp3)


if __name__ == "__main__":
    main()
