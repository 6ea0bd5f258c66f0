"""What the speaker keeps on disk in its cache folder, so a restart neither replays nor forgets.

state.json: the last verified schedule and key document, the items done per listed slot, and the
idempotency keys of the last emergency commands played. outbox.json: acks not yet confirmed by the
broker (sent after reconnect, also after a restart). Both are bounded and written atomically.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from loa.files import write_atomic

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 5000


class StateFile:
    def __init__(self, folder: Path):
        self.path = folder / "state.json"
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            data = {}
        self.schedule: dict | None = data.get("schedule")
        self.key: dict | None = data.get("key")
        self.done: dict[str, set[str]] = {k: set(v) for k, v in (data.get("done") or {}).items()}
        self.commands: list[str] = list(data.get("commands") or [])

    def save(self) -> None:
        data = {
            "schedule": self.schedule,
            "key": self.key,
            "done": {k: sorted(v) for k, v in self.done.items()},
            "commands": self.commands,
        }
        write_atomic(self.path, json.dumps(data, ensure_ascii=False))


class Outbox:
    """Acks waiting for the broker's PUBACK, oldest first; the oldest are dropped past OUTBOX_LIMIT."""

    def __init__(self, folder: Path, limit: int = OUTBOX_LIMIT):
        self.path = folder / "outbox.json"
        self.limit = limit
        try:
            self.items: list[dict] = list(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            self.items = []
        self.next_seq = max((int(i["seq"]) for i in self.items), default=0) + 1

    def add(self, payload: dict) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self.items.append({"seq": seq, "payload": payload})
        dropped = len(self.items) - self.limit
        if dropped > 0:
            del self.items[:dropped]
        self.save()
        return seq

    def remove(self, seq: int) -> None:
        self.items = [i for i in self.items if i["seq"] != seq]
        self.save()

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.items, ensure_ascii=False))
