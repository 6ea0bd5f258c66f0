"""The environment contract (DESIGN §4) and the broker URL it may name."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from loa.errors import ConfigError

log = logging.getLogger(__name__)

#: the default config shipped inside the package (a wheel works without the repository's config/)
PACKAGED_CONFIG = Path(__file__).resolve().parent.parent / "defaults" / "config"


class Env(BaseSettings):
    """LOA_* variables, read when the config is loaded (never at import). Defaults are the embedded
    set-up of `loa run`; without LOA_CONFIG_DIR the packaged defaults are used."""

    model_config = SettingsConfigDict(env_prefix="LOA_", extra="ignore", frozen=True)

    home: Path = Path(".loa")
    database_url: str | None = None
    mqtt_url: str | None = None
    mqtt_monitor_url: str | None = None  # read-only watchers; else mqtt_url, else the embedded monitor
    config_dir: Path = Field(default_factory=lambda: PACKAGED_CONFIG)
    espeak_bin: str = "espeak-ng"  # the tools speech runs (LOA_ESPEAK_BIN …): another build or a wrapper
    ffmpeg_bin: str = "ffmpeg"
    ffprobe_bin: str = "ffprobe"


@dataclass(frozen=True)
class MqttURL:
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str, source: str = "LOA_MQTT_URL") -> MqttURL:
        parts = urlsplit(url)
        try:
            port = parts.port or 1883
        except ValueError:
            port = 0
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname or not 1 <= port <= 65535:
            raise ConfigError(source, "url", f"{mask_userinfo(url)!r} is not mqtt://user:pass@host:port")
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def masked(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"mqtt://{user}{self.host}:{self.port}"


def mask_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.partition("@")
    return f"{scheme}{sep}***@{host}" if at else url


def secret_path(home: Path, user: str) -> Path:
    return home / "secrets" / f"mqtt-{user}"


def embedded_password(home: Path, user: str = "loa-publisher") -> str | None:
    """An embedded broker account's password from LOA_HOME/secrets; None until `ensure_secrets` made it."""
    path = secret_path(home, user)
    return path.read_text().strip() if path.is_file() else None


EMBEDDED_USERS = ("loa-publisher", "loa-monitor")


def ensure_secrets(home: Path) -> None:
    """Create the embedded broker accounts' passwords once (called at start: the CLI, `loa run`,
    the broker set-up), each readable by its owner only."""
    for user in EMBEDDED_USERS:
        path = secret_path(home, user)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
