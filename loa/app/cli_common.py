"""What every `loa` command module shares: consoles, the --json option, errors and JSON output."""

from __future__ import annotations

import json
from enum import Enum

import typer
from rich.console import Console

from loa.errors import LoaError

out = Console()
err = Console(stderr=True)
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table or text.")


def fail(message: str | Exception) -> None:
    """Print the error (what failed, for which thing, what to do) and exit with status 1."""
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(1)


def _jsonable(obj):
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def print_json(data) -> None:
    out.print_json(json.dumps(data, default=_jsonable, ensure_ascii=False))


def runtime_or_fail():
    """(config, store) for this environment, or a clean exit naming the bad config value."""
    from loa.runtime import runtime

    try:
        return runtime()
    except LoaError as exc:
        fail(exc)
