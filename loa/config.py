"""Settings from the environment plus YAML config files, validated at start.

Environment (DESIGN §4): LOA_HOME, LOA_DATABASE_URL, LOA_MQTT_URL, LOA_CONFIG_DIR.
Files in LOA_CONFIG_DIR: loa.yaml, feeds.yaml, areas.yaml, stations.yaml,
relevance.yaml, lexicon.yaml. A bad value stops start-up with one line that
names the file, the key and what is wrong (ConfigError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, overload
from urllib.parse import unquote, urlsplit

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from loa.cap.build import CapSettings
from loa.errors import ConfigError
from loa.radio.programme import Wording, check_template
from loa.speech.tts import voice_command_problem

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
    def parse(cls, url: str, source: str = "LOA_MQTT_URL") -> MqttURL:
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
    area: str  # default target of documents from this feed: an area path or a grouping slug (its communes)
    # read the linked article: "auto" when the entry's text is a summary, "always", or "never"
    fetch_article: str = "auto"
    kind: str = "rss"  # "rss" (RSS/Atom of documents) | "cap" (CAP 1.2 alerts: loa/ingest/cap_feed.py)


FETCH_ARTICLE = ("auto", "always", "never")


@dataclass(frozen=True)
class Area:
    """A unit of the 2025 map Loa serves: the province or one of its communes (loa.areamap)."""

    path: str  # "cao-bang/thuc-phan": slugs, the MQTT topic segments
    name: str  # "phường Thục Phán"
    code: int | None = None  # the official code (Decision 19/2025/QĐ-TTg): 1273
    kind: str = ""  # tỉnh | xã | phường | đặc khu

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def describe(self) -> dict:
        return {"path": self.path, "code": self.code, "name": self.name, "kind": self.kind}


@dataclass(frozen=True)
class Grouping:
    """An operator's named list of communes (areas.yaml `groupings`): a shortcut, not a level.
    Targeting it targets each of its communes."""

    slug: str
    name: str
    communes: tuple[str, ...]  # area paths


@dataclass(frozen=True)
class Slot:
    """A daily broadcast slot of a radio station (stations.yaml `slots`)."""

    time: str  # "06:00", local time (Config.timezone)
    max_minutes: float = 30.0  # the playlist never runs longer (emergencies excepted); the rest is carried over
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)  # ISO weekdays it airs on


@dataclass(frozen=True)
class Station:
    """A commune loudspeaker station (stations.yaml; loa/radio builds its playlists)."""

    id: str
    area: str
    name: str
    area_code: int | None = None  # the official code of `area` (from areas.yaml's map)
    voice: str = "vi"  # espeak-ng: vi (northern), vi-vn-x-central, vi-vn-x-south
    languages: tuple[str, ...] = ("vi",)
    rate: int = 150  # words per minute
    pitch: int = 50
    loudness_lufs: float = -16.0  # EBU R128 target of every file it airs (synthetic and human)
    true_peak_db: float = -1.5
    lead_silence: float = 0.5  # seconds of silence before and after each notice's audio
    tail_silence: float = 0.7
    slots: tuple[Slot, ...] = ()
    airings: int = 3  # each notice version airs this many times ...
    over_days: int = 3  # ... spread over this many days (at most ceil(airings / over_days) a day)
    intro: Path | None = None  # jingle opening each playlist (loudness-normalised to the target)
    outro: Path | None = None
    voice_command: tuple[str, ...] = ()  # `engine: {command: [...]}`: another TTS engine; () is espeak-ng
    programme: Wording = Wording()  # what the station says around its notices (loa.radio.programme)


@dataclass(frozen=True)
class RadioSettings:
    """stations.yaml's top level: when slot playlists are built, and the defaults every station starts from."""

    build_minutes_before: int = 5  # the slot deployments run this long before each slot
    defaults: Station = Station(id="defaults", area="", name="defaults")  # also the website's audio voice


@dataclass(frozen=True)
class Ports:
    prefect: int = 4200
    web: int = 8080
    mqtt: int = 1884


@dataclass(frozen=True)
class WebhookTarget:
    """An external portal that receives each notice as a signed JSON POST (channels/webhook.py)."""

    name: str
    url: str
    secret: str = field(repr=False)  # HMAC-SHA256 key; never printed (masked())
    areas: tuple[str, ...] = ()  # only notices for these areas (or above/below them); empty: all
    timeout: float = 10.0
    attempts: int = 3  # tries per dispatch, with exponential backoff between them

    def masked(self) -> dict:
        return {
            "name": self.name,
            "url": self.url,
            "secret": "***",
            "areas": list(self.areas),
            "timeout": self.timeout,
            "attempts": self.attempts,
        }


@dataclass(frozen=True)
class PrintSettings:
    """The printed bulletin (channels/printed.py): when the weekly edition is made, and its type size."""

    weekday: int = 1  # ISO weekday (1 = Monday) on which last week's edition is made
    time: str = "06:00"  # local time, in Config.timezone
    font_size_pt: int = 16


@dataclass(frozen=True)
class OperationsSettings:
    """What Loa's Prefect automations watch for and whom they tell (loa.yaml `operations`, flows/automations.py)."""

    notification_block: str = ""  # a Prefect notification block's name; empty: automations only record firing
    draft_waiting_hours: float = 24.0  # a draft unapproved this long notifies
    feed_failing_hours: float = 24.0
    board_offline_minutes: float = 30.0
    broker_publishes: int = 4  # dispatch tasks publishing to the broker at once, across all workers


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
    areas: dict[str, Area] = field(default_factory=dict)  # the province first, then the communes in use
    groupings: dict[str, Grouping] = field(default_factory=dict)
    area_map: Any = None  # loa.areamap.Province: every commune of the served province
    stations: list[Station] = field(default_factory=list)
    radio: RadioSettings = field(default_factory=RadioSettings)
    mqtt_topic_prefix: str = "loa/v1"
    timezone: str = "Asia/Ho_Chi_Minh"  # dates on the website and in printed bulletins
    webhooks: list[WebhookTarget] = field(default_factory=list)
    print: PrintSettings = field(default_factory=PrintSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    cap: CapSettings = field(default_factory=CapSettings)  # loa.yaml `cap` (issue 16)
    messaging: list[MessagingDestination] = field(default_factory=list)  # loa.yaml `messaging`

    @property
    def tz(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def home(self) -> Path:
        return self.env.home.resolve()

    @property
    def layout(self):
        """Where files live under LOA_HOME (loa/layout.py)."""
        from loa.layout import Layout

        return Layout(self.home)

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

    @cached_property
    def boards(self):
        """config/boards.yaml: board profiles, the board page's broker URL (loa.board_protocol)."""
        from loa.board_protocol import load_board_settings

        return load_board_settings(self.config_dir / "boards.yaml")

    def feeds_for(self, urls: list[str] | None) -> list[Feed]:
        """The configured feeds, or the given URLs (a configured one keeps its name and area;
        an unknown one targets the province)."""
        if not urls:
            return list(self.feeds)
        known = {f.url: f for f in self.feeds}
        province = next(iter(self.areas))
        return [known.get(u, Feed(url=u, name=u, area=province)) for u in urls]

    def area_name(self, path: str) -> str:
        """An area's Vietnamese name ("xã Hòa An"); a grouping's name; the path itself when unknown."""
        area = self.areas.get(path) or self.map_area(path)
        if area:
            return area.name
        return self.groupings[path].name if path in self.groupings else path

    def area_code(self, path: str) -> int | None:
        """The official code of an area path; None for a path not on the served province's map."""
        area = self.areas.get(path) or self.map_area(path)
        return area.code if area else None

    @property
    def province(self) -> Area:
        return next(iter(self.areas.values()))

    def map_area(self, path: str) -> Area | None:
        """Any unit of the served province by path, in use or not (a migrated notice may name one)."""
        if path in self.areas:
            return self.areas[path]
        head, _, slug = path.partition("/")
        if self.area_map is None or head != self.province.path or not slug or "/" in slug:
            return None
        unit = next((c for c in self.area_map.communes if c.slug == slug), None)
        return Area(path, unit.label, unit.code, unit.kind) if unit else None

    def expand(self, paths) -> list[str]:
        """Area paths with each grouping slug replaced by its communes, in order, without repeats."""
        out: list[str] = []
        for p in paths:
            for q in self.groupings[p].communes if p in self.groupings else (p,):
                if q not in out:
                    out.append(q)
        return out

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
    cfg.operations = _load_operations(_get(data, "operations", dict, file, "", {}), file)


def _load_operations(ops: dict, file: Path) -> OperationsSettings:
    block = _get(ops, "notification_block", str, file, "operations.", "").strip()
    if block and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", block):
        raise ConfigError(
            str(file),
            "operations.notification_block",
            f"{block!r} is not a Prefect block name (lowercase letters, digits and dashes)",
        )
    values = {}
    for key, low, high in (
        ("draft_waiting_hours", 0.01, 24 * 30),
        ("feed_failing_hours", 1, 24 * 30),
        ("board_offline_minutes", 1, 24 * 60),
    ):
        value = float(_get(ops, key, (int, float), file, "operations.", getattr(OperationsSettings(), key)))
        if not low <= value <= high:
            raise ConfigError(str(file), f"operations.{key}", f"{value:g} is outside {low:g}–{high:g}")
        values[key] = value
    publishes = _get(ops, "broker_publishes", int, file, "operations.", OperationsSettings().broker_publishes)
    if not 1 <= publishes <= 1000:
        raise ConfigError(str(file), "operations.broker_publishes", f"{publishes} is outside 1–1000")
    return OperationsSettings(block, **values, broker_publishes=publishes)


def _load_areas(cfg: Config, file: Path) -> None:
    """areas.yaml: the province served on the 2025 map, the communes in use, operator groupings."""
    from loa import areamap

    data = _read_yaml(file)
    if "areas" in data and "province" not in data:
        raise ConfigError(
            str(file),
            "areas",
            "is the pre-2025 province → district → commune tree; since "
            "1 July 2025 write `province:` and `communes:` (see the shipped config/areas.yaml)",
        )
    key = _get(data, "province", (str, int), file, "")
    found = areamap.province(key)
    if found is None:
        near = areamap.suggest_province(key)
        hint = f"; did you mean {near.unit.name!r} ({near.unit.code})?" if near else "; `loa areas --all` lists them"
        raise ConfigError(str(file), "province", f"{key!r} is not one of the 34 provinces of the 2025 map{hint}")
    cfg.area_map = found
    root = found.unit.slug
    cfg.areas[root] = Area(root, found.unit.label, found.unit.code, found.unit.kind)
    listed = _get(data, "communes", (list, type(None)), file, "", None)
    units = (
        found.communes
        if listed is None
        else [_commune(found, item, file, f"communes[{i}]") for i, item in enumerate(listed)]
    )
    for unit in units:
        path = f"{root}/{unit.slug}"
        if path in cfg.areas:
            raise ConfigError(str(file), "communes", f"{unit.label} ({unit.code}) is listed twice")
        cfg.areas[path] = Area(path, unit.label, unit.code, unit.kind)
    for i, item in enumerate(_get(data, "groupings", (list, type(None)), file, "", None) or []):
        where = f"groupings[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(str(file), where, "must be a mapping with slug, name and communes")
        slug = _get(item, "slug", str, file, where + ".")
        if not SLUG.match(slug) or slug in cfg.groupings or f"{root}/{slug}" in cfg.areas or slug == root:
            raise ConfigError(
                str(file),
                where + ".slug",
                f"{slug!r} must be a unique lowercase ASCII slug, not a commune's or the province's",
            )
        members = []
        for k, c in enumerate(_get(item, "communes", list, file, where + ".")):
            unit = _commune(found, c, file, f"{where}.communes[{k}]")
            path = f"{root}/{unit.slug}"
            if path not in cfg.areas:
                raise ConfigError(
                    str(file),
                    f"{where}.communes[{k}]",
                    f"{unit.label} ({unit.code}) is not in `communes`; add it there first",
                )
            members.append(path)
        if not members:
            raise ConfigError(str(file), where + ".communes", "is empty; a grouping lists at least one commune")
        cfg.groupings[slug] = Grouping(slug, _get(item, "name", str, file, where + "."), tuple(members))


def _commune(province, item: Any, file: Path, key: str):
    """A commune of the province by official code, name or slug; unknown ones are refused with a suggestion."""
    if not isinstance(item, (str, int)) or isinstance(item, bool):
        raise ConfigError(str(file), key, f"{item!r} is not a commune's official code, name or slug")
    unit = province.commune(item)
    if unit is None:
        near = province.suggest(item)
        hint = (
            f"; did you mean {near.name!r} ({near.code}, slug {near.slug})?"
            if near
            else "; `loa areas --all` lists every commune with its code"
        )
        raise ConfigError(str(file), key, f"{item!r} is not a commune of {province.unit.label} on the 2025 map{hint}")
    return unit


def _check_area(cfg: Config, path: str, file: Path, key: str) -> str:
    if path in cfg.areas:
        return path
    on_map = cfg.map_area(path)
    if on_map:
        why = f"{on_map.name} ({on_map.code}) is not among the communes in use; add it to `communes` in areas.yaml"
    else:
        from loa.area_migration import old_path_hint

        hint = old_path_hint(path, cfg)
        why = f"area {path!r} is not in areas.yaml" + (f"; {hint}" if hint else "")
    raise ConfigError(str(file), key, why)


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
            url = (file.parent / url[len("file://") :]).resolve().as_uri()
        name = _get(item, "name", str, file, where, url)
        area = _get(item, "area", str, file, where)
        if area not in cfg.groupings:  # a feed may target an operator's grouping: each of its communes
            _check_area(cfg, area, file, where + "area")
        fetch_article = _get(item, "fetch_article", str, file, where, "auto")
        if fetch_article not in FETCH_ARTICLE:
            raise ConfigError(
                str(file), where + "fetch_article", f"{fetch_article!r} must be one of {', '.join(FETCH_ARTICLE)}"
            )
        kind = _get(item, "kind", str, file, where, "rss")
        if kind not in ("rss", "cap"):
            raise ConfigError(
                str(file), where + "kind", f"{kind!r} is not a feed kind: rss (documents) or cap (CAP alerts)"
            )
        cfg.feeds.append(Feed(url=url, name=name, area=area, fetch_article=fetch_article, kind=kind))


def _named_items(data: dict, key: str, file: Path, needs: str):
    """(where, item, name) for each mapping of the list `key`, each with a unique slug `name`."""
    names: set[str] = set()
    for i, item in enumerate(_get(data, key, list, file, "", []) or []):
        where = f"{key}[{i}]."
        if not isinstance(item, dict):
            raise ConfigError(str(file), f"{key}[{i}]", f"must be a mapping with {needs}")
        name = _get(item, "name", str, file, where)
        if not SLUG.match(name) or name in names:
            raise ConfigError(str(file), where + "name", f"{name!r} must be a unique lowercase ASCII slug")
        names.add(name)
        yield where, item, name


def _load_publishing(cfg: Config, file: Path) -> None:
    """loa.yaml's timezone, print and webhooks (after areas.yaml: webhook areas must exist)."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    data = _read_yaml(file)
    cfg.timezone = _get(data, "timezone", str, file, "", cfg.timezone)
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            str(file), "timezone", f"{cfg.timezone!r} is not a time zone like 'Asia/Ho_Chi_Minh'"
        ) from None
    pr = _get(data, "print", dict, file, "", {})
    weekday = _get(pr, "weekday", int, file, "print.", 1)
    if not 1 <= weekday <= 7:
        raise ConfigError(str(file), "print.weekday", f"{weekday} is not an ISO weekday (1 = Monday … 7 = Sunday)")
    at = _get(pr, "time", str, file, "print.", "06:00")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise ConfigError(str(file), "print.time", f"{at!r} is not a time like '06:00'")
    size = _get(pr, "font_size_pt", int, file, "print.", 16)
    if not 10 <= size <= 40:
        raise ConfigError(str(file), "print.font_size_pt", f"{size} is outside 10–40 pt")
    cfg.print = PrintSettings(weekday, at, size)
    for where, item, name in _named_items(data, "webhooks", file, "name, url and secret or secret_env"):
        url = _get(item, "url", str, file, where)
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(str(file), where + "url", f"{url!r} must be an http:// or https:// URL")
        if "secret_env" in item:
            var = _get(item, "secret_env", str, file, where)
            secret = os.environ.get(var, "")
            if not secret:
                raise ConfigError(str(file), where + "secret_env", f"environment variable {var} is not set")
        else:
            secret = _get(item, "secret", str, file, where)
        if len(secret) < 16:
            raise ConfigError(
                str(file),
                where + ("secret_env" if "secret_env" in item else "secret"),
                "is shorter than 16 characters; use a long random secret",
            )
        areas = tuple(_check_area(cfg, a, file, f"{where}areas") for a in _get(item, "areas", list, file, where, []))
        timeout = float(_get(item, "timeout", (int, float), file, where, 10.0))
        attempts = _get(item, "attempts", int, file, where, 3)
        if timeout <= 0 or not 1 <= attempts <= 10:
            raise ConfigError(
                str(file),
                where + ("timeout" if timeout <= 0 else "attempts"),
                "timeout must be positive and attempts between 1 and 10",
            )
        cfg.webhooks.append(WebhookTarget(name, url, secret, areas, timeout, attempts))


_VOICE = re.compile(r"^(vi|vi-vn-x-central|vi-vn-x-south)(\+[a-z0-9]+)?$")
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@overload
def _number(data: dict, key: str, file: Path, where: str, default: float, low: float, high: float) -> float: ...
@overload
def _number(
    data: dict, key: str, file: Path, where: str, default: float, low: float, high: float, kind: type[int]
) -> int: ...
def _number(
    data: dict, key: str, file: Path, where: str, default: float, low: float, high: float, kind: type = float
) -> float:
    value = _get(data, key, int if kind is int else (int, float), file, where, default)
    if not low <= value <= high:
        raise ConfigError(str(file), where + key, f"{value!r} is outside {low:g}..{high:g}")
    return kind(value)


def _slots(items: object, file: Path, where: str) -> tuple[Slot, ...]:
    if not isinstance(items, list):
        raise ConfigError(
            str(file), where + "slots", f"{items!r} is not a list of slots like {{time: '06:00', max_minutes: 20}}"
        )
    slots: dict[str, Slot] = {}
    for k, item in enumerate(items):
        here = f"{where}slots[{k}]."
        if not isinstance(item, dict):
            raise ConfigError(str(file), here[:-1], "must be a mapping with time, max_minutes and optional days")
        at = str(_get(item, "time", str, file, here))
        if not _HHMM.match(at):
            raise ConfigError(str(file), here + "time", f"{at!r} is not a time like '06:00'")
        if at in slots:
            raise ConfigError(str(file), here + "time", f"{at!r} is listed twice")
        days = []
        for day in _get(item, "days", list, file, here, list(_DAYS)):
            number = _DAYS.get(str(day).lower()[:3]) if isinstance(day, str) else day
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 7:
                raise ConfigError(str(file), here + "days", f"{day!r} is not a day (mon..sun or 1..7)")
            days.append(number)
        if not days:
            raise ConfigError(str(file), here + "days", "is empty; list the days it airs (mon..sun)")
        slots[at] = Slot(at, _number(item, "max_minutes", file, here, 30, 1, 240), tuple(sorted(set(days))))
    if not slots:
        raise ConfigError(
            str(file),
            where + "slots",
            "lists no slot; a station airs at least one, e.g. {time: '06:00', max_minutes: 20}",
        )
    return tuple(sorted(slots.values(), key=lambda sl: sl.time))


def _engine(item: dict, base: Station, file: Path, where: str) -> tuple[str, ...]:
    """`engine: espeak-ng` (built in) or `engine: {command: [program, arg, ...]}`, checked now
    (shape, placeholders, program found) so a bad voice fails at start, not at the first notice."""
    engine = item.get("engine", ...)
    if engine is ...:
        return base.voice_command
    if engine == "espeak-ng":
        return ()
    if not isinstance(engine, dict) or set(engine) != {"command"}:
        raise ConfigError(
            str(file), where + "engine", f"{engine!r} is not espeak-ng or {{command: [program, arg, ...]}}"
        )
    command = engine["command"]
    problem = voice_command_problem(command)
    if problem:
        raise ConfigError(str(file), where + "engine.command", problem)
    return tuple(command)


def _station(cfg: Config, item: dict, base: Station, file: Path, where: str, **fixed) -> Station:
    """A station's settings: its own keys over stations.yaml `defaults` (`base`)."""
    values = dict(fixed)
    voice = _get(item, "voice", str, file, where, base.voice)
    if not _VOICE.match(voice):
        raise ConfigError(
            str(file),
            where + "voice",
            f"{voice!r} is not a Vietnamese espeak-ng voice "
            "(vi, vi-vn-x-central or vi-vn-x-south, optionally +variant)",
        )
    langs = _get(item, "languages", list, file, where, list(base.languages))
    for lang in langs:
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,8}", lang) or langs.count(lang) > 1:
            raise ConfigError(
                str(file), where + "languages", f"{lang!r} is not a unique language code like vi, tay, nung, hmn"
            )
    for key in ("intro", "outro"):
        jingle = _get(item, key, (str, type(None)), file, where, None)
        path = (file.parent / jingle).resolve() if jingle else getattr(base, key)
        if path is not None and not path.is_file():
            raise ConfigError(
                str(file), where + key, f"jingle {jingle!r} not found (paths are relative to {file.parent})"
            )
        values[key] = path
    return Station(
        **values,
        voice=voice,
        languages=tuple(langs),
        voice_command=_engine(item, base, file, where),
        programme=_programme(item, base.programme, file, where),
        rate=_number(item, "rate", file, where, base.rate, 80, 450, int),
        pitch=_number(item, "pitch", file, where, base.pitch, 0, 99, int),
        loudness_lufs=_number(item, "loudness_lufs", file, where, base.loudness_lufs, -40, -5),
        true_peak_db=_number(item, "true_peak_db", file, where, base.true_peak_db, -20, 0),
        lead_silence=_number(item, "lead_silence", file, where, base.lead_silence, 0, 30),
        tail_silence=_number(item, "tail_silence", file, where, base.tail_silence, 0, 30),
        slots=_slots(item["slots"], file, where) if "slots" in item else base.slots,
        airings=_number(item, "airings", file, where, base.airings, 1, 100, int),
        over_days=_number(item, "over_days", file, where, base.over_days, 1, 90, int),
    )


def _programme(item: dict, base: Wording, file: Path, where: str) -> Wording:
    """A station's `programme` wording over its defaults': each key a sentence with {station}, {office}, {area}."""
    raw = _get(item, "programme", dict, file, where, {})
    known = set(Wording.__dataclass_fields__)
    values = {}
    for key, text in raw.items():
        if key not in known:
            raise ConfigError(
                str(file), f"{where}programme.{key}", f"is not a programme key; use one of {', '.join(sorted(known))}"
            )
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(str(file), f"{where}programme.{key}", "must be a non-empty sentence")
        if key != "office" and (why := check_template(text)):
            raise ConfigError(str(file), f"{where}programme.{key}", why)
        values[key] = " ".join(text.split())
    return replace(base, **values) if values else base


def _load_stations(cfg: Config, file: Path) -> None:
    data = _read_yaml(file)
    defaults = _get(data, "defaults", dict, file, "", {})
    base = _station(cfg, defaults, RadioSettings().defaults, file, "defaults.", id="defaults", area="", name="defaults")
    cfg.radio = RadioSettings(_number(data, "build_minutes_before", file, "", 5, 1, 120, int), base)
    for i, item in enumerate(_get(data, "stations", list, file, "", [])):
        where = f"stations[{i}]."
        if not isinstance(item, dict):
            raise ConfigError(str(file), f"stations[{i}]", "must be a mapping with id, name, area and languages")
        sid = _get(item, "id", str, file, where)
        if not SLUG.match(sid):
            raise ConfigError(str(file), where + "id", f"{sid!r} is not a lowercase ASCII slug")
        if any(s.id == sid for s in cfg.stations):
            raise ConfigError(str(file), where + "id", f"{sid!r} is listed twice")
        area = _check_area(cfg, _get(item, "area", str, file, where), file, where + "area")
        station = _station(
            cfg,
            item,
            base,
            file,
            where,
            id=sid,
            area=area,
            area_code=cfg.area_code(area),
            name=_get(item, "name", str, file, where, sid),
        )
        if not station.slots:
            raise ConfigError(
                str(file),
                where + "slots",
                "is missing, and `defaults` has none: list the daily slots, e.g. [{time: '06:00', max_minutes: 20}]",
            )
        cfg.stations.append(station)


def load_config(env: Env | None = None) -> Config:
    """Read and validate every config file; raise ConfigError on the first bad value."""
    env = env or Env()
    cfg = Config(env=env)
    folder = env.config_dir
    _load_main(cfg, folder / "loa.yaml")
    _load_areas(cfg, folder / "areas.yaml")
    _load_publishing(cfg, folder / "loa.yaml")
    _load_feeds(cfg, folder / "feeds.yaml")
    _load_stations(cfg, folder / "stations.yaml")
    _load_alerting(cfg, folder / "loa.yaml")
    if env.mqtt_url:
        MqttURL.parse(env.mqtt_url)  # fail at start, not at the first dispatch
    cfg.boards  # noqa: B018  (validates boards.yaml at start)
    return cfg


# --- CAP and messaging (issue 16): loa.yaml `cap` and `messaging` ----------------------------------


@dataclass(frozen=True)
class MessagingDestination:
    """Subscribers of some areas reached through one apprise URL (channels/messaging.py)."""

    name: str
    kind: str  # "sms" | "chat" | "email": which message template it gets
    url: str = field(repr=False)  # an apprise URL with its secrets (from the environment); never printed
    areas: tuple[str, ...] = ()  # notices for these areas (or above/below them); empty: all
    priorities: tuple[str, ...] = ("normal", "priority", "emergency")
    segments: int = 1  # sms: at most this many segments (70 UCS-2 characters in one, 67 each when more)
    unaccented: bool = False  # sms: Vietnamese without diacritics (GSM-7: 160 characters, 153 each when more)
    attempts: int = 3

    def masked(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "url": mask_url(self.url),
            "areas": list(self.areas),
            "priorities": list(self.priorities),
            "segments": self.segments,
            "unaccented": self.unaccented,
        }


def mask_url(url: str) -> str:
    """scheme://host/… with credentials, path and query replaced by ***. Only a real host name or address
    is shown: in many apprise URLs (tgram://<bot token>/…) the "host" is itself a secret."""
    scheme, _, rest = url.partition("://")
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    path = rest[len(netloc) :]
    userinfo, at, host = netloc.rpartition("@")
    public = re.fullmatch(
        r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?|\d+\.\d+\.\d+\.\d+(?::\d+)?|localhost(?::\d+)?", host
    )
    return (
        f"{scheme}://{'***@' if at else ''}{host if public else '***'}"
        + ("/***" if path.split("?")[0].strip("/") else "")
        + ("?***" if "?" in path else "")
    )


_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def _expand_env(value: str, file: Path, key: str) -> str:
    """${VAR} from the environment (secrets stay out of loa.yaml); a missing one stops start-up."""
    import os

    def one(match: re.Match) -> str:
        found = os.environ.get(match.group(1))
        if not found:
            raise ConfigError(str(file), key, f"environment variable {match.group(1)} is not set")
        return found

    return _ENV_REF.sub(one, value)


def _load_alerting(cfg: Config, file: Path) -> None:
    data = _read_yaml(file)
    cap = _get(data, "cap", dict, file, "", {})
    host = urlsplit(cfg.site_url).hostname or "localhost"
    sender = _get(cap, "sender", str, file, "cap.", f"loa@{host}")
    if not re.fullmatch(r"[^\s,<&]+", sender):
        raise ConfigError(str(file), "cap.sender", f"{sender!r} must have no spaces, commas, < or & (CAP 1.2)")
    prefix = _get(cap, "identifier_prefix", str, file, "cap.", f"vn.{host}")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", prefix):
        raise ConfigError(str(file), "cap.identifier_prefix", f"{prefix!r}: use letters, digits, dots and dashes")
    cfg.cap = CapSettings(
        sender=sender,
        sender_name=_get(cap, "sender_name", str, file, "cap.", cfg.site_title),
        contact=_get(cap, "contact", str, file, "cap.", ""),
        identifier_prefix=prefix,
    )
    for where, item, name in _named_items(data, "messaging", file, "name, kind, url and areas"):
        kind = _get(item, "kind", str, file, where)
        if kind not in ("sms", "chat", "email"):
            raise ConfigError(str(file), where + "kind", f"{kind!r} is not sms, chat or email")
        url = _expand_env(_get(item, "url", str, file, where), file, where + "url")
        import apprise

        if apprise.Apprise.instantiate(url) is None:
            raise ConfigError(
                str(file),
                where + "url",
                f"{mask_url(url)} is not a URL apprise can send to (see https://github.com/caronc/apprise/wiki)",
            )
        areas = tuple(_check_area(cfg, a, file, where + "areas") for a in _get(item, "areas", list, file, where, []))
        priorities = tuple(_get(item, "priorities", list, file, where, ["normal", "priority", "emergency"]))
        bad = [p for p in priorities if p not in ("normal", "priority", "emergency")]
        if bad or not priorities:
            raise ConfigError(
                str(file), where + "priorities", f"{bad or priorities!r}: list normal, priority, emergency"
            )
        segments = _number(item, "segments", file, where, 1, 1, 10, int)
        unaccented = _get(item, "unaccented", bool, file, where, False)
        attempts = _number(item, "attempts", file, where, 3, 1, 10, int)
        cfg.messaging.append(MessagingDestination(name, kind, url, areas, priorities, segments, unaccented, attempts))
