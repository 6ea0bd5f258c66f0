"""Recovery, on a schedule and when Loa's broker restarts: nothing a crash or an outage left undone
stays undone without an operator (issue 17, docs/delivery.md).

1. Re-assert on the broker what it should hold (every live notice's retained board message and the
   key; the empty message of every withdrawn one): a broker that died before its autosave, or came
   back from an old save, is put right from the store.
2. Deliver again every row of every channel, radio commands included, that failed or stayed pending
   longer than SETTLE ago, or whose dispatch died (loa.publishing.dispatch.redeliver): only versions
   still public and not expired; a play command a dead dispatch may have sent is not repeated.

Bound: a row left undone is taken again at most SETTLE + INTERVAL after it was left (2 + 2 minutes),
and within seconds of a `loa.broker.restarted` event.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger

from channels.catalogue import build_channels
from loa.publishing.dispatch import reassert, redeliver
from loa.runtime import runtime

INTERVAL = timedelta(minutes=2)
SETTLE = timedelta(minutes=2)


def recover_all(settle_after: timedelta = SETTLE) -> dict:
    """Both steps, without Prefect (the flow below, and the tests)."""
    cfg, store = runtime()
    channels = build_channels(cfg, store)
    reasserted = reassert(store, channels)
    redelivered = redeliver(store, channels, settle_after)
    return {
        "reasserted": sum(1 for r in reasserted if r.ok),
        "reassert_failed": [f"{r.channel} {r.target}: {r.detail}" for r in reasserted if not r.ok],
        "redelivered": sum(1 for r in redelivered if r.ok),
        "still_failing": [f"{r.channel} {r.target}: {r.detail}" for r in redelivered if not r.ok],
    }


@flow(name="recovery", flow_run_name="recovery")
def recovery() -> dict:
    """Re-assert the broker's retained notices from the store, then deliver again what was left undone."""
    log = get_run_logger()
    summary = recover_all()
    log.info(
        "re-asserted %s retained message(s); delivered again %s; still failing %s",
        summary["reasserted"],
        summary["redelivered"],
        len(summary["still_failing"]),
    )
    for line in summary["reassert_failed"] + summary["still_failing"]:
        log.warning("%s", line)
    return summary
