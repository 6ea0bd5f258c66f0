"""Atomic file writes: a reader (web server, radio player, board) never sees half a file."""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def atomic_path(path: Path, *, mode: int = 0o644, fsync: bool = False) -> Iterator[Path]:
    """A hidden temporary path beside `path` to write (by hand or by a tool such as ffmpeg);
    when the block ends without an error it gets `mode` and replaces `path` in one rename,
    otherwise it is removed. The temporary file is created 0600, so a secret is never readable
    by others, even half-written. `fsync`: flush it to disk before the rename (audio a player
    may open right after a crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o644) -> Path:
    """Write `data` (str as UTF-8) to `path`: readers see the old file or the new one, never half."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(raw)
    log.debug("wrote %s (%d bytes)", path, len(raw))
    return path


@contextmanager
def locked(home: Path, name: str):
    """One writer at a time per LOA_HOME for a read-modify-write of generated files (site, playlists).
    flock: LOA_HOME must be on a local disk of the machine that runs those tasks."""
    from loa.layout import Layout

    path = Layout(home).lock(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
