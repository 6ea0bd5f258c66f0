"""Station schedule messages for loudspeakers (loa.radio.schedule_msg): each figure beside a baseline from
the same run.

For N stations, each with 3 upcoming slots of 13 items (opening, notices and bridges, closing), build every
station's schedule message and sign it (Ed25519 over the canonical JSON), beside the floor of publishing
anything at all: serialising the same documents to JSON. Also the SHA-256 of a 1 MB audio file, first
read beside a cached second read (schedule_feed.digest: once per file version).

  .venv/bin/python bench/bench_speaker_schedule.py [--stations 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loa.radio import schedule_feed, schedule_msg  # noqa: E402
from loa.signing import Signer  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def slots_for(station: str, now: datetime) -> list[schedule_msg.BuiltSlot]:
    kinds = ["opening"] + [k for i in range(5) for k in (["bridge"] if i else []) + ["notice", "notice"]][:11]
    kinds.append("closing")
    out = []
    for n in range(3):
        start = now + timedelta(hours=2 + 11 * n)
        local = start.astimezone(TZ)
        items = tuple(
            {
                "id": schedule_msg.item_id(i, k, (100 + i, 1) if k == "notice" else None, "vi", False),
                "kind": k,
                "notice": [100 + i, 1] if k == "notice" else None,
                "language": "vi",
                "title": f"Thông báo số {i} về thủ tục hành chính",
                "path": f"audio/{station}-{n}-{i}.mp3",
                "seconds": 42.5,
            }
            for i, k in enumerate(kinds)
        )
        out.append(schedule_msg.BuiltSlot(station, local.date().isoformat(), local.strftime("%H:%M"), start, items))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    now = datetime.now(UTC)
    stations = [f"station-{i:04d}" for i in range(args.stations)]
    built = {s: slots_for(s, now) for s in stations}
    sha = {i["path"]: "ab" * 32 for sl in built.values() for b in sl for i in b.programme}
    with tempfile.TemporaryDirectory() as tmp:
        signer = Signer.load_or_create(Path(tmp) / "key.pem")
        build_sign, floor = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            docs = {
                s: signer.sign(
                    schedule_msg.message(s, built[s], site_url="http://loa.example", sha256=sha, now=now, tz=TZ)
                )
                for s in stations
            }
            payloads = [json.dumps(d, ensure_ascii=False).encode() for d in docs.values()]
            build_sign.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            [json.dumps(d, ensure_ascii=False).encode() for d in docs.values()]
            floor.append(time.perf_counter() - t0)
        size = statistics.median(len(p) for p in payloads)
        audio = Path(tmp) / "a.mp3"
        audio.write_bytes(os.urandom(1 << 20))
        t0 = time.perf_counter()
        schedule_feed.digest(audio)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        schedule_feed.digest(audio)
        cached = time.perf_counter() - t0
    print(
        f"{args.stations} stations × 3 slots × {len(next(iter(built.values()))[0].programme)} items, median of {args.runs}:"
    )
    print(f"  build + sign + serialise every schedule  {statistics.median(build_sign) * 1000:8.1f} ms")
    print(f"  baseline: serialise the same documents    {statistics.median(floor) * 1000:8.1f} ms")
    print(f"  one message: {size / 1024:.1f} KiB")
    print(f"  SHA-256 of a 1 MiB file: first {first * 1000:.2f} ms, cached {cached * 1000:.3f} ms")


if __name__ == "__main__":
    main()
