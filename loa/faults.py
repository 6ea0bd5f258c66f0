"""Named fault points for the fault-injection bench and tests (bench/bench_faults.py).

`point("after_send", "radio")` kills this process with SIGKILL when LOA_FAULT_POINT names that point
(`after_send`, or `after_send:radio` for one channel only); unset, it does nothing. Points: after_claim
(claims written, nothing sent), after_send (the first send of a channel call acknowledged), before_record
(every send of a channel call done, no outcome recorded).
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_claim", "after_send", "before_record")


def point(name: str, channel: str = "") -> None:
    wanted = os.environ.get("LOA_FAULT_POINT")
    if not wanted:
        return
    where, _, only = wanted.partition(":")
    if where == name and (not only or only == channel):
        os.kill(os.getpid(), signal.SIGKILL)
