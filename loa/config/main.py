"""loa.yaml: the site, ports, schedule, print, webhooks, operations, CAP and messaging."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from loa.config.files import FileModel, Slug, Time, between, matching, one_of

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
Port = Annotated[int, between(1, 65535, "{} is not a TCP port (1–65535)")]


def http_url(url: str) -> str:
    """Only http(s) URLs with a host: a site URL ends up in pages, feeds and boards' links."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise ValueError(f"{url!r} must be an http:// or https:// URL with a host, e.g. https://cchc.caobang.gov.vn")
    if parts.username or parts.password:
        raise ValueError(f"{parts.scheme}://***@{parts.hostname}: put no credentials in the URL")
    return url


class Ports(FileModel):
    prefect: Port = 4200
    web: Port = 8080
    mqtt: Port = 1884


class PrintSettings(FileModel):
    """The printed bulletin (channels/printed.py): when the weekly edition is made, and its type size."""

    # ISO weekday (1 = Monday) on which last week's edition is made
    weekday: Annotated[int, between(1, 7, "{} is not an ISO weekday (1 = Monday … 7 = Sunday)")] = 1
    time: Time = "06:00"  # local time, in Config.timezone
    font_size_pt: Annotated[int, between(10, 40, "{} is outside 10–40 pt")] = 16


class OperationsSettings(FileModel):
    """What Loa's Prefect automations watch for and whom they tell (flows/automations.py)."""

    # a Prefect notification block's name; empty: automations only record firing
    notification_block: Annotated[
        str,
        matching(r"|[a-z0-9]+(?:-[a-z0-9]+)*", "{} is not a Prefect block name (lowercase letters, digits and dashes)"),
    ] = ""
    draft_waiting_hours: Annotated[float, between(0.01, 24 * 30)] = 24.0
    feed_failing_hours: Annotated[float, between(1, 24 * 30)] = 24.0
    board_offline_minutes: Annotated[float, between(1, 24 * 60)] = 30.0
    # dispatch tasks publishing to the broker at once, across all workers
    broker_publishes: Annotated[int, between(1, 1000)] = 4


class WebhookFile(FileModel):
    name: Slug
    url: str
    secret: str | None = Field(None, repr=False)
    secret_env: Annotated[str, matching(r"[A-Za-z_][A-Za-z0-9_]*", "{} is not an environment variable name")] | None = (
        None
    )
    areas: list[str] = []
    timeout: Annotated[float, between(0.1, 300)] = 10.0
    attempts: Annotated[int, between(1, 10)] = 3

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return http_url(url)


class CapFile(FileModel):
    sender: Annotated[str, matching(r"[^\s,<&]+", "{} must have no spaces, commas, < or & (CAP 1.2)")] | None = None
    sender_name: str | None = None
    contact: str = ""
    identifier_prefix: (
        Annotated[str, matching(r"[A-Za-z0-9._-]+", "{}: use letters, digits, dots and dashes")] | None
    ) = None


class MessagingFile(FileModel):
    name: Slug
    kind: Annotated[str, one_of("sms", "chat", "email", problem="{} is not sms, chat or email")]
    url: str = Field(repr=False)  # an apprise URL; ${VAR} from the environment
    areas: list[str] = []
    priorities: list[
        Annotated[str, one_of("normal", "priority", "emergency", problem="{}: list normal, priority, emergency")]
    ] = Field(["normal", "priority", "emergency"], min_length=1)
    segments: Annotated[int, between(1, 10)] = 1
    unaccented: bool = False
    attempts: Annotated[int, between(1, 10)] = 3


class LoaFile(FileModel):
    """loa.yaml."""

    site_title: str = Field("Loa", min_length=1)
    site_url: str = "http://127.0.0.1:8080"
    bind_host: Annotated[str, matching(r"[A-Za-z0-9.:-]+", "{} is not a host name or address")] = "127.0.0.1"
    ports: Ports = Ports()
    ingest_interval_minutes: Annotated[int, between(1, 24 * 60, "{} must be at least 1 and at most 1440")] = 5
    runner_poll_seconds: Annotated[float, between(0.1, 300)] = 1.0  # how often flow runners look for work
    board_max_chars: Annotated[int, between(40, 100_000)] = 600  # the boards variant's length
    timezone: str = "Asia/Ho_Chi_Minh"
    print: PrintSettings = PrintSettings()
    webhooks: list[WebhookFile] | None = None
    operations: OperationsSettings = OperationsSettings()
    cap: CapFile = CapFile()
    messaging: list[MessagingFile] | None = None

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, url: str) -> str:
        return http_url(url).rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone like 'Asia/Ho_Chi_Minh'") from None
        return name


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


def expand_env(value: str) -> str:
    """${VAR} from the environment (secrets stay out of loa.yaml); a missing one is a ValueError."""

    def one(match: re.Match) -> str:
        found = os.environ.get(match.group(1))
        if not found:
            raise ValueError(f"environment variable {match.group(1)} is not set")
        return found

    return _ENV_REF.sub(one, value)
