"""One line per event on stderr: `2026-12-03T02:40:00.123Z slot.start slot=… item=…`, or JSON lines."""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO

from loa import clock


class EventLog:
    def __init__(self, as_json: bool = False, stream: TextIO | None = None):
        self.as_json = as_json
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def event(self, name: str, **fields: object) -> None:
        at = clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.as_json:
            line = json.dumps({"at": at, "event": name, **fields}, ensure_ascii=False, default=str)
        else:
            parts = [f"{k}={_text(v)}" for k, v in fields.items() if v is not None]
            line = " ".join([at, name, *parts])
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _text(v: object) -> str:
    s = str(v).replace("\n", " ")
    return json.dumps(s, ensure_ascii=False) if (" " in s or not s) else s
