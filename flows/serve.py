"""The deployments `loa run` serves, in code so the runner and prefect.yaml say the same thing.

Run as `python -m flows.serve` (loa run does it, with PREFECT_API_URL and a 1-second runner
poll, so approval → dispatch takes seconds, not the default ~10 s).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events import DeploymentEventTrigger
from prefect.runner import Runner
from prefect.schedules import Cron

from flows.boards import board_health
from flows.dispatch import dispatch, withdraw
from flows.ingest import ingest
from flows.print import print_bulletins
from flows.radio_slots import radio_slot
from flows.recovery import INTERVAL as RECOVERY_INTERVAL
from flows.recovery import recovery
from flows.report import report
from flows.site import site_refresh
from loa import events
from loa.runtime import runtime

log = logging.getLogger(__name__)


def on_notice_event(event: str) -> DeploymentEventTrigger:
    # `match` scopes the trigger to Loa's notices: an empty match would fire on every resource
    return DeploymentEventTrigger(
        name=f"on {event}",
        expect={event},
        match={"prefect.resource.id": "loa.notice.*"},
        parameters={"notice_id": "{{ event.resource.id }}"},
    )


def deployments() -> list[tuple]:
    """(flow, deployment settings) for each deployment Loa serves."""
    cfg, _ = runtime()
    return [
        (
            ingest,
            dict(
                name="ingest",
                interval=timedelta(minutes=cfg.ingest_interval_minutes),
                tags=["loa", "ingest"],
                # one pass at a time (a new one is dropped while one runs): per-host politeness holds across passes
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
                description="Poll every configured feed and draft notices for new and amended reform documents.",
            ),
        ),
        (
            dispatch,
            dict(
                name="dispatch",
                triggers=[on_notice_event(events.NOTICE_APPROVED)],
                tags=["loa", "dispatch"],
                description="Deliver an approved notice to website, boards and radio (started by loa.notice.approved).",
            ),
        ),
        (
            withdraw,
            dict(
                name="withdraw",
                triggers=[on_notice_event(events.NOTICE_WITHDRAWN)],
                tags=["loa", "withdraw"],
                description="Take a withdrawn notice off every channel (started by loa.notice.withdrawn).",
            ),
        ),
        (
            print_bulletins,
            dict(
                name="print",
                schedule=weekly_print(cfg),
                tags=["loa", "print"],
                description="Make last week's printed bulletin (A4 PDF) for every commune.",
            ),
        ),
        (
            site_refresh,
            dict(
                name="site-refresh",
                schedule=Cron("1 * * * *", timezone=cfg.timezone),
                tags=["loa", "site"],
                description="Take notices that expired off the website's current lists and the communes' current "
                "bulletins (hourly; a publish does it too).",
            ),
        ),
        (
            board_health,
            dict(
                name="board-health",
                interval=timedelta(minutes=cfg.boards.health_interval_minutes),
                tags=["loa", "boards"],
                description="Board health table (online/offline, notices shown) and re-delivery after broker outages.",
            ),
        ),
        (
            recovery,
            dict(
                name="recovery",
                interval=RECOVERY_INTERVAL,
                triggers=[
                    DeploymentEventTrigger(
                        name=f"on {events.BROKER_RESTARTED}",
                        expect={events.BROKER_RESTARTED},
                        match={"prefect.resource.id": "loa.broker.*"},
                    )
                ],
                tags=["loa", "recovery"],
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
                description="Re-assert the broker's retained notices from the store; deliver again what a crash "
                "or outage left undone (every 2 min and on loa.broker.restarted).",
            ),
        ),
        (
            report,
            dict(
                name="report",
                schedule=Cron("0 7 1 * *", timezone=cfg.timezone),
                tags=["loa", "report"],
                description="Last month's figures (notices per channel, area, content area and priority; radio minutes; "
                "boards reached and acknowledged; ingest → approval → publication times) as CSV, Markdown, "
                "PNG and artifacts.",
            ),
        ),
        *radio_slot_deployments(cfg),
    ]


def radio_slot_deployments(cfg) -> list[tuple]:
    """One deployment per distinct slot time in stations.yaml, build_minutes_before it: each run builds every
    station airing the slot that is due (a few, however many stations)."""
    from loa.radio.schedule import cron_before, slot_times

    return [
        (
            radio_slot,
            dict(
                name=f"radio-slot-{at.replace(':', '')}",
                tags=["loa", "radio"],
                schedule=Cron(cron_before(at, cfg.radio.build_minutes_before), timezone=cfg.timezone),
                description=f"Build the playlist (M3U8, XSPF) of every station airing the {at} slot, "
                f"{cfg.radio.build_minutes_before} min before it; overflow carried to the next slot and reported.",
            ),
        )
        for at in slot_times(cfg.stations)
    ]


def weekly_print(cfg):
    """Cron for the weekly bulletin in local time (loa.yaml print.weekday/time, timezone)."""
    from prefect.schedules import Cron

    hour, minute = cfg.print.time.split(":")
    return Cron(f"{int(minute)} {int(hour)} * * {cfg.print.weekday % 7}", timezone=cfg.timezone)


PRELOAD = [
    "prefect.flow_engine",
    "flows.dispatch",
    "flows.ingest",
    "channels.boards",
    "channels.radio",
    "channels.website",
    "flows.print",
    "flows.site",
    "channels.printed",
    "channels.webhook",
    "flows.radio_slots",
]


def _noop() -> None:
    pass


def fast_flow_processes() -> None:
    """Start flow runs from a fork server that has already imported Prefect and Loa.

    The runner starts each in-memory flow's run in a *spawned* process that spends ~4 s on this
    2-core machine importing Prefect and Loa before the flow begins. A fork server is a clean,
    single-threaded process that imports them once; each run is forked from it in milliseconds.
    prefect.runner._starter_direct names run_flow_in_subprocess as the seam to patch; we only
    swap the multiprocessing context it asks for (measured: trivial flow run 7.4 s → 2.0 s).
    """
    import multiprocessing

    import prefect.flow_engine as engine

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)

    class _Multiprocessing:
        def __getattr__(self, name):
            return getattr(multiprocessing, name)

        @staticmethod
        def get_context(method=None):
            return ctx

    engine.multiprocessing = _Multiprocessing()  # type: ignore[assignment]  # a stand-in: only get_context changes
    warm = ctx.Process(target=_noop)  # boot the fork server now, not at the first approval
    warm.start()
    warm.join()


def main() -> None:
    fast_flow_processes()
    runner = Runner(name="loa", limit=8)
    # add_flow (not serve(*deployments)) keeps the flow objects in memory, so runs start with
    # run_flow_in_subprocess instead of a fresh `python -m prefect.engine` re-importing everything
    for flow, settings in deployments():
        runner.add_flow(flow, **settings)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
