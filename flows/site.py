"""The website and the bulletins in step with the clock: hourly, notices that expired leave the current lists.

A notice's page, its areas' pages and the listing are rewritten when it is published or withdrawn,
and at any publish after it expired; this deployment does the latter without waiting for a publish,
and remakes the current bulletin (current.pdf) of each commune an expired notice concerned, and
brings the CAP feed of current alerts up to the hour.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from channels.cap import Cap
from channels.catalogue import printed
from channels.printed import PrintResult
from channels.website import Website
from loa import clock
from loa.config import Config
from loa.publishing import actions
from loa.runtime import runtime
from loa.store import Store


def refresh(cfg: Config, store: Store, now: datetime | None = None) -> list[dict]:
    """One row per notice that expired since it was written: its version marked expired in the store (the
    state machine's `expire`), the website files rewritten, the bulletins remade."""
    now = now or clock.now()
    actions.expire_due(actions.Publishing(store, cfg), now)
    report = Website(cfg, store).refresh(now)
    Cap(cfg, store).refresh_feed(now)  # expired CAP alerts leave the Atom feed of current alerts
    if not report.republished:
        return []
    printer = printed(cfg, store)
    made = printer.current_editions(printer.bulletin_areas(a for e in report.republished for a in e.areas), now)
    rows = []
    for e in report.republished:
        areas = printer.bulletin_areas(e.areas)
        rows.append(
            {
                "notice": e.id,
                "version": e.version,
                "title": e.title,
                "status": e.status(now),
                "site files written": len(report.written),
                "bulletins remade": ", ".join(a for a in areas if isinstance(made.get(a), PrintResult)),
                "bulletins failed": "; ".join(
                    f"{a}: {made[a]}" for a in areas if not isinstance(made.get(a), PrintResult)
                ),
            }
        )
    return rows


@flow(name="site-refresh", flow_run_name="site refresh")
def site_refresh() -> dict:
    """Take notices that expired off the website's current lists and the communes' current bulletins."""
    cfg, store = runtime()
    rows = refresh(cfg, store)
    get_run_logger().info("%d notice(s) expired since the site was written: %s", len(rows), [r["notice"] for r in rows])
    if rows:
        create_table_artifact(
            key="site-refresh",
            table=rows,
            description="Notices that expired since they were written: pages and bulletins redone",
        )
    failed = [r["bulletins failed"] for r in rows if r["bulletins failed"]]
    if failed:
        raise RuntimeError("some bulletins were not remade: " + "; ".join(failed))
    return {"expired": [r["notice"] for r in rows]}
