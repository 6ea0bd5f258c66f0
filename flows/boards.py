"""Board health, on a schedule: a table artifact of every board, and re-delivery after long broker outages."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from channels.catalogue import build_channels
from loa.publishing.dispatch import redeliver
from loa.runtime import runtime
from loa.store.boards import BoardHealth, health


@task(name="redeliver board notices")
def redeliver_pending() -> list[dict]:
    cfg, store = runtime()
    return [vars(r) for r in redeliver(store, build_channels(cfg, store, ["boards"]))]


@task(name="board health table")
def health_table() -> list[BoardHealth]:
    _, store = runtime()
    rows = health(store)
    create_table_artifact(
        key="board-health",
        table=[_cells(r) for r in rows] or [{"board": "no boards yet: `loa boards add ID --area PATH`"}],
        description="Every board: online/offline and since when, last seen, and how many of the notices "
        "currently due on it it has shown (acks).",
    )
    return rows


def _cells(row: BoardHealth) -> dict:
    """A table row for the Prefect UI: times as ISO text."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in asdict(row).items()}


@flow(name="board-health", flow_run_name="board health")
def board_health() -> dict:
    """Retry board deliveries a broker outage left undelivered, then tabulate every board's health."""
    redelivered = redeliver_pending()
    rows = health_table()
    get_run_logger().info(
        "%d board(s), %d offline; %d notice(s) redelivered",
        len(rows),
        sum(r.state == "offline" for r in rows),
        sum(1 for r in redelivered if r["ok"]),
    )
    return {
        "boards": len(rows),
        "online": sum(r.state == "online" for r in rows),
        "offline": [r.board for r in rows if r.state == "offline"],
        "not_shown": sum(r.not_shown for r in rows if r.state == "online"),
        "redelivered": sum(1 for r in redelivered if r["ok"]),
        "still_failing": sum(1 for r in redelivered if not r["ok"]),
    }
