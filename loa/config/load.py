"""`load_config`: every file of the config folder read once, validated, and built into one frozen Config."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from loa.cap.build import CapSettings
from loa.config.areas import AreaBook, load_areas
from loa.config.boards import load_boards
from loa.config.env import Env, MqttURL
from loa.config.feeds import load_feeds
from loa.config.files import read_yaml, validate
from loa.config.lexicon import load_lexicon
from loa.config.main import LoaFile, MessagingDestination, WebhookTarget, expand_env, mask_url
from loa.config.model import Config
from loa.config.mosquitto import check_mosquitto
from loa.config.relevance import load_relevance
from loa.config.stations import load_stations
from loa.errors import ConfigError


def load_config(env: Env | None = None) -> Config:
    """Read and validate every config file; raise ConfigError (one line: file, key, problem) on the first
    bad value. Reads files only: nothing is created (see ensure_secrets)."""
    env = env or Env()
    folder = env.config_dir
    if not folder.is_dir():
        raise ConfigError(str(folder), "(folder)", "not found; set LOA_CONFIG_DIR to a folder like loa/defaults/config")
    main_file = folder / "loa.yaml"
    main = validate(LoaFile, read_yaml(main_file), main_file)
    book = load_areas(folder / "areas.yaml")
    radio, stations = load_stations(folder / "stations.yaml", book)
    if env.mqtt_url:
        MqttURL.parse(env.mqtt_url)  # fail at start, not at the first dispatch
    if env.mqtt_monitor_url:
        MqttURL.parse(env.mqtt_monitor_url, "LOA_MQTT_MONITOR_URL")
    else:  # the embedded broker `loa run` starts from these files
        check_mosquitto(folder / "mosquitto")
    return Config.model_construct(
        env=env,
        site_title=main.site_title,
        site_url=main.site_url,
        bind_host=main.bind_host,
        ports=main.ports,
        ingest_interval_minutes=main.ingest_interval_minutes,
        runner_poll_seconds=main.runner_poll_seconds,
        board_max_chars=main.board_max_chars,
        timezone=main.timezone,
        print=main.print,
        operations=main.operations,
        webhooks=_webhooks(main, book, main_file),
        cap=_cap(main),
        messaging=_messaging(main, book, main_file),
        areas=book.areas,
        groupings=book.groupings,
        area_map=book.area_map,
        feeds=load_feeds(folder / "feeds.yaml", book),
        radio=radio,
        stations=stations,
        boards=load_boards(folder / "boards.yaml"),
        relevance=load_relevance(folder / "relevance.yaml"),
        lexicon=load_lexicon(folder / "lexicon.yaml"),
    )


def _unique_names(items: list, key: str, file: Path) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.name in seen:
            raise ConfigError(str(file), f"{key}[{i}].name", f"{item.name!r} is listed twice; names are unique")
        seen.add(item.name)


def _webhooks(main: LoaFile, book: AreaBook, file: Path) -> tuple[WebhookTarget, ...]:
    import os

    items = main.webhooks or []
    _unique_names(items, "webhooks", file)
    out = []
    for i, item in enumerate(items):
        where = f"webhooks[{i}]."
        if (item.secret is None) == (item.secret_env is None):
            raise ConfigError(str(file), where + "secret", "give either secret or secret_env (the variable holding it)")
        if item.secret_env is not None:
            secret = os.environ.get(item.secret_env, "")
            if not secret:
                raise ConfigError(str(file), where + "secret_env", f"environment variable {item.secret_env} is not set")
        else:
            secret = item.secret or ""
        if len(secret) < 16:
            raise ConfigError(
                str(file),
                where + ("secret_env" if item.secret_env else "secret"),
                "is shorter than 16 characters; use a long random secret",
            )
        areas = tuple(book.check(a, file, where + "areas") for a in item.areas)
        out.append(WebhookTarget(item.name, item.url, secret, areas, item.timeout, item.attempts))
    return tuple(out)


def _cap(main: LoaFile) -> CapSettings:
    host = urlsplit(main.site_url).hostname or "localhost"
    return CapSettings(
        sender=main.cap.sender or f"loa@{host}",
        sender_name=main.cap.sender_name or main.site_title,
        contact=main.cap.contact,
        identifier_prefix=main.cap.identifier_prefix or f"vn.{host}",
    )


def _messaging(main: LoaFile, book: AreaBook, file: Path) -> tuple[MessagingDestination, ...]:
    items = main.messaging or []
    _unique_names(items, "messaging", file)
    out = []
    for i, item in enumerate(items):
        where = f"messaging[{i}]."
        try:
            url = expand_env(item.url)
        except ValueError as exc:
            raise ConfigError(str(file), where + "url", str(exc)) from None
        import apprise  # slow to import: only when messaging is configured

        if apprise.Apprise.instantiate(url) is None:
            raise ConfigError(
                str(file),
                where + "url",
                f"{mask_url(url)} is not a URL apprise can send to (see https://github.com/caronc/apprise/wiki)",
            )
        areas = tuple(book.check(a, file, where + "areas") for a in item.areas)
        out.append(
            MessagingDestination(
                item.name,
                item.kind,
                url,
                areas,
                tuple(item.priorities),
                item.segments,
                item.unaccented,
                item.attempts,
            )
        )
    return tuple(out)
