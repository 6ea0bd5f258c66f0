"""`loa edit / approve / reject / withdraw / dispatch`: the desk's actions from a shell, through the same
use cases (loa/publishing). The CLI acts as `operator` (someone with a shell on the server); --by names
the person for the audit trail."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from loa.app.cli_common import JSON, err, out, print_json, runtime_or_fail
from loa.app.cli_common import fail as _fail
from loa.errors import LoaError
from loa.model import NoticeState, Priority

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from loa.publishing.actions import Unset

ROLE = "operator"
BY = typer.Option(..., "--by", help="Who acts (the name in the audit trail).")
VERSION = typer.Option(None, "--version", help="The version you looked at (default: the one the action applies to).")


def publishing():
    """The use cases' context for this process: the store, Prefect (if `loa run` runs) and the channels
    delivered at approval."""
    from loa.app.prefect_scheduler import publishing_for

    cfg, store = runtime_or_fail()
    return publishing_for(cfg, store)


def _when(text: str | None, what: str, tz) -> datetime | None | Unset:
    """An ISO time (a naive one is local time, loa.yaml `timezone`); "" clears it; None leaves it."""
    from loa.publishing.actions import UNSET

    if text is None:
        return UNSET
    if not text.strip():
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{what} {text!r} is not an ISO date and time (e.g. 2026-12-01T08:00 or 2026-12-01T08:00+07:00)")
    return (at if at.tzinfo else at.replace(tzinfo=tz)).astimezone(UTC)


def _present(outcome, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_dict())
        return
    out.print(
        f"notice {outcome.notice_id} v{outcome.version} is [bold]{outcome.state}[/] ({outcome.action} by {outcome.by})"
    )
    for c in outcome.changes:
        what = "new text" if c.diff is not None else f"{c.before or '-'} → {c.after or '-'}"
        out.print(f"  {c.field}: {what}"[:78], markup=False, highlight=False)
    if outcome.code == "unchanged":
        out.print("  nothing changed")
    for r in outcome.delivered_at_approval:
        out.print(f"  {r.channel} → {r.target}: {'delivered' if r.ok else 'failed: ' + r.detail}", markup=False)
    for run in outcome.flow_runs_cancelled:
        out.print(f"  scheduled dispatch run {run} cancelled")
    said = outcome.announcement
    if said is None:
        return
    if said.kind == "scheduled":
        out.print(f"embargoed: dispatch scheduled for {said.detail}")
        out.print(f"(flow run {said.flow_run_id})")
    elif said.kind == "failed":
        err.print(f"[red]the Prefect server did not take it ({said.detail})[/]")
        if outcome.action == "approve":
            err.print(f"[red]`loa dispatch {outcome.notice_id}` dispatches now[/]")
    elif said.kind == "offline":
        if outcome.action == "approve":
            err.print(
                "[yellow]no Prefect server runs (start `loa run`): nothing dispatched yet; "
                f"`loa dispatch {outcome.notice_id}` does it now[/]"
            )
        elif outcome.action == "withdraw":
            err.print("[yellow]no Prefect server runs; start `loa run` to take it off the channels[/]")
    elif said.kind == "none" and outcome.action == "withdraw":
        out.print("it was never dispatched: no channel had it, nothing public was written")


def _do(fn, as_json: bool) -> None:
    try:
        outcome = fn()
    except LoaError as exc:
        _fail(exc)
    _present(outcome, as_json)


def approve(
    notice_id: int = typer.Argument(..., metavar="ID"),
    by: str = BY,
    version: int | None = VERSION,
    publish_at: str | None = typer.Option(
        None,
        "--publish-at",
        help="Publish at this time (ISO; local time if no offset): an embargo. "
        "Emergencies go out at once anyway. '' clears it.",
    ),
    expires_at: str | None = typer.Option(None, "--expires-at", help="In force until (ISO). '' clears it."),
    as_json: bool = JSON,
) -> None:
    """Approve a drafted notice. Due now: the boards get it at once and the dispatch starts; with a future
    --publish-at, a dispatch run is scheduled then and the version it replaces stays live until then."""
    from loa.publishing import actions

    p = publishing()
    _do(
        lambda: actions.approve(
            p,
            actions.Actor(by, ROLE),
            notice_id,
            version,
            publish_at=_when(publish_at, "--publish-at", p.cfg.tz),
            expires_at=_when(expires_at, "--expires-at", p.cfg.tz),
        ),
        as_json,
    )


def reject(
    notice_id: int = typer.Argument(..., metavar="ID"),
    by: str = BY,
    version: int | None = VERSION,
    reason: str = typer.Option(..., help="Why, for the editor and the audit trail."),
    as_json: bool = JSON,
) -> None:
    """Reject a drafted notice with a reason. Nothing is published."""
    from loa.publishing import actions

    p = publishing()
    _do(lambda: actions.reject(p, actions.Actor(by, ROLE), notice_id, version, reason=reason), as_json)


def withdraw(
    notice_id: int = typer.Argument(..., metavar="ID"),
    by: str = BY,
    version: int | None = VERSION,
    reason: str | None = typer.Option(None, help="Why, for the audit trail."),
    as_json: bool = JSON,
) -> None:
    """Withdraw an approved or published notice: board message cleared, playlists updated, page marked
    withdrawn; a still-scheduled dispatch run is cancelled; a never-dispatched one touches no channel."""
    from loa.publishing import actions

    p = publishing()
    _do(lambda: actions.withdraw(p, actions.Actor(by, ROLE), notice_id, version, reason=reason), as_json)


def edit(
    notice_id: int = typer.Argument(..., metavar="ID"),
    by: str = BY,
    version: int | None = VERSION,
    priority: Priority | None = typer.Option(None, help="normal, priority or emergency."),
    areas: str | None = typer.Option(None, help="Target areas, comma-separated paths from areas.yaml."),
    channel: str | None = typer.Option(
        None, help="The channel whose text --text-file replaces (website, boards, radio, print)."
    ),
    text_file: Path | None = typer.Option(None, "--text-file", help="The new text ('-': stdin).", allow_dash=True),
    publish_at: str | None = typer.Option(None, "--publish-at", help="Publish time (ISO); '' clears it."),
    expires_at: str | None = typer.Option(None, "--expires-at", help="Expiry (ISO); '' clears it."),
    as_json: bool = JSON,
) -> None:
    """Change a draft: its priority, target areas, one channel's text, publish time or expiry."""
    import sys

    from loa.publishing import actions

    if (channel is None) != (text_file is None):
        _fail("--channel and --text-file go together: which channel's text, and the file with the new text")
    texts = None
    if channel and text_file is not None:
        try:
            body = sys.stdin.read() if str(text_file) == "-" else text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read the new {channel} text from {text_file}: {exc}")
        texts = {channel: body}
    p = publishing()
    who = actions.Actor(by, ROLE)
    area_list = [a.strip() for a in areas.split(",") if a.strip()] if areas is not None else None

    def run():
        v = version or p.store.notice(notice_id).version
        outcome = actions.edit(p, who, notice_id, v, texts=texts, priority=priority, areas=area_list)
        if publish_at is not None or expires_at is not None:
            current = p.store.notice(notice_id, v)
            pa, ea = _when(publish_at, "--publish-at", p.cfg.tz), _when(expires_at, "--expires-at", p.cfg.tz)
            sched = actions.schedule(
                p,
                who,
                notice_id,
                v,
                publish_at=current.publish_at if pa is actions.UNSET else pa,
                expires_at=current.expires_at if ea is actions.UNSET else ea,
            )
            outcome.changes += sched.changes
            outcome.code = "saved" if outcome.changes else "unchanged"
        return outcome

    _do(run, as_json)


def dispatch(notice_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Dispatch (or re-dispatch) an approved notice now; delivered targets are not sent twice.
    With `loa run` running it is a flow run in the Prefect UI; without, the same core code here."""
    from loa.app.events import find_prefect_api

    cfg, store = runtime_or_fail()
    try:
        if find_prefect_api(cfg):
            from flows.dispatch import dispatch as dispatch_flow
            from loa.publishing.dispatch import publishable_version

            version = publishable_version(store, notice_id).version  # refuses before a flow run is made
            state = dispatch_flow(notice_id=str(notice_id))
        else:
            from channels.catalogue import build_channels
            from loa.publishing.dispatch import dispatch_notice

            report = dispatch_notice(store, build_channels(cfg, store), notice_id, role=ROLE)
            state, version = report.state, report.version
    except LoaError as exc:
        _fail(exc)
    deliveries = [asdict(d) for d in store.deliveries(notice_id, version)]
    if as_json:
        print_json({"id": notice_id, "version": version, "state": state, "deliveries": deliveries})
    else:
        out.print(f"notice {notice_id} v{version}: {state}")
        for d in deliveries:
            line = f"  {d['channel']} → {d['target']}: {d['status']} {d['last_error'] or ''}"
            out.print(line.rstrip()[:78], markup=False)
    if state != NoticeState.PUBLISHED.value:
        raise typer.Exit(1)
