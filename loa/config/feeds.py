"""feeds.yaml: the feeds Loa polls, each with the area its documents target by default."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from loa.config.areas import AreaBook
from loa.config.files import FileModel, one_of, read_yaml, validate

FETCH_ARTICLE = ("auto", "always", "never")
#: sample feeds shipped inside the package, named `package:<file>` in feeds.yaml
PACKAGED_FEEDS = Path(__file__).resolve().parent.parent / "defaults" / "feeds"


@dataclass(frozen=True)
class Feed:
    url: str
    name: str
    area: str  # default target of documents from this feed: an area path or a grouping slug (its communes)
    # read the linked article: "auto" when the entry's text is a summary, "always", or "never"
    fetch_article: str = "auto"
    kind: str = "rss"  # "rss" (RSS/Atom of documents) | "cap" (CAP 1.2 alerts: loa/ingest/cap_feed.py)


class FeedFile(FileModel):
    url: str
    name: str | None = Field(None, min_length=1)
    area: str
    fetch_article: Annotated[str, one_of(*FETCH_ARTICLE)] = "auto"
    kind: Annotated[str, one_of("rss", "cap", problem="{} is not a feed kind: rss (documents) or cap (CAP alerts)")] = (
        "rss"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not re.match(r"^(https?://[^/\s]+|file://|package:[\w.-]+$)", url):
            raise ValueError(
                f"{url!r} must start with http://, https:// or file:// (relative to the config folder), "
                "or be package:<file> for a sample shipped with Loa"
            )
        return url


class FeedsFile(FileModel):
    feeds: list[FeedFile]


def resolve_url(url: str, folder: Path) -> str:
    """A file:// URL relative to the config folder, or package:<file>, as an absolute file:// URL, so the
    bundled sample works wherever the config folder is and whatever the current directory."""
    if url.startswith("package:"):
        return (PACKAGED_FEEDS / url[len("package:") :]).as_uri()
    if url.startswith("file://") and not url.startswith("file:///"):
        return (folder / url[len("file://") :]).resolve().as_uri()
    return url


def load_feeds(file: Path, book: AreaBook) -> tuple[Feed, ...]:
    spec = validate(FeedsFile, read_yaml(file), file)
    feeds = []
    for i, item in enumerate(spec.feeds):
        url = resolve_url(item.url, file.parent)
        # a feed may target an operator's grouping: each of its communes
        area = book.check(item.area, file, f"feeds[{i}].area", groupings=True)
        feeds.append(Feed(url, item.name or url, area, item.fetch_article, item.kind))
    return tuple(feeds)
