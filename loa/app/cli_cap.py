"""`loa cap`: a draft's CAP settings, and what CAP made of a notice (its alerts out, the alerts it came from)."""

from __future__ import annotations

from dataclasses import asdict

import typer

from loa.app.cli_common import JSON, fail, out, print_json, runtime_or_fail
from loa.errors import LoaError

cap_app = typer.Typer(help="Emergencies as CAP 1.2 alerts (docs/cap.md).", no_args_is_help=True)


@cap_app.command("set")
def set_cmd(
    notice_id: int = typer.Argument(..., help="The notice id."),
    by: str = typer.Option(..., "--by", help="Who makes the change (recorded in the audit trail)."),
    level: int | None = typer.Option(
        None, "--level", min=0, max=5, help="Disaster risk level 1-5 (Decision 18/2021/QĐ-TTg); 0 clears it."
    ),
    status: str | None = typer.Option(None, "--status", help="actual, exercise or test."),
    instruction: str | None = typer.Option(None, "--instruction", help="What people must do (CAP instruction)."),
    as_json: bool = JSON,
) -> None:
    """Set the CAP fields of a notice's draft: risk level, actual/exercise/test, instruction."""
    from loa.app.cli_editorial import ROLE, publishing
    from loa.publishing import actions

    p = publishing()
    try:
        version = p.store.notice(notice_id).version
        changes = actions.set_cap(
            p,
            actions.Actor(by, ROLE),
            notice_id,
            version,
            alert_status=status,
            instruction=instruction,
            disaster_level=actions.UNSET if level is None else (level or None),
        ).changes
    except LoaError as exc:
        fail(exc)
    if as_json:
        print_json(
            {
                "notice_id": notice_id,
                "version": version,
                "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in changes],
            }
        )
        return
    for c in changes:
        out.print(f"notice {notice_id} v{version}: {c.field} {c.before or '—'} → {c.after or '—'}", highlight=False)
    if not changes:
        out.print(f"notice {notice_id} v{version}: nothing changed")


@cap_app.command("show")
def show_cmd(notice_id: int = typer.Argument(..., help="The notice id."), as_json: bool = JSON) -> None:
    """The CAP alerts published for a notice (URLs) and the received alerts it was drafted from."""
    from loa.store import cap as cap_store

    cfg, store = runtime_or_fail()
    try:
        store.notice(notice_id)
    except LoaError as exc:
        fail(exc)
    sent = [
        {"version": d.version, "kind": d.kind, "status": d.status, "detail": d.detail or d.last_error}
        for d in store.deliveries(notice_id, channel="cap")
    ]
    received = [{k: v for k, v in asdict(o).items() if k != "xml"} for o in cap_store.origin(store, notice_id)]
    if as_json:
        print_json(
            {"notice_id": notice_id, "sent": sent, "received": received, "feed": f"{cfg.site_url}/cap/alerts.atom"}
        )
        return
    for s in sent:
        out.print(f"v{s['version']} {s['kind']:8} {s['status']:9} {s['detail'] or ''}", highlight=False)
    for r in received:
        out.print(
            f"from CAP {r['msg_type']} {r['identifier']} ({r['sender']}, {r['sent']}): {r['outcome']}", highlight=False
        )
    if not sent and not received:
        out.print(f"notice {notice_id} has no CAP alert (only priority and emergency notices have one)")
