"""Slot start accuracy of the reference speaker (`loa speaker run`), beside a baseline from the same run.

A real Mosquitto with Loa's config and a speaker account, a loopback web server with 1 s MP3s, and the
speaker as a process playing through `mpv --ao=null`. One signed schedule lists N slots 3 s apart, one
1 s item each; the speaker prefetches them and plays each at its start. Lateness = the "started" ack's
time minus the slot's start (same machine, same clock). Baseline: a loop that sleeps until the same kind
of start time and spawns the same mpv command (what the speaker cannot beat). Also: the time from
publishing a signed emergency play command to the speaker's "started" ack (download + verify + spawn),
and mpv's own overhead (wall time of a 1 s file minus 1 s: when the audio really ends).

    .venv/bin/python bench/bench_speaker_start.py [--slots 12] [--emergencies 5]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.speaker_helpers import (  # noqa: E402
    STATION,
    Acks,
    Broker,
    Speaker,
    item,
    new_signer,
    play,
    publish,
    schedule,
    serve,
    sha,
    slot,
    tone,
)

MPV = "mpv --no-video --really-quiet --ao=null"


def summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<44} n={len(ms):>3}  median {statistics.median(ms):7.1f} ms  "
        f"worst {max(ms, key=abs):7.1f} ms  best {min(ms, key=abs):6.1f} ms"
    )


def baseline(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Sleep until a start time, spawn mpv: spawn lateness; and mpv's overhead beyond the file's 1 s."""
    late, overhead = [], []
    for _ in range(runs):
        target = time.time() + 0.3
        time.sleep(max(0.0, target - time.time()))
        proc = subprocess.Popen([*shlex.split(MPV), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        late.append(time.time() - target)
        proc.wait()
        overhead.append(time.time() - target - 1.0)
    return late, overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--emergencies", type=int, default=5)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between slot starts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        www = tmp / "www" / "radio"
        www.mkdir(parents=True)
        files = [tone(www / f"s{i}.mp3", 1.0, 300 + 20 * i) for i in range(args.slots)]
        alarm = tone(www / "alarm.mp3", 1.0, 1000)
        server, base = serve(www.parent)
        broker = Broker(tmp / "broker")
        signer = new_signer()
        publish(broker.url, "loa/v1/keys/notices", signer.public_key_document(), retain=True)
        acks = Acks(broker.url)
        speaker = Speaker(broker, base, tmp / "cache", tmp / "speaker.log")
        try:
            first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
            slots = [
                slot(
                    first + timedelta(seconds=args.gap * i),
                    [item(f.stem, f"{base}/radio/{f.name}", 1.0, sha(f.read_bytes()))],
                )
                for i, f in enumerate(files)
            ]
            publish(broker.url, f"loa/v1/radio/{STATION}/schedule", schedule(signer, slots), retain=True)
            wait = args.gap * args.slots + 15
            if not acks.wait(lambda a: sum(x["event"] == "finished" for x in a) >= args.slots, wait):
                sys.exit(f"the speaker did not finish {args.slots} slots; see {speaker.log}")
            starts = {s["id"]: datetime.fromisoformat(s["start"]) for s in slots}
            lateness = [
                (datetime.fromisoformat(a["at"]) - starts[a["slot"]]).total_seconds()
                for a in acks.acks
                if a["event"] == "started"
            ]
            delivery = [t - datetime.fromisoformat(a["at"]).timestamp() for t, a in acks.received]
            emergency = []
            for i in range(args.emergencies):
                before = len(acks.acks)
                sent = time.time()
                cmd = play(signer, [(f"{base}/radio/alarm.mp3", 1.0, sha(alarm.read_bytes()))], key=f"bench-{i}")
                publish(broker.url, f"loa/v1/radio/{STATION}/play", cmd)
                if not acks.wait(lambda a, n=before: any(x["event"] == "finished" for x in a[n:]), 15):
                    sys.exit(f"emergency {i} was not played; see {speaker.log}")
                started = next(x for x in acks.acks[before:] if x["event"] == "started")
                emergency.append(datetime.fromisoformat(started["at"]).timestamp() - sent)
        finally:
            speaker.stop()
            acks.close()
            broker.stop()
            server.shutdown()
        base_late, overhead = baseline(files[0], args.slots)
    print(f"reference speaker, {args.slots} slots {args.gap:g} s apart, player: {MPV}")
    print(summary("speaker: slot start -> 'started' ack", lateness))
    print(summary("baseline: sleep to start -> mpv spawned", base_late))
    print(summary("mpv overhead (1 s file, wall - 1 s)", overhead))
    print(summary("ack 'at' -> received by Loa's subscriber", delivery))
    if emergency:
        print(summary("emergency: play published -> 'started' ack", emergency))


if __name__ == "__main__":
    main()
