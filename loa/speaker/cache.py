"""The speaker's audio cache: files named by their SHA-256, checked on download, bounded by LRU.

A file enters the cache only when its SHA-256 equals the one Loa signed, so a tampered or truncated
download is never played; the next prefetch pass downloads it again. Files the schedule still needs
are never evicted; others go least recently used first when the cache passes its size bound.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from loa.errors import LoaError
from loa.files import atomic_path

log = logging.getLogger(__name__)

SOFTWARE = "loa-speaker/1"


class FetchError(LoaError):
    """A download that failed or did not match its SHA-256 (the message says which and why)."""


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int
    used: float  # last use (mtime), for LRU


def choose_evictions(entries: list[Entry], keep: set[str], max_bytes: int) -> list[str]:
    """Least recently used files not in `keep` until the total fits `max_bytes` (needed files always stay)."""
    total = sum(e.size for e in entries)
    out = []
    for e in sorted(entries, key=lambda e: e.used):
        if total <= max_bytes:
            break
        if e.sha256 in keep:
            continue
        out.append(e.sha256)
        total -= e.size
    return out


def skew_ms(date_header: str | None, sent: float, received: float) -> int | None:
    """Server clock minus ours, from an HTTP Date header (1 s resolution: its middle is taken)."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header).timestamp() + 0.5
    except (TypeError, ValueError):
        return None
    return round((server - (sent + received) / 2) * 1000)


class Cache:
    def __init__(self, root: Path, max_bytes: int, timeout: float = 30.0):
        self.root = root / "audio"
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.clock_skew_ms: int | None = None
        for stale in self.root.glob(".*.tmp"):  # a download cut by a crash
            stale.unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256

    def get(self, sha256: str) -> Path | None:
        """The cached file, marked as just used; None when not cached."""
        path = self.path(sha256)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def entries(self) -> list[Entry]:
        out = []
        for p in self.root.iterdir():
            if p.name.startswith("."):
                continue
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out.append(Entry(p.name, st.st_size, st.st_mtime))
        return out

    def stats(self) -> dict:
        entries = self.entries()
        return {"items": len(entries), "bytes": sum(e.size for e in entries)}

    def fetch(self, url: str, sha256: str, timeout: float | None = None) -> Path:
        """Download `url` into the cache if it is not there; raise FetchError if it fails or mismatches."""
        cached = self.get(sha256)
        if cached:
            return cached
        target = self.path(sha256)
        digest, size = hashlib.sha256(), 0
        request = urllib.request.Request(url, headers={"User-Agent": SOFTWARE})
        sent = time.time()
        try:
            with atomic_path(target) as part:  # removed unless the whole file arrived and matched
                with urllib.request.urlopen(request, timeout=timeout or self.timeout) as resp, open(part, "wb") as fh:
                    received = time.time()
                    measured = skew_ms(resp.headers.get("Date"), sent, received)
                    if measured is not None:
                        self.clock_skew_ms = measured
                    while block := resp.read(1 << 16):
                        size += len(block)
                        if size > self.max_bytes:
                            raise FetchError(f"{url} is larger than the cache ({self.max_bytes} bytes)")
                        digest.update(block)
                        fh.write(block)
                got = digest.hexdigest()
                if got != sha256:
                    raise FetchError(
                        f"sha256 mismatch for {url}: expected {sha256[:16]}…, got {got[:16]}… ({size} bytes)"
                    )
        except FetchError:
            raise
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise FetchError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None
        return target

    def evict(self, keep: set[str]) -> list[str]:
        gone = choose_evictions(self.entries(), keep, self.max_bytes)
        for sha in gone:
            self.path(sha).unlink(missing_ok=True)
        return gone
