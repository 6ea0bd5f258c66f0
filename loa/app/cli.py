"""The `loa` command (DESIGN §4). Operators script it: keep it stable; data commands take --json."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Optional

import typer
from rich.table import Table

from loa import events
from loa.app.cli_common import JSON, err, out
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import print_json as _print_json
from loa.app.cli_boards import boards_app
from loa.app.cli_print import print_cmd, site_app
from loa.app.cli_radio import radio_app
from loa.app.cli_areas import areas_cmd
from loa.app.cli_report import automations_app, report_cmd
from loa.app.cli_users import users_app
from loa.config import Config, load_config
from loa.errors import LoaError
from loa.model import NoticeState, NoticeView

app = typer.Typer(help="Loa: administrative-reform notices from government feeds to website, boards and radio.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
board_app = typer.Typer(help="Digital notice boards.", no_args_is_help=True)
app.add_typer(board_app, name="board")
app.add_typer(boards_app, name="boards")
app.add_typer(users_app, name="users")
app.command("print")(print_cmd)
app.add_typer(site_app, name="site")
app.command("report")(report_cmd)
app.command("areas")(areas_cmd)
app.add_typer(automations_app, name="automations")
app.add_typer(radio_app, name="radio")


def _config() -> Config:
    return load_config()


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
def run(deployments: bool = typer.Option(
        True, "--deployments/--no-deployments",
        help="Serve Loa's deployments from this machine (default). --no-deployments is for the front machine "
             "of a scale-out: PREFECT_API_URL names the shared server, and workers run the deployments that "
             "`prefect deploy --all` registered from prefect.yaml.")) -> None:
    """Start the whole system: Prefect server, Mosquitto, deployments, website. Prints every URL; Ctrl-C stops it."""
    from loa.app.run import run as run_all

    try:
        cfg = _config()
    except LoaError as exc:
        _fail(exc)
    raise typer.Exit(run_all(cfg, deployments=deployments))


@app.command()
def ingest(feed: Optional[list[str]] = typer.Option(None, "--feed", help="Feed URL to poll (repeatable); default: every feed in feeds.yaml."),
           as_json: bool = JSON) -> None:
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
        table = Table("feed", "status", "entries", "new", "updated", "drafted", "problem", title="Ingest")
        for r in reports:
            style = {"failed": "red", "not_modified": "dim"}.get(r["status"], "")
            table.add_row(r["name"], f"[{style}]{r['status']}[/]" if style else r["status"], str(r["entries"]),
                          str(r["new"]), str(r["updated"]), ", ".join(map(str, r["drafted"])), r["error"] or "")
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
def notices(state: Optional[NoticeState] = typer.Option(None, help="Only versions in this state."),
            limit: int = typer.Option(100, help="At most this many."), as_json: bool = JSON) -> None:
    """List notices (latest version of each), newest first."""
    _, store = _store()
    rows = store.notices(state, limit=limit)
    if as_json:
        _print_json([_notice_dict(n) for n in rows])
        return
    table = Table("id", "v", "state", "priority", "areas", "title", title="Notices")
    for n in rows:
        table.add_row(str(n.id), str(n.version), n.state.value, n.priority.value, ", ".join(n.areas), n.title)
    out.print(table)


@app.command()
def show(notice_id: int = typer.Argument(..., metavar="ID"),
         channel: Optional[str] = typer.Option(None, help="Print only this channel's variant (website, boards, radio, print)."),
         as_json: bool = JSON) -> None:
    """Show a notice: state, source, why it was picked, every channel variant and deliveries."""
    _, store = _store()
    try:
        n = store.notice(notice_id)
    except LoaError as exc:
        _fail(exc)
    if channel:
        if channel not in n.variants:
            _fail(LoaError(f"notice {notice_id} has no {channel!r} variant; it has {', '.join(n.variants)}"))
        if as_json:
            _print_json({"id": n.id, "version": n.version, "channel": channel, "body": n.variants[channel]})
        else:
            print(n.variants[channel])
        return
    deliveries = [asdict(d) for d in store.deliveries(notice_id)]
    if as_json:
        _print_json(_notice_dict(n, with_variants=True) | {"deliveries": deliveries,
                                                           "history": store.actions(notice_id)})
        return
    out.print(f"[bold]#{n.id} v{n.version}[/] {n.title}")
    out.print(f"state {n.state.value} · priority {n.priority.value} · areas {', '.join(n.areas)}")
    if n.meta.number:
        out.print(f"document {n.meta.doc_type or ''} {n.meta.number} {n.meta.issuer or ''}")
    out.print(f"source {n.source_url or '-'}  why: {'; '.join(n.reasons) or '-'}")
    for name, body in n.variants.items():
        out.rule(name)
        out.print(body, markup=False, highlight=False)
    if deliveries:
        out.rule("deliveries")
        for d in deliveries:
            out.print(f"v{d['version']} {d['kind']} {d['channel']} → {d['target']}: {d['status']} "
                      f"({d['attempts']} attempt(s)) {d['last_error'] or d['detail'] or ''}", markup=False)


def _act(action: str, notice_id: int, by: str, reason: str | None, event: str, as_json: bool) -> None:
    cfg, store = _store()
    try:
        n = store.transition(notice_id, action, by, reason)
    except LoaError as exc:
        _fail(exc)
    from loa.app import announce

    told = (announce.announce_approval(cfg, n, by) if action == "approve"
            else announce.announce(cfg, event, n, by, reason))
    if as_json:
        _print_json(_notice_dict(n) | {"event_emitted": told.kind in ("dispatch", "event", "scheduled"),
                                       "announcement": told.kind, "flow_run_id": told.flow_run_id})
        return
    out.print(f"notice {n.id} v{n.version} is now [bold]{n.state.value}[/] (by {by})")
    if told.kind == "scheduled":
        out.print(f"embargoed: dispatch scheduled for {told.detail} (flow run {told.flow_run_id})")
    elif told.kind == "failed":
        err.print(f"[red]the Prefect server did not take the event ({told.detail}); "
                  f"`loa dispatch {n.id}` dispatches now[/]")
    elif told.kind == "offline":
        err.print(f"[yellow]no Prefect server is running (start `loa run`), so nothing was dispatched yet; "
                  f"`loa dispatch {n.id}` does it now[/]" if action == "approve" else
                  "[yellow]no Prefect server is running; start `loa run` to take it off the channels[/]")


@app.command()
def approve(notice_id: int = typer.Argument(..., metavar="ID"), by: str = typer.Option(..., help="Who approves."),
            as_json: bool = JSON) -> None:
    """Approve a drafted notice; this emits loa.notice.approved, which starts the dispatch."""
    _act("approve", notice_id, by, None, events.NOTICE_APPROVED, as_json)


@app.command()
def reject(notice_id: int = typer.Argument(..., metavar="ID"), by: str = typer.Option(..., help="Who rejects."),
           reason: str = typer.Option(..., help="Why, for the audit trail."), as_json: bool = JSON) -> None:
    """Reject a drafted notice with a reason. Nothing is published."""
    _act("reject", notice_id, by, reason, events.NOTICE_REJECTED, as_json)


@app.command()
def withdraw(notice_id: int = typer.Argument(..., metavar="ID"), by: str = typer.Option(..., help="Who withdraws."),
             reason: Optional[str] = typer.Option(None, help="Why, for the audit trail."), as_json: bool = JSON) -> None:
    """Withdraw a published notice: board message cleared, playlists updated, web page marked withdrawn."""
    _act("withdraw", notice_id, by, reason, events.NOTICE_WITHDRAWN, as_json)


@app.command()
def dispatch(notice_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Dispatch (or re-dispatch) an approved notice now; delivered targets are not sent twice."""
    cfg, store = _store()
    try:
        if _prefect_api(cfg):
            from flows.dispatch import dispatch as dispatch_flow

            state = dispatch_flow(notice_id=str(notice_id))
            deliveries = [asdict(d) for d in store.deliveries(notice_id)]
        else:
            from channels.base import build_channels
            from channels.dispatch import dispatch_notice

            report = dispatch_notice(store, build_channels(cfg, store), notice_id)
            state, deliveries = report.state, [asdict(d) for d in store.deliveries(notice_id, report.version)]
    except LoaError as exc:
        _fail(exc)
    if as_json:
        _print_json({"id": notice_id, "state": state, "deliveries": deliveries})
    else:
        out.print(f"notice {notice_id}: {state}")
        for d in deliveries:
            out.print(f"  {d['channel']} → {d['target']}: {d['status']} {d['last_error'] or ''}", markup=False)
    if state != NoticeState.PUBLISHED.value:
        raise typer.Exit(1)


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

    cfg, store = _store()
    rows = {r["url"]: r for r in store.feeds(stale_after=timedelta(minutes=3 * cfg.ingest_interval_minutes))}
    for f in cfg.feeds:
        rows.setdefault(f.url, {"url": f.url, "name": f.name, "title": None, "last_checked_at": None,
                                "last_success_at": None, "last_error_at": None, "last_error_reason": None,
                                "last_error": None, "consecutive_failures": 0, "stale": True})
    if as_json:
        _print_json(list(rows.values()))
        return
    table = Table("feed", "last success", "failures", "stale", "last error", title="Feeds")
    for r in rows.values():
        table.add_row(r["name"], r["last_success_at"] or "never", str(r["consecutive_failures"]),
                      "[red]yes[/]" if r["stale"] else "no", r["last_error"] or "")
    out.print(table)


@board_app.command("watch")
def board_watch(area: str = typer.Option(..., help="Area path, e.g. cao-bang/thuc-phan (a pre-2025 "
                                          "three-level path is read as its 2025 commune)."),
                as_json: bool = JSON) -> None:
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


def main() -> None:
    try:
        app()
    except LoaError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(1)
