"""boards.yaml: board profiles (what each kind of board can show) and where board pages connect."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from loa.board_protocol import BOARD_TEMPLATES, WS_URL, BoardProfile, BoardSettings
from loa.config.files import FileModel, read_yaml, validate
from loa.config.main import Slug
from loa.errors import ConfigError

def ws_url(url: str) -> str:
    if not WS_URL.match(url):
        raise ValueError(f"{url!r} must be a ws:// or wss:// URL without credentials")
    return url


class ProfileFile(FileModel):
    id: Slug
    name: str | None = Field(None, min_length=1)
    width: int = Field(ge=10, le=1000)  # characters a line
    lines: int = Field(ge=1, le=100)
    template: str | None = Field(None, pattern=r"^[a-z0-9_-]+\.txt$")


class BoardsFile(FileModel):
    profiles: list[ProfileFile] = Field(min_length=1)
    default_profile: str | None = None
    broker_ws_url: str = ""  # empty: Loa's relay at /mqtt on the web server
    allowed_broker_urls: list[str] | None = None
    relay_max_per_address: int = Field(16, ge=1, le=10000)
    rotate_seconds: int = Field(12, ge=3, le=600)
    health_interval_minutes: int = Field(15, ge=1, le=24 * 60)

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

    @model_validator(mode="after")
    def _unique(self) -> BoardsFile:
        ids = [p.id for p in self.profiles]
        twice = next((i for i in ids if ids.count(i) > 1), None)
        if twice:
            raise ValueError(f"profile id {twice!r} is listed twice")
        if self.default_profile is not None and self.default_profile not in ids:
            raise ValueError(f"default_profile {self.default_profile!r} is not one of the profiles ({', '.join(ids)})")
        return self


def load_boards(file: Path, templates: Path = BOARD_TEMPLATES) -> BoardSettings:
    spec = validate(BoardsFile, read_yaml(file), file)
    profiles = []
    for i, p in enumerate(spec.profiles):
        template = p.template or ("ticker.txt" if p.lines == 1 else "panel.txt")
        if not (templates / template).is_file():
            raise ConfigError(
                str(file),
                f"profiles[{i}].template",
                f"{template!r} is no template in {templates} (name a .txt file there, e.g. panel.txt or ticker.txt)",
            )
        profiles.append(BoardProfile(p.id, p.name or p.id, p.width, p.lines, template))
    return BoardSettings(
        tuple(profiles),
        spec.broker_ws_url,
        spec.rotate_seconds,
        spec.health_interval_minutes,
        spec.default_profile or profiles[-1].id,
        tuple(spec.allowed_broker_urls or ()),
        spec.relay_max_per_address,
    )

