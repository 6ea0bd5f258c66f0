"""boards.yaml: board profiles (what each kind of board can show) and where board pages connect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from loa.board_protocol import BOARD_TEMPLATES, WS_URL, BoardProfile, BoardSettings
from loa.config.files import FileModel, Slug, between, matching, read_yaml, validate
from loa.errors import ConfigError


def ws_url(url: str) -> str:
    if not WS_URL.match(url):
        raise ValueError(f"{url!r} must be a ws:// or wss:// URL without credentials")
    return url


class ProfileFile(FileModel):
    id: Slug
    name: str | None = Field(None, min_length=1)
    width: Annotated[int, between(10, 1000, "{} is not between 10 and 1000 characters")]  # characters a line
    lines: Annotated[int, between(1, 100, "{} is not between 1 and 100 lines")]
    template: Annotated[str, matching(r"[a-z0-9_-]+\.txt", "{} is not a template file name like panel.txt")] | None = (
        None
    )


class BoardsFile(FileModel):
    profiles: list[ProfileFile] = Field(min_length=1)
    default_profile: str | None = None
    broker_ws_url: str = ""  # empty: Loa's relay at /mqtt on the web server
    allowed_broker_urls: list[str] | None = None
    relay_max_per_address: Annotated[int, between(1, 10000)] = 16  # WebSocket connections from one address
    rotate_seconds: Annotated[int, between(3, 600)] = 12
    health_interval_minutes: Annotated[int, between(1, 24 * 60)] = 15

    @field_validator("broker_ws_url")
    @classmethod
    def _broker(cls, url: str) -> str:
        return ws_url(url) if url else url

    @field_validator("allowed_broker_urls")
    @classmethod
    def _allowed(cls, urls: list[str] | None) -> list[str] | None:
        for url in urls or []:
            ws_url(url)
        return urls


def load_boards(file: Path, templates: Path = BOARD_TEMPLATES) -> BoardSettings:
    spec = validate(BoardsFile, read_yaml(file), file)
    profiles: list[BoardProfile] = []
    for i, p in enumerate(spec.profiles):
        if any(q.id == p.id for q in profiles):
            raise ConfigError(str(file), f"profiles[{i}].id", f"{p.id!r} is listed twice")
        template = p.template or ("ticker.txt" if p.lines == 1 else "panel.txt")
        if not (templates / template).is_file():
            raise ConfigError(
                str(file),
                f"profiles[{i}].template",
                f"{template!r} is no template in {templates} (name a .txt file there, e.g. panel.txt or ticker.txt)",
            )
        profiles.append(BoardProfile(p.id, p.name or p.id, p.width, p.lines, template))
    ids = [p.id for p in profiles]
    if spec.default_profile is not None and spec.default_profile not in ids:
        raise ConfigError(
            str(file), "default_profile", f"{spec.default_profile!r} is not one of the profiles ({', '.join(ids)})"
        )
    return BoardSettings(
        tuple(profiles),
        spec.broker_ws_url,
        spec.rotate_seconds,
        spec.health_interval_minutes,
        spec.default_profile or profiles[-1].id,
        tuple(spec.allowed_broker_urls or ()),
        spec.relay_max_per_address,
    )
