"""The weekly printed bulletin: last week's edition for every commune, on a schedule (flows/serve.py)."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from channels.printed import Printed, PrintResult
from channels.website import Website
from loa import clock
from loa.runtime import runtime
from loa.site import bulletin


def _run_name() -> str:
    return f"print week {flow_run.parameters.get('week') or 'last'}"


@task(name="print bulletins", task_run_name="bulletins {week}", retries=2, retry_delay_seconds=[10, 60])
def make_bulletins(week: str) -> list[dict]:
    """One task for every commune: the live notices are loaded once and shared (not a task per commune)."""
    cfg, store = runtime()
    printer = Printed(cfg, store)
    period = bulletin.parse_week(week, cfg.tz)
    results = printer.make_weekly(period)
    made = [r.area for r in results if isinstance(r, PrintResult)]
    if made:
        Website(cfg, store).refresh_areas(made)  # each area page links its newest edition
    return [
        r.as_dict()
        if isinstance(r, PrintResult)
        else {"area": r.split(":")[0], "period": week, "path": "", "notices": 0, "pages": 0}
        for r in results
    ]


@flow(name="print", flow_run_name=_run_name)
def print_bulletins(week: str | None = None) -> list[dict]:
    """Make the weekly bulletin PDFs (A4, one per commune) for `week` (e.g. 2026-W47); default: last week."""
    cfg, _ = runtime()
    key = week or bulletin.previous_week(clock.now(), cfg.tz).key
    bulletin.parse_week(key, cfg.tz)  # a bad week fails here, with the reason, before any work
    rows = make_bulletins(key)
    get_run_logger().info(
        "bulletins %s: %d made for %d bulletin areas", key, sum(1 for r in rows if r["path"]), len(rows)
    )
    create_table_artifact(
        key="print-bulletins",
        table=rows or [{"result": "no bulletin area"}],
        description=f"Weekly bulletins {key}: PDF, notices and pages per commune (empty communes get no edition)",
    )
    return rows
