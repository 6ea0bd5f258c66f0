"""Schedules and commands as Loa's server sends them (loa.radio.schedule / loa.radio.play v1), for speaker tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa.signing import Signer

STATION = "cao-bang-hoa-an"


def new_signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def item(name: str, url: str, seconds: float, sha: str, kind: str = "notice", notice: int | None = 7) -> dict:
    return {
        "id": name,
        "kind": kind,
        "notice": {"id": notice, "version": 1} if notice is not None else None,
        "language": "vi",
        "title": f"Mục {name}",
        "url": url,
        "seconds": seconds,
        "sha256": sha,
    }


def slot(start: datetime, items: list[dict], station: str = STATION) -> dict:
    return {
        "id": f"{station}/{start.astimezone(UTC):%Y%m%dT%H%M%S}",
        "start": start.isoformat(),
        "playlist": f"http://127.0.0.1/radio/stations/{station}/{start:%H%M}.m3u8",
        "items": items,
    }


def schedule(signer: Signer, slots: list[dict], generated_at: datetime | None = None, station: str = STATION) -> dict:
    generated_at = generated_at or datetime.now(UTC)
    return signer.sign(
        {
            "schema": "loa.radio.schedule",
            "schema_version": 1,
            "station": station,
            "generated_at": generated_at.isoformat(timespec="milliseconds"),
            "until": (generated_at + timedelta(hours=24)).isoformat(),
            "slots": slots,
        }
    )


def play(
    signer: Signer,
    audio: list[tuple[str, float, str]],
    *,
    key: str | None = "cmd-1",
    notice: int = 42,
    valid_for: float = 600,
    station: str = STATION,
) -> dict:
    now = datetime.now(UTC)
    body = {
        "schema": "loa.radio.play",
        "schema_version": 1,
        "station": station,
        "notice": {"id": notice, "version": 1, "priority": "emergency", "title": "Lũ quét", "expires_at": None},
        "audio": [{"language": "vi", "url": u, "seconds": s, "sha256": h} for u, s, h in audio],
        "playlist": f"http://127.0.0.1/radio/stations/{station}/emergency.m3u8",
        "issued_at": now.isoformat(timespec="seconds"),
        "valid_until": (now + timedelta(seconds=valid_for)).isoformat(timespec="seconds"),
    }
    if key is not None:
        body["idempotency_key"] = key
    return signer.sign(body)


def stop(signer: Signer, notice: int = 42, station: str = STATION) -> dict:
    now = datetime.now(UTC)
    return signer.sign(
        {
            "schema": "loa.radio.stop",
            "schema_version": 1,
            "station": station,
            "notice": {"id": notice, "version": 1},
            "issued_at": now.isoformat(timespec="seconds"),
            "valid_until": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
        }
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
