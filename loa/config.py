"""Settings from the environment plus YAML config files, validated at start.

Environment (DESIGN §4): LOA_HOME, LOA_DATABASE_URL, LOA_MQTT_URL, LOA_CONFIG_DIR.
Files in LOA_CONFIG_DIR: loa.yaml, feeds.yaml, areas.yaml, stations.yaml,
relevance.yaml, lexicon.yaml. A bad value stops start-up with one line that
names the file, the key and what is wrong (ConfigError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from loa.errors import ConfigError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Env(BaseSettings):
    """The environment contract. Defaults are the embedded set-up of `loa run`."""

    model_config = SettingsConfigDict(env_prefix="LOA_", extra="ignore")

    home: Path = Path(".loa")
    database_url: str | None = None
    mqtt_url: str | None = None
    config_dir: Path = Path("config")


@dataclass(frozen=True)
class MqttURL:
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str, source: str = "LOA_MQTT_URL") -> "MqttURL":
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ConfigError(source, "url", f"{url!r} is not mqtt://user:pass@host:port")
        return cls(
            host=parts.hostname,
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def masked(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"mqtt://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class Feed:
    url: str
    name: str
    area: str  # default target area path for documents from this feed


@dataclass(frozen=True)
class Area:
    path: str  # "cao-bang/hoa-an/hong-viet"
    name: str  # "xã Hồng Việt"

    @property
    def depth(self) -> int:
        return self.path.count("/")


@dataclass(frozen=True)
class Station:
    id: str
    area: str
    name: str
    voice: str = "vi"
    languages: tuple[str, ...] = ("vi",)


@dataclass(frozen=True)
class Ports:
    prefect: int = 4200
    web: int = 8080
    mqtt: int = 1884


@dataclass
class Config:
    """Everything Loa reads at start. Build it with `load_config()`."""

    env: Env
    site_title: str = "Loa"
    site_url: str = "http://127.0.0.1:8080"
    bind_host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    ingest_interval_minutes: int = 5
    runner_poll_seconds: float = 1.0
    board_max_chars: int = 600
    feeds: list[Feed] = field(default_factory=list)
    areas: dict[str, Area] = field(default_factory=dict)
    stations: list[Station] = field(default_factory=list)
    mqtt_topic_prefix: str = "loa/v1"

    @property
    def home(self) -> Path:
        return self.env.home.resolve()

    @property
    def config_dir(self) -> Path:
        return self.env.config_dir.resolve()

    @property
    def database_url(self) -> str:
        return self.env.database_url or f"sqlite:///{self.home / 'loa.db'}"

    @property
    def mqtt(self) -> MqttURL:
        """The broker: LOA_MQTT_URL, else the embedded one `loa run` starts."""
        if self.env.mqtt_url:
            return MqttURL.parse(self.env.mqtt_url)
        return MqttURL(self.bind_host, self.ports.mqtt, "loa-publisher", embedded_password(self.home))

    @property
    def mqtt_monitor(self) -> MqttURL:
        """Read-only access for watchers: LOA_MQTT_MONITOR_URL, else LOA_MQTT_URL, else the embedded monitor account."""
        import os

        url = os.environ.get("LOA_MQTT_MONITOR_URL") or self.env.mqtt_url
        if url:
            return MqttURL.parse(url)
        return MqttURL(self.bind_host, self.ports.mqtt, "loa-monitor", embedded_password(self.home, "loa-monitor"))

    @cached_property
    def relevance(self):
        from loa.ingest.classify import RelevanceRules

        return RelevanceRules.load(self.config_dir / "relevance.yaml")

    @cached_property
    def lexicon(self):
        from loa.speech.readaloud import load_lexicon

        return load_lexicon(self.config_dir / "lexicon.yaml")

    def area_name(self, path: str) -> str:
        area = self.areas.get(path)
        return area.name if area else path

    def stations_for(self, area_path: str) -> list[Station]:
        """Stations that broadcast a notice for `area_path`: those in it or below it."""
        return [s for s in self.stations if s.area == area_path or s.area.startswith(area_path + "/")]


def embedded_password(home: Path, user: str = "loa-publisher") -> str:
    """An embedded broker account's password: generated once, kept in LOA_HOME/secrets."""
    import secrets

    path = home / "secrets" / f"mqtt-{user}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


# --- YAML reading with errors that name file and key -------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(str(path), "(file)", "not found; copy it from the repository's config/ folder")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "(file)", f"is not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping")
    return data


def _get(data: dict, key: str, kind: type | tuple, file: Path, where: str, default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise ConfigError(str(file), f"{where}{key}", "is required")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(str(file), f"{where}{key}", f"{value!r} is not a {names}")
    return value


def _load_main(cfg: Config, file: Path) -> None:
    data = _read_yaml(file)
    cfg.site_title = _get(data, "site_title", str, file, "", cfg.site_title)
    cfg.site_url = _get(data, "site_url", str, file, "", cfg.site_url).rstrip("/")
    cfg.bind_host = _get(data, "bind_host", str, file, "", cfg.bind_host)
    ports = _get(data, "ports", dict, file, "", {})
    values = {}
    for name in ("prefect", "web", "mqtt"):
        port = _get(ports, name, int, file, "ports.", getattr(Ports(), name))
        if not 1 <= port <= 65535:
            raise ConfigError(str(file), f"ports.{name}", f"{port} is not a TCP port (1–65535)")
        values[name] = port
    cfg.ports = Ports(**values)
    cfg.ingest_interval_minutes = _get(data, "ingest_interval_minutes", int, file, "", 5)
    if cfg.ingest_interval_minutes < 1:
        raise ConfigError(str(file), "ingest_interval_minutes", "must be at least 1")
    cfg.runner_poll_seconds = float(_get(data, "runner_poll_seconds", (int, float), file, "", 1.0))
    cfg.board_max_chars = _get(data, "board_max_chars", int, file, "", 600)


def _load_areas(cfg: Config, file: Path) -> None:
    """areas.yaml is a tree: each node has slug, name and optional children."""
    data = _read_yaml(file)

    def walk(nodes: Any, parent: str, where: str) -> None:
        if not isinstance(nodes, list):
            raise ConfigError(str(file), where, "must be a list of areas")
        for i, node in enumerate(nodes):
            here = f"{where}[{i}]"
            if not isinstance(node, dict):
                raise ConfigError(str(file), here, "must be a mapping with slug and name")
            slug = _get(node, "slug", str, file, here + ".")
            if not SLUG.match(slug):
                raise ConfigError(str(file), f"{here}.slug", f"{slug!r} is not a lowercase ASCII slug like 'hoa-an'")
            path = f"{parent}/{slug}" if parent else slug
            cfg.areas[path] = Area(path, _get(node, "name", str, file, here + "."))
            walk(node.get("children", []), path, f"{here}.children")

    walk(data.get("areas"), "", "areas")
    if not cfg.areas:
        raise ConfigError(str(file), "areas", "lists no area; add at least the province")


def _check_area(cfg: Config, path: str, file: Path, key: str) -> str:
    if path not in cfg.areas:
        raise ConfigError(str(file), key, f"area {path!r} is not in areas.yaml")
    return path


def _load_feeds(cfg: Config, file: Path) -> None:
    data = _read_yaml(file)
    feeds = _get(data, "feeds", list, file, "")
    for i, item in enumerate(feeds):
        where = f"feeds[{i}]."
        if not isinstance(item, dict):
            raise ConfigError(str(file), f"feeds[{i}]", "must be a mapping with url, name and area")
        url = _get(item, "url", str, file, where)
        if not re.match(r"^(https?|file)://", url):
            raise ConfigError(str(file), where + "url", f"{url!r} must start with http://, https:// or file://")
        if url.startswith("file://") and not url.startswith("file:///"):
            # a relative file URL is resolved against the config folder, so the bundled sample works anywhere
            url = (file.parent / url[len("file://"):]).resolve().as_uri()
        name = _get(item, "name", str, file, where, url)
        area = _check_area(cfg, _get(item, "area", str, file, where), file, where + "area")
        cfg.feeds.append(Feed(url=url, name=name, area=area))


def _load_stations(cfg: Config, file: Path) -> None:
    data = _read_yaml(file)
    for i, item in enumerate(_get(data, "stations", list, file, "", [])):
        where = f"stations[{i}]."
        sid = _get(item, "id", str, file, where)
        if not SLUG.match(sid):
            raise ConfigError(str(file), where + "id", f"{sid!r} is not a lowercase ASCII slug")
        area = _check_area(cfg, _get(item, "area", str, file, where), file, where + "area")
        langs = tuple(_get(item, "languages", list, file, where, ["vi"]))
        cfg.stations.append(
            Station(
                id=sid,
                area=area,
                name=_get(item, "name", str, file, where, sid),
                voice=_get(item, "voice", str, file, where, "vi"),
                languages=langs,
            )
        )


def load_config(env: Env | None = None) -> Config:
    """Read and validate every config file; raise ConfigError on the first bad value."""
    env = env or Env()
    cfg = Config(env=env)
    folder = env.config_dir
    _load_main(cfg, folder / "loa.yaml")
    _load_areas(cfg, folder / "areas.yaml")
    _load_feeds(cfg, folder / "feeds.yaml")
    _load_stations(cfg, folder / "stations.yaml")
    if env.mqtt_url:
        MqttURL.parse(env.mqtt_url)  # fail at start, not at the first dispatch
    return cfg
