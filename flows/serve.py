"""The deployments `loa run` serves, in code so `serve()` and prefect.yaml say the same thing.

Run as `python -m flows.serve` (loa run does it with PREFECT_API_URL and a
1-second runner poll, so approval → dispatch takes seconds, not ~10 s).
"""

from __future__ import annotations

from datetime import timedelta

from prefect import serve
from prefect.events import DeploymentEventTrigger

from flows.dispatch import dispatch, withdraw
from flows.ingest import ingest
from loa.runtime import runtime


def on_notice_event(event: str) -> DeploymentEventTrigger:
    # `match` scopes the trigger to Loa's notices: an empty match would fire on every resource
    return DeploymentEventTrigger(
        name=f"on {event}", expect={event}, match={"prefect.resource.id": "loa.notice.*"},
        parameters={"notice_id": "{{ event.resource.id }}"},
    )


def deployments():
    cfg, _ = runtime()
    return [
        ingest.to_deployment(
            name="ingest", interval=timedelta(minutes=cfg.ingest_interval_minutes), tags=["loa", "ingest"],
            description="Poll every configured feed and draft notices for new and amended reform documents.",
        ),
        dispatch.to_deployment(
            name="dispatch", triggers=[on_notice_event("loa.notice.approved")], tags=["loa", "dispatch"],
            description="Deliver an approved notice to website, boards and radio (started by loa.notice.approved).",
        ),
        withdraw.to_deployment(
            name="withdraw", triggers=[on_notice_event("loa.notice.withdrawn")], tags=["loa", "withdraw"],
            description="Take a withdrawn notice off every channel (started by loa.notice.withdrawn).",
        ),
    ]


def main() -> None:
    serve(*deployments(), limit=8, print_starting_message=False)


if __name__ == "__main__":
    main()
