"""`loa report` (the monthly figures) and `loa automations sync` (operators' alerts in Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from loa.app.cli_common import JSON, Detail, FitTable, err, out
from loa.app.cli_common import fail as _fail
from loa.errors import LoaError

automations_app = typer.Typer(help="Loa's Prefect automations (operators' alerts).", no_args_is_help=True)


def report_cmd(
    month: str | None = typer.Option(
        None, metavar="YYYY-MM", help="The month, in local time (loa.yaml timezone); default: last month."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Where to write the files; default: LOA_HOME/reports/YYYY-MM."
    ),
    as_json: bool = JSON,
) -> None:
    """The monthly figures for the province's information plan, as CSV, Markdown (Vietnamese) and a PNG chart.

    Notices per channel, per area, per reform content area and priority; radio minutes aired; boards reached and acknowledged; time from ingest to approval to publication (median and 90th percentile). Reads the store only: it works with or without `loa run`. The monthly `report` deployment makes the same files on the 1st and shows them as Prefect artifacts.
    """  # noqa: E501  (one line per paragraph: typer keeps line breaks)
    from loa.report import monthly_report, previous_month, write_report
    from loa.runtime import runtime

    target = out_dir
    try:
        cfg, store = runtime()
        month = month or previous_month(cfg)
        result = monthly_report(store, cfg, month)
        target = out_dir or cfg.layout.reports / month
        paths = write_report(result, target)
    except LoaError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the report files to {target}: {exc.strerror}; choose a writable folder with --out")
    if as_json:
        out.print_json(
            json.dumps(result.as_dict() | {"files": {k: str(p) for k, p in paths.items()}}, ensure_ascii=False)
        )
        return
    table = FitTable(
        "channel",
        "notices",
        "deliveries",
        "failed",
        title=f"Loa report {month}: {result.notices_published} notices published",
    )
    for c in result.by_channel:
        table.add_row(c["channel"], str(c["notices"]), str(c["deliveries"]), str(c["failed"]))
    out.print(table)
    r, b = result.radio, result.boards
    out.print(
        f"radio: {r['minutes']} min to {r['stations']} station(s) · boards: {b['reached']} of "
        f"{b['registered']} reached, {b['acknowledged']} of {b['board_notices']} board×notice acknowledged"
    )
    for a in result.airings:
        if a["airings"] or a["failed"]:
            out.print(
                f"confirmed airings at {a['station']}: {a['airings']} ({a['minutes']} min)"
                + (f", {a['failed']} failed" if a["failed"] else ""),
                markup=False,
            )
    for t in result.timing:
        out.print(
            f"{t['stage'].replace('_', ' ')}: median {t['median_minutes']} min, p90 {t['p90_minutes']} min "
            f"({t['notices']} notices)"
        )
    for kind, path in paths.items():
        out.print(f"{kind:9} {path}")


@automations_app.command("sync")
def sync_cmd(as_json: bool = JSON) -> None:
    """Create or update Loa's automations on the Prefect server (idempotent; `loa run` does it at start).

    They notify through the notification block named in loa.yaml (operations.notification_block) when a dispatch fails after its retries, a feed fails for a day, a board is offline for 30 minutes, or a draft waits too long for approval. Needs the Prefect server: `loa run`, or PREFECT_API_URL.
    """  # noqa: E501  (one line per paragraph: typer keeps line breaks)
    from loa.app.events import find_prefect_api as _prefect_api  # not via loa.app.cli: no import cycle
    from loa.runtime import runtime

    try:
        cfg, _ = runtime()
    except LoaError as exc:
        _fail(str(exc))
    api = _prefect_api(cfg)
    if api is None:
        _fail(
            "no Prefect server to create the automations on: start `loa run` (it syncs them itself) or set "
            "PREFECT_API_URL"
        )
    from flows.automations import sync

    try:
        results, warning = sync(cfg)
    except Exception as exc:  # the Prefect client's HTTP errors: say which server refused what
        _fail(f"syncing automations with the Prefect server at {api} failed: {exc}")
    if as_json:
        out.print_json(
            json.dumps(
                {"prefect_api_url": api, "automations": [r.as_dict() for r in results], "warning": warning},
                ensure_ascii=False,
            )
        )
        return
    table = FitTable("automation", Detail("action"), Detail("notifies"), title=f"Automations on {api}")
    for r in results:
        table.add_row(r.name, r.action, r.notifies or "[yellow]nobody[/]")
    out.print(table)
    if warning:
        err.print(f"[yellow]{warning}[/]")
