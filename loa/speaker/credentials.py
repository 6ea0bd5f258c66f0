"""Where the speaker's account comes from: the environment or a file readable by its owner only.

Never the command line (other users see it in `ps`). The file is JSON ({"id": …, "password": …}) or
key=value lines (id=…, password=…, or the LOA_SPEAKER_ID / LOA_SPEAKER_PASSWORD names). The file
`loa speakers add` writes also names the station, the broker (`mqtt`) and the site (`site_url`): `loa speaker
run --credentials FILE` takes the broker and site from it when not given, and refuses another station.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from loa.board_protocol import DEVICE_ID  # the id `loa speakers add` accepts, the same rule
from loa.errors import LoaError

log = logging.getLogger(__name__)

_ALIASES = {
    "id": "id",
    "speaker": "id",
    "loa_speaker_id": "id",
    "password": "password",
    "loa_speaker_password": "password",
    "station": "station",
    "mqtt": "mqtt",
    "site_url": "site",
}


def parse_text(text: str) -> dict[str, str]:
    """The id and password in a credentials file's text (JSON or key=value lines)."""
    text = text.strip()
    found: dict[str, str] = {}
    if text.startswith("{"):
        data = json.loads(text)
        pairs = [(str(k), str(v)) for k, v in data.items()] if isinstance(data, dict) else []
    else:
        pairs = []
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                pairs.append((k.strip(), v.strip().strip("'\"")))
    for k, v in pairs:
        name = _ALIASES.get(k.lower())
        if name:
            found[name] = v
    return found


def read_file(file: Path) -> dict[str, str]:
    """Every known field of an owner-only credentials file (id, password, station, mqtt, site)."""
    try:
        mode = file.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LoaError(f"{file} is readable by other users; run `chmod 600 {file}`")
        return parse_text(file.read_text())
    except OSError as exc:
        raise LoaError(f"cannot read the credentials file {file}: {exc.strerror}") from None
    except ValueError:
        raise LoaError(f"{file} is neither JSON nor key=value lines; see `loa speaker run --help`") from None


def load(file: Path | None, env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(speaker id, password) from `file` when given, else LOA_SPEAKER_ID / LOA_SPEAKER_PASSWORD."""
    if file is not None:
        return account(read_file(file), str(file))
    env_creds = {"id": env.get("LOA_SPEAKER_ID", ""), "password": env.get("LOA_SPEAKER_PASSWORD", "")}
    return account(env_creds, "LOA_SPEAKER_ID / LOA_SPEAKER_PASSWORD")


def account(creds: Mapping[str, str], source: str) -> tuple[str, str]:
    """(speaker id, password) from fields already read (`source` names where, for the error)."""
    speaker, password = creds.get("id", ""), creds.get("password", "")
    if not speaker or not password:
        raise LoaError(f"no speaker id and password in {source}; `loa speakers add ID --station S` prints them")
    if not DEVICE_ID.match(speaker):
        raise LoaError(f"speaker id {speaker!r} in {source} is not lowercase letters, digits and '-' (1-64)")
    return speaker, password
