"""Ed25519 signatures for what boards and speakers display or play.

The signature covers the canonical form of the payload: the JSON object
without its "signature" member, keys sorted, no insignificant whitespace,
UTF-8 (not ASCII-escaped). A board recomputes that form and verifies it with
the public key Loa publishes (retained on loa/v1/keys/notices and on the website).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from loa.files import write_atomic

log = logging.getLogger(__name__)


def canonical(payload: dict) -> bytes:
    body = {k: v for k, v in payload.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Signer:
    def __init__(self, key: Ed25519PrivateKey):
        self._key = key
        self.public_raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(self.public_raw).hexdigest()[:16]

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """The signing key lives in LOA_HOME/keys; it is created on first use, readable by its owner only."""
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 private key; move it away and Loa will create one")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_atomic(path, pem, mode=0o600)
        log.info("created the signing key %s", path)
        return cls(key)

    def sign(self, payload: dict) -> dict:
        signed = dict(payload)
        signed["signature"] = {
            "alg": "Ed25519",
            "key_id": self.key_id,
            "value": _b64(self._key.sign(canonical(payload))),
        }
        return signed

    def sign_detached(self, data: bytes) -> dict:
        """A detached signature of exact bytes (a CAP alert file): verify the file as served, unchanged."""
        return {"alg": "Ed25519", "key_id": self.key_id, "value": _b64(self._key.sign(data))}

    def public_key_document(self) -> dict:
        """What boards fetch to verify: the raw public key (base64) and its id."""
        return {
            "schema": "loa.key",
            "schema_version": 1,
            "alg": "Ed25519",
            "key_id": self.key_id,
            "public_key": _b64(self.public_raw),
        }


def publish_key(signer: Signer, path: Path) -> None:
    """The public key where boards and CAP consumers fetch it (loa.layout: <site>/keys/notices.json)."""
    from loa.files import write_atomic

    if not path.exists():
        write_atomic(path, json.dumps(signer.public_key_document(), indent=2))


def verify(payload: dict, public_key_b64: str) -> bool:
    """True only for a payload carrying a valid Ed25519 signature by that key."""
    sig = payload.get("signature")
    if not isinstance(sig, dict) or sig.get("alg") != "Ed25519" or not isinstance(sig.get("value"), str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(sig["value"]), canonical(payload))
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_detached(data: bytes, signature: dict, public_key_b64: str) -> bool:
    """True only when `signature` (from sign_detached) is that key's Ed25519 signature of exactly `data`."""
    if (
        not isinstance(signature, dict)
        or signature.get("alg") != "Ed25519"
        or not isinstance(signature.get("value"), str)
    ):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature["value"]), data)
        return True
    except (InvalidSignature, ValueError):
        return False
