"""The `loa` command (DESIGN §4). Operators script it: keep it stable; data commands take --json."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import asdict

import typer
from rich.markup import escape
from typer.core import TyperGroup

from loa.app.cli_common import JSON, Detail, FitTable, err, out
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import print_json as _print_json
from loa.config import Config
from loa.errors import LoaError
from loa.model import NoticeState, NoticeView

#: the commands kept in their own modules: name → (module, attribute, "group" or "command"). A module is
#: imported only when its command runs (or `loa --help` lists them all), so `loa approve` starts without
#: the radio, print, report or CAP commands and what they import.
LAZY: dict[str, tuple[str, str, str]] = {
    "edit": ("loa.app.cli_editorial", "edit", "command"),
    "approve": ("loa.app.cli_editorial", "approve", "command"),
    "reject": ("loa.app.cli_editorial", "reject", "command"),
    "withdraw": ("loa.app.cli_editorial", "withdraw", "command"),
    "dispatch": ("loa.app.cli_editorial", "dispatch", "command"),
    "boards": ("loa.app.cli_boards", "boards_app", "group"),
    "users": ("loa.app.cli_users", "users_app", "group"),
    "print": ("loa.app.cli_print", "print_cmd", "command"),
    "site": ("loa.app.cli_print", "site_app", "group"),
    "report": ("loa.app.cli_report", "report_cmd", "command"),
    "areas": ("loa.app.cli_areas", "areas_cmd", "command"),
    "automations": ("loa.app.cli_report", "automations_app", "group"),
    "radio": ("loa.app.cli_radio", "radio_app", "group"),
    "cap": ("loa.app.cli_cap", "cap_app", "group"),
    "speakers": ("loa.app.cli_speakers", "speakers_app", "group"),
    "speaker": ("loa.app.cli_speaker", "speaker_app", "group"),
}


class LazyGroup(TyperGroup):
    """Loa's top-level command group: the LAZY commands are built (by Typer, as if added eagerly) the
    first time they are asked for."""

    def list_commands(self, ctx) -> list[str]:
        return list(LAZY) + [name for name in self.commands if name not in LAZY]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in LAZY:
            self.commands[cmd_name] = _lazy_command(cmd_name)
        return self.commands.get(cmd_name)


def _lazy_command(name: str):
    module, attribute, kind = LAZY[name]
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer()
    if kind == "group":
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


app = typer.Typer(
    cls=LazyGroup,
    help="Loa: administrative-reform notices from government feeds to website, boards and radio.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
board_app = typer.Typer(help="Digital notice boards.", no_args_is_help=True)
app.add_typer(board_app, name="board")


@app.callback()
def _check_config(ctx: typer.Context) -> None:
    # Every command validates every config file first: a bad value is one line, before any work.
    if ctx.resilient_parsing or any(a in ("--help", "-h") for a in sys.argv[1:]):
        return
    _config()


def _config() -> Config:
    from loa.runtime import config

    return config()


def _store():
    from loa.runtime import runtime

    return runtime()


def _prefect_api(cfg: Config) -> str | None:
    from loa.app.events import find_prefect_api

    return find_prefect_api(cfg)


def _notice_dict(n: NoticeView, with_variants: bool = False) -> dict:
    d = asdict(n)
    if not with_variants:
        d.pop("variants")
    return d


@app.command()
def run(
    deployments: bool = typer.Option(
        True,
        "--deployments/--no-deployments",
        help="Serve Loa's deployments from this machine (default). --no-deployments is for the front machine "
        "of a scale-out: PREFECT_API_URL names the shared server, and workers run the deployments that "
        "`prefect deploy --all` registered from prefect.yaml.",
    ),
) -> None:
    """Start the whole system: Prefect server, Mosquitto, deployments, website. Prints every URL; Ctrl-C stops it."""
    from loa.app.run import run as run_all

    try:
        cfg = _config()
    except LoaError as exc:
        _fail(exc)
    raise typer.Exit(run_all(cfg, deployments=deployments))


@app.command()
def ingest(
    feed: list[str] | None = typer.Option(
        None, "--feed", help="Feed URL to poll (repeatable); default: every feed in feeds.yaml."
    ),
    as_json: bool = JSON,
) -> None:
    """Run one ingest pass now: fetch, parse, classify, and draft notices for new reform documents."""
    try:
        cfg, store = _store()
        if _prefect_api(cfg):
            from flows.ingest import ingest as ingest_flow

            reports = ingest_flow(feed_urls=feed or None)
        else:
            reports = _ingest_locally(cfg, store, feed)
    except LoaError as exc:
        _fail(exc)
    if as_json:
        _print_json(reports)
    else:
        table = FitTable(
            "feed", "status", "entries", "new", "updated", Detail("drafted"), Detail("problem"), title="Ingest"
        )
        for r in reports:
            style = {"failed": "red", "not_modified": "dim"}.get(r["status"], "")
            table.add_row(
                escape(r["name"]),
                f"[{style}]{r['status']}[/]" if style else r["status"],
                str(r["entries"]),
                str(r["new"]),
                str(r["updated"]),
                ", ".join(map(str, r["drafted"])),
                escape(r["error"] or ""),
            )
        out.print(table)
    if any(r["status"] == "failed" for r in reports):
        raise typer.Exit(2 if all(r["status"] == "failed" for r in reports) else 0)


def _ingest_locally(cfg, store, urls) -> list[dict]:
    """Without a Prefect server (no `loa run`): the same core pipeline, with a progress bar."""
    from rich.progress import Progress

    from loa.ingest.pipeline import ingest_many

    feeds = cfg.feeds_for(urls)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("ingesting feeds", total=len(feeds))
        reports = ingest_many(store, cfg, feeds, on_done=lambda _r: progress.advance(task))
    return [r.as_dict() for r in reports]


@app.command()
def notices(
    state: NoticeState | None = typer.Option(None, help="Only versions in this state."),
    limit: int = typer.Option(100, help="At most this many."),
    as_json: bool = JSON,
) -> None:
    """List notices (latest version of each), newest first."""
    _, store = _store()
    rows = store.notices(state, limit=limit)
    if as_json:
        _print_json([_notice_dict(n) for n in rows])
        return
    table = FitTable("id", "v", "state", "priority", Detail("areas"), Detail("title"), title="Notices")
    for n in rows:
        table.add_row(str(n.id), str(n.version), n.state.value, n.priority.value, ", ".join(n.areas), escape(n.title))
    out.print(table)


@app.command()
def show(
    notice_id: int = typer.Argument(..., metavar="ID"),
    channel: str | None = typer.Option(None, help="Print only this channel's variant (website, boards, radio, print)."),
    as_json: bool = JSON,
) -> None:
    """Show a notice: state, source, why it was picked, every channel variant and deliveries.

    --json adds "board_lines": each board profile's lines exactly as the boards payload (and the desk) has them."""
    from loa.app.desk.present import board_preview

    cfg, store = _store()
    try:
        n = store.notice(notice_id)
    except LoaError as exc:
        _fail(exc)
    board_lines = {b.profile.id: b.lines for b in board_preview(cfg, n, n.variants.get("boards", ""))}
    if channel:
        if channel not in n.variants:
            _fail(LoaError(f"notice {notice_id} has no {channel!r} variant; it has {', '.join(n.variants)}"))
        if as_json:
            _print_json(
                {"id": n.id, "version": n.version, "channel": channel, "body": n.variants[channel]}
                | ({"board_lines": board_lines} if channel == "boards" else {})
            )
        elif channel == "boards":
            for profile, lines in board_lines.items():
                print(f"[{profile}]", *lines, sep="\n")
        else:
            print(n.variants[channel])
        return
    deliveries = [asdict(d) for d in store.deliveries(notice_id)]
    if as_json:
        _print_json(
            _notice_dict(n, with_variants=True)
            | {
                "board_lines": board_lines,
                "deliveries": deliveries,
                "history": [asdict(a) for a in store.actions(notice_id)],
            }
        )
        return
    out.print(f"[bold]#{n.id} v{n.version}[/] {n.title}")
    out.print(f"state {n.state.value} · priority {n.priority.value} · areas {', '.join(n.areas)}")
    if n.meta.number:
        out.print(f"document {n.meta.doc_type or ''} {n.meta.number} {n.meta.issuer or ''}")
    out.print(f"source {n.source_url or '-'}  why: {'; '.join(n.reasons) or '-'}")
    for warning in n.warnings:  # reading the source went wrong: the editor checks before approving
        out.print(f"warning: {warning}", markup=False, highlight=False)
    for file in n.files:
        out.print(f"file {file}", markup=False, highlight=False)
    for name, body in n.variants.items():
        out.rule(name)
        out.print(body, markup=False, highlight=False)
    if deliveries:
        out.rule("deliveries")
        for d in deliveries:
            out.print(
                f"v{d['version']} {d['kind']} {d['channel']} → {d['target']}: {d['status']} "
                f"({d['attempts']} attempt(s)) {d['last_error'] or d['detail'] or ''}",
                markup=False,
            )


@app.command("read-aloud")
def read_aloud_cmd() -> None:
    """Read text lines on stdin and print each line's read-aloud form (numbers, dates, abbreviations spelled out)."""
    from loa.speech.readaloud import read_aloud

    lexicon = _config().lexicon
    for line in sys.stdin:
        print(read_aloud(line.rstrip("\n"), lexicon), flush=True)


@app.command()
def feeds(as_json: bool = JSON) -> None:
    """Feed health: last success, last error and reason, consecutive failures, staleness.

    A feed is stale when it has not been read successfully for three ingest intervals.
    Configured feeds that were never polled are listed too."""
    from datetime import timedelta

    from loa.store import FeedHealth

    cfg, store = _store()
    rows = {r.url: r for r in store.feeds(stale_after=timedelta(minutes=3 * cfg.ingest_interval_minutes))}
    for f in cfg.feeds:
        rows.setdefault(f.url, FeedHealth(f.url, f.name, None, None, None, None, None, None, 0, stale=True))
    if as_json:
        _print_json([asdict(r) for r in rows.values()])
        return
    table = FitTable("feed", "last success", "failures", "stale", Detail("last error"), title="Feeds")
    for r in rows.values():
        table.add_row(
            escape(r.name),
            r.last_success_at.isoformat() if r.last_success_at else "never",
            str(r.consecutive_failures),
            "[red]yes[/]" if r.stale else "no",
            escape(r.last_error or ""),
        )
    out.print(table)


@board_app.command("watch")
def board_watch(
    area: str = typer.Option(
        ..., help="Area path, e.g. cao-bang/thuc-phan (a pre-2025 three-level path is read as its 2025 commune)."
    ),
    as_json: bool = JSON,
) -> None:
    """A terminal board: subscribe to the area (and its province) and print notices as they arrive."""
    from channels.board_client import watch
    from loa.board_protocol import current_area

    cfg = _config()
    area = current_area(area)
    if area not in cfg.areas:
        _fail(LoaError(f"area {area!r} is not in {cfg.config_dir / 'areas.yaml'}"))
    try:
        watch(cfg, area, as_json=as_json, console=out)
    except LoaError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        pass


def _quiet_logging() -> None:
    """A command prints its own report (a table, --json, one error line); the modules' log records
    would repeat it unformatted through logging's last-resort handler. They go to stderr only from
    LOA_LOG_LEVEL (e.g. INFO, DEBUG) up; `loa run` and the flows keep their own (Prefect) logging."""
    level = os.environ.get("LOA_LOG_LEVEL", "").upper()
    root = logging.getLogger()
    if root.handlers:
        return
    if level in logging.getLevelNamesMapping():
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    else:
        root.addHandler(logging.NullHandler())


def main() -> None:
    _quiet_logging()
    try:
        app()
    except LoaError as exc:
        try:
            _fail(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)
