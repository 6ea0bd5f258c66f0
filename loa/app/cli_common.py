"""What every `loa` command module shares: consoles, the --json option, errors, JSON output, local times,
tables that fit the terminal, and what to do next about a device's broker account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from loa.errors import LoaError

if TYPE_CHECKING:
    from loa.config import Config

out = Console()
err = Console(stderr=True)
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table or text.")


def fail(message: str | Exception) -> NoReturn:
    """Print the error (what failed, for which thing, what to do) and exit with status 1."""
    # The message is plain text (a key like `messaging[0].url` is not markup) and is never folded by
    # rich: one line whatever the terminal's width (scripts grep it; a cut path cannot be copied).
    err.print(Text.assemble(("error:", "red"), " ", str(message)), soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def _jsonable(obj):
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def print_json(data) -> None:
    out.print_json(json.dumps(data, default=_jsonable, ensure_ascii=False))


def local_time(value: datetime | None) -> str:
    """A stored time in this machine's time zone, to the second; "-" for none."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def report_account(cfg: Config, kind: str, result: dict) -> None:
    """What is left to do for a new device account: add it to another broker, start Loa's, or read its log."""
    if not result["managed_broker"]:
        err.print("[yellow]LOA_MQTT_URL names another broker: create this account there and add these ACL lines:[/]")
        out.print(result["acl"], markup=False)
    elif not result["broker_reloaded"]:
        err.print("[yellow]Loa's broker is not running; the account works once `loa run` starts it.[/]")
    elif result["broker_accepts"] is False:
        fail(f"the broker reloaded but does not accept {kind} {result['id']!r}; see {cfg.layout.mosquitto_log}")


def runtime_or_fail():
    """(config, store) for this environment, or a clean exit naming the bad config value."""
    from loa.runtime import runtime

    try:
        return runtime()
    except LoaError as exc:
        fail(exc)


@dataclass(frozen=True)
class Detail:
    """A column whose text may wrap (a reason, a list, a title); every other column is a key, never wrapped."""

    header: str


class FitTable:
    """A table that fits the terminal (80 columns is an ordinary one): keys (names, ids, states, numbers)
    stay whole on one line, details wrap, long words (URLs) fold instead of being cut with "…". When the
    keys leave the details less than MIN_DETAIL columns, each row is printed as a block instead: its first
    key on a line of its own, the other keys on the next, each detail below, wrapped and indented.
    Cells take Rich markup, as Table cells do."""

    MIN_DETAIL = 28

    def __init__(self, *columns: str | Detail, title: str | None = None):
        self.title = title
        self.headers = [c.header if isinstance(c, Detail) else c for c in columns]
        self.wraps = [isinstance(c, Detail) for c in columns]
        self.rows: list[list[str]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def _fits(self, width: int) -> bool:
        keys = [
            max([len(h)] + [Text.from_markup(r[i]).cell_len for r in self.rows])
            for i, (h, wraps) in enumerate(zip(self.headers, self.wraps))
            if not wraps
        ]
        details = sum(self.wraps)
        return sum(k + 3 for k in keys) + details * (self.MIN_DETAIL + 3) + 1 <= width  # 3: padding, border

    def __rich_console__(self, console, options):
        if self._fits(options.max_width):
            table = Table(title=self.title)
            for header, wraps in zip(self.headers, self.wraps):
                table.add_column(header, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
            for row in self.rows:
                table.add_row(*row)
            yield table
            return
        if self.title:
            yield Text(self.title, style="bold")
        for row in self.rows:
            yield Text.from_markup(row[0], style="bold", overflow="fold")
            keys = [
                Text.from_markup(f"{h} {c}")
                for h, c, w in zip(self.headers[1:], row[1:], self.wraps[1:])
                if not w and c != ""
            ]
            for line in _fill(keys, options.max_width - 2):
                yield Padding(line, (0, 0, 0, 2))
            for h, c, w in zip(self.headers[1:], row[1:], self.wraps[1:]):
                if w and c:
                    yield Padding(Text.from_markup(f"[dim]{h}:[/] {c}", overflow="fold"), (0, 0, 0, 2))


def _fill(items: list[Text], width: int) -> list[Text]:
    """Lay out "header value" pairs on lines of `width`, joined by " · ", never splitting a pair."""
    lines: list[Text] = []
    for item in items:
        if lines and lines[-1].cell_len + 3 + item.cell_len <= width:
            lines[-1].append(" · ").append_text(item)
        else:
            lines.append(item.copy())
    for line in lines:
        line.overflow = "fold"  # a single pair wider than the terminal still shows whole
    return lines


def print_whole(text: str, console: Console = out) -> None:
    """Something a user must copy (a URL carrying a one-time password): on a line of its own, never broken
    by Rich (the terminal may fold it on screen, but copying gives the whole)."""
    console.print(text, soft_wrap=True, markup=False, highlight=False)
