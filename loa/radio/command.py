"""The emergency play command for IP loudspeaker clusters (MQTT v5, QoS 1, not retained).

Topic loa/v1/radio/<station>/play. The payload (schema loa.radio.play v1) names the audio to play
now, each file with its URL, length and SHA-256, and the station's emergency playlist; it is signed
like a board notice (loa.signing: Ed25519 over the canonical JSON), so a speaker plays only what Loa
sent, and the SHA-256 lets it check the file it downloaded. `valid_until` bounds a replay. A
withdrawn emergency sends loa.radio.stop on loa/v1/radio/<station>/stop.

Not retained: a speaker that connects after the moment must not start an old alarm; MQTT message
expiry (COMMAND_TTL_SECONDS, or less when the notice expires sooner) lets a speaker with a
persistent session that was briefly offline still receive it, and never later.

`idempotency_key` ("notice-<id>-v<version>-<station>") is the same on every try: Loa sends a play
command at most once per key (a dispatch that died mid-send is not repeated), and a speaker that has
played a key ignores another command with it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path

from loa.model import NoticeView
from loa.radio.select import Track

log = logging.getLogger(__name__)

PLAY_SCHEMA = "loa.radio.play"
STOP_SCHEMA = "loa.radio.stop"
SCHEMA_VERSION = 1
COMMAND_TTL_SECONDS = 3600


def play_topic(prefix: str, station: str) -> str:
    return f"{prefix}/radio/{station}/play"


def stop_topic(prefix: str, station: str) -> str:
    return f"{prefix}/radio/{station}/stop"


def ttl(notice: NoticeView, now: datetime) -> int:
    """Seconds the command stays deliverable: an hour, or until the notice expires if sooner (at least 1)."""
    if notice.expires_at is None:
        return COMMAND_TTL_SECONDS
    return max(1, min(COMMAND_TTL_SECONDS, int((notice.expires_at - now).total_seconds())))


def idempotency_key(notice_id: int, version: int, station: str) -> str:
    """One key per (notice, version, station), the same on every try: a speaker that has played a key
    ignores a second command with it (Loa sends it at most once; docs/delivery.md)."""
    return f"notice-{notice_id}-v{version}-{station}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def play_payload(
    *, site_url: str, station: str, notice: NoticeView, tracks: list[Track], radio_root: Path, now: datetime
) -> dict:
    """The unsigned command (sign it with loa.signing.Signer.sign)."""
    base = f"{site_url}/radio"
    return {
        "schema": PLAY_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "station": station,
        "idempotency_key": idempotency_key(notice.id, notice.version, station),
        "notice": {
            "id": notice.id,
            "version": notice.version,
            "priority": notice.priority.value,
            "title": notice.title,
            "expires_at": notice.expires_at.isoformat() if notice.expires_at else None,
        },
        "audio": [
            {
                "language": t.language,
                "url": f"{base}/{t.path}",
                "seconds": round(t.seconds, 2),
                "sha256": sha256(radio_root / t.path),
            }
            for t in tracks
        ],
        "playlist": f"{base}/stations/{station}/emergency.m3u8",
        "issued_at": now.isoformat(timespec="seconds"),
        "valid_until": (now + timedelta(seconds=ttl(notice, now))).isoformat(timespec="seconds"),
    }


def stop_payload(*, station: str, notice: NoticeView, now: datetime) -> dict:
    return {
        "schema": STOP_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "station": station,
        "notice": {"id": notice.id, "version": notice.version},
        "issued_at": now.isoformat(timespec="seconds"),
        "valid_until": (now + timedelta(seconds=COMMAND_TTL_SECONDS)).isoformat(timespec="seconds"),
    }
