"""The loaded configuration: one frozen object built by `load_config` from every file of the config folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from loa.board_protocol import BoardSettings
from loa.cap.build import CapSettings
from loa.config.areas import Area, AreaBook, Grouping
from loa.config.env import Env, MqttURL, embedded_password
from loa.config.feeds import Feed
from loa.config.main import MessagingDestination, OperationsSettings, Ports, PrintSettings, WebhookTarget
from loa.config.stations import RadioSettings, Station
from loa.ingest.classify import RelevanceRules
from loa.speech.readaloud import Lexicon

if TYPE_CHECKING:
    from loa.layout import Layout


class Config(BaseModel):
    """Everything Loa reads at start. Build it with `load_config()`; derive a variant (tests) with
    `cfg.model_copy(update={...})`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    env: Env = Field(default_factory=Env)
    site_title: str = "Loa"
    site_url: str = "http://127.0.0.1:8080"
    bind_host: str = "127.0.0.1"
    ports: Ports = Ports()
    ingest_interval_minutes: int = 5
    runner_poll_seconds: float = 1.0
    board_max_chars: int = 600
    feeds: tuple[Feed, ...] = ()
    areas: dict[str, Area] = {}  # the province first, then the communes in use
    groupings: dict[str, Grouping] = {}
    area_map: Any = Field(None, repr=False)  # loa.areamap.Province: every commune of the served province
    stations: tuple[Station, ...] = ()
    radio: RadioSettings = RadioSettings()
    mqtt_topic_prefix: str = "loa/v1"
    timezone: str = "Asia/Ho_Chi_Minh"  # dates on the website and in printed bulletins
    webhooks: tuple[WebhookTarget, ...] = ()
    print: PrintSettings = PrintSettings()
    operations: OperationsSettings = OperationsSettings()
    cap: CapSettings = CapSettings()  # loa.yaml `cap` (issue 16)
    messaging: tuple[MessagingDestination, ...] = ()  # loa.yaml `messaging`
    boards: BoardSettings  # boards.yaml: profiles, the board page's broker URLs
    relevance: RelevanceRules = Field(repr=False)  # relevance.yaml
    lexicon: Lexicon = Field(repr=False)  # lexicon.yaml

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def home(self) -> Path:
        return self.env.home.resolve()

    @property
    def layout(self) -> Layout:
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
        """The broker: LOA_MQTT_URL, else the embedded one `loa run` starts (its password made at start by
        loa.config.ensure_secrets)."""
        if self.env.mqtt_url:
            return MqttURL.parse(self.env.mqtt_url)
        return MqttURL(self.bind_host, self.ports.mqtt, "loa-publisher", embedded_password(self.home))

    @property
    def mqtt_monitor(self) -> MqttURL:
        """Read-only access for watchers: LOA_MQTT_MONITOR_URL, else LOA_MQTT_URL, else the embedded monitor."""
        url = self.env.mqtt_monitor_url or self.env.mqtt_url
        if url:
            return MqttURL.parse(url, "LOA_MQTT_MONITOR_URL" if self.env.mqtt_monitor_url else "LOA_MQTT_URL")
        return MqttURL(self.bind_host, self.ports.mqtt, "loa-monitor", embedded_password(self.home, "loa-monitor"))

    @property
    def book(self) -> AreaBook:
        return AreaBook(self.areas, self.groupings, self.area_map)

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
        area = self.map_area(path)
        if area:
            return area.name
        return self.groupings[path].name if path in self.groupings else path

    def area_code(self, path: str) -> int | None:
        """The official code of an area path; None for a path not on the served province's map."""
        return self.book.area_code(path)

    @property
    def province(self) -> Area:
        return next(iter(self.areas.values()))

    def map_area(self, path: str) -> Area | None:
        """Any unit of the served province by path, in use or not (a migrated notice may name one)."""
        return self.book.map_area(path)

    def expand(self, paths: Any) -> list[str]:
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
