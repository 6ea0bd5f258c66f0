"""Fault injection: SIGKILL `loa dispatch` at each named point and at random moments, then recover the
way Loa does without an operator (the next dispatch, or the recovery run, takes over the dead one's
claims), and count per channel what was lost and what was sent twice. Then kill the broker after a
dispatch and time how long the recovery run takes to put every retained notice back.

    .venv/bin/python bench/bench_faults.py --trials 100        # ~15 s a trial on 2 cores

Each trial forks a child that runs the dispatch core (the code `loa dispatch` runs) for boards, radio
and webhook with a short emergency text, so 100 trials fit in minutes; tests/integration/test_faults.py
kills the real `loa dispatch` command with every channel.

Points (LOA_FAULT_POINT, loa/faults.py): after_claim, after_send, before_record, each for boards,
radio and webhook; "random" trials kill the process after a random delay within a normal dispatch's
duration. Duplicates: a play command counted by its idempotency key, a webhook by its delivery id (both
must be 0); a board message re-sent on its retained topic is idempotent and shown apart.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faultkit import CHANNELS, Tally, World, scratch  # noqa: E402
from loa.faults import POINTS  # noqa: E402

NAMED = [f"{p}:{ch}" for p in POINTS for ch in CHANNELS]


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def trial(world: World, i: int, point: str, rng: random.Random, normal: float) -> tuple[bool, Tally]:
    nid = world.emergency(f"Lũ quét thử nghiệm số {i}", radio=f"Khẩn cấp số {i}. Sơ tán ngay.")
    pid = world.fork_dispatch(nid, None if point == "random" else point)
    if point == "random":
        time.sleep(rng.uniform(0.0, normal))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed = _wait(pid) == -signal.SIGKILL
    for _ in range(2):  # the successor: the next dispatch takes over the dead one's claims at once
        if _wait(world.fork_dispatch(nid)) == 0:
            break
    world.settle(0.3)
    return killed, world.tally(nid)


def _retained(world: World) -> set[str]:
    """The notice topics the broker retains now, as a board connecting now would get them."""
    world.messages.clear()
    world.sub.loop_stop()
    world._subscribe()
    world.settle(1.0)
    return {t for t, p, r in world.messages if r and p and "/notices/" in t}


def broker_crash(world: World, notices: int) -> dict:
    from channels.catalogue import build_channels
    from loa.publishing.dispatch import reassert

    for i in range(notices):
        nid = world.emergency(f"Bão số {i} đổ bộ", radio=f"Bão số {i}. Sơ tán ngay.")
        _wait(world.fork_dispatch(nid))
    expected = {
        f"{world.cfg.mqtt_topic_prefix}/areas/{d.target}/notices/{n.id}"
        for n in world.store.live_notices()
        for d in world.store.deliveries(n.id, n.version, "boards", "publish")
        if d.status == "delivered"
    }
    before = _retained(world)
    world.kill_broker()  # within Mosquitto's 30 s autosave: the newest retained notices are lost
    t0 = time.monotonic()
    world.restart_broker()
    restarted = time.monotonic() - t0
    lost = expected - _retained(world)
    t1 = time.monotonic()
    out = reassert(world.store, build_channels(world.cfg, world.store, ["boards"]))
    took = time.monotonic() - t1
    after = _retained(world)
    return {
        "live_notice_messages": len(expected),
        "retained_before_crash": len(before & expected),
        "lost_by_the_crash": len(lost),
        "re_asserted": sum(1 for r in out if r.ok and r.target != "key"),
        "missing_after_recovery": len(expected - after),
        "broker_restart_s": round(restarted, 2),
        "reassert_s": round(took, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--crash-notices", type=int, default=5)
    ap.add_argument("--crash-only", action="store_true", help="only the broker-crash recovery figure")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    world = World(scratch("bench"))
    try:
        times = []
        for k in range(3):  # the first is cold (voices, fonts): the figure is the warm ones' mean
            nid = world.emergency(f"Mốc thời gian {k}", radio="Khẩn cấp. Sơ tán ngay.")
            t = time.monotonic()
            _wait(world.fork_dispatch(nid))
            times.append(time.monotonic() - t)
        normal = sum(times[1:]) / 2
        print(f"baseline: one emergency dispatch (no fault) {normal:.2f} s warm ({times[0]:.1f} s cold); random kills")
        print(f"land uniformly in 0..{normal:.2f} s; tally of the last {dict(world.tally(nid).lost)}")
        if args.crash_only:
            print("broker SIGKILL after dispatch, restart, re-assert:", broker_crash(world, args.crash_notices))
            return
        plan = [NAMED[i % len(NAMED)] for i in range(len(NAMED) * max(1, args.trials // 2 // len(NAMED)))]
        plan += ["random"] * max(0, args.trials - len(plan))
        per_point: dict[str, Counter] = {}
        lost: Counter[str] = Counter()
        dup: Counter[str] = Counter()
        kills = resent = 0
        for i, point in enumerate(plan, 1):
            killed, tally = trial(world, i, point, rng, normal)
            kills += killed
            lost.update(tally.lost)
            dup.update(tally.duplicated)
            resent += tally.resent_retained
            row = per_point.setdefault(point, Counter())
            row["trials"] += 1
            row["killed"] += killed
            row["lost"] += sum(tally.lost.values())
            row["dup"] += sum(tally.duplicated.values())
            print(
                f"trial {i:3d} {point:22s} killed={killed!s:5} lost={dict(+tally.lost) or 0} "
                f"dup={dict(+tally.duplicated) or 0}",
                flush=True,
            )
        print(f"\n{len(plan)} trials, {kills} processes killed by SIGKILL")
        print(f"{'point':24s} {'trials':>6s} {'killed':>6s} {'lost':>5s} {'dup':>5s}")
        for point, row in per_point.items():
            print(f"{point:24s} {row['trials']:6d} {row['killed']:6d} {row['lost']:5d} {row['dup']:5d}")
        print("per channel:", {ch: {"lost": lost[ch], "duplicated": dup[ch]} for ch in CHANNELS})
        print(f"board messages re-sent on their retained topic (idempotent): {resent}")
        print("broker SIGKILL after dispatch, restart, re-assert:", broker_crash(world, args.crash_notices))
    finally:
        world.close()


if __name__ == "__main__":
    main()
