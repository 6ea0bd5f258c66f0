"""Telling Prefect what an editor decided (desk or CLI): plain REST calls, like loa/app/events.py (no Prefect import).

Approval of a notice to publish now (or an emergency) posts `loa.notice.approved`, which the
dispatch deployment's trigger turns into a run at once. A notice with a future publish_at gets a
dispatch flow run in state Scheduled at that time instead (plus a `loa.notice.scheduled` event
for the UI); channels/dispatch.py refuses to dispatch it earlier whatever starts the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from loa import events
from loa.app.events import find_prefect_api, post_event, prefect_request
from loa.config import Config
from loa.model import NoticeView, Priority
from loa.store.schema import utcnow

NOTICE_SCHEDULED = "loa.notice.scheduled"
DISPATCH_DEPLOYMENT = "dispatch/dispatch"
#: Prefect may start a scheduled run up to half a second early (it rounds the wait to whole
#: seconds); scheduling this much after publish_at keeps the dispatch from ever preceding it
SCHEDULE_MARGIN = timedelta(seconds=2)


@dataclass(frozen=True)
class Announcement:
    kind: str  # "dispatch" (event posted) | "scheduled" (flow run created) | "offline" | "failed" | "event"
    detail: str = ""
    flow_run_id: str | None = None


def prefect_api(cfg: Config) -> str | None:
    return find_prefect_api(cfg)  # the same discovery as `loa approve`: PREFECT_API_URL or run.json


def dispatches_now(notice: NoticeView, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return notice.priority == Priority.EMERGENCY or notice.publish_at is None or notice.publish_at <= now


def schedule_dispatch(api: str, notice: NoticeView) -> str:
    """A dispatch flow run in state Scheduled just after publish_at; returns its id."""
    api = api.rstrip("/")
    found = prefect_request("GET", f"{api}/deployments/name/{DISPATCH_DEPLOYMENT}")
    at = notice.publish_at + SCHEDULE_MARGIN
    body = {
        "name": f"dispatch notice {notice.id} v{notice.version} at {notice.publish_at.isoformat()}",
        "parameters": {"notice_id": f"loa.notice.{notice.id}"},
        "state": {"type": "SCHEDULED", "name": "Scheduled", "message": "embargoed until publish_at",
                  "state_details": {"scheduled_time": at.isoformat()}},
        # one scheduled run per version and time, however often the request is repeated
        "idempotency_key": f"loa-dispatch-{notice.id}-v{notice.version}-{notice.publish_at.isoformat()}",
        "tags": ["loa", "dispatch", "scheduled"],
    }
    created = prefect_request("POST", f"{api}/deployments/{found.json()['id']}/create_flow_run", json=body)
    return created.json()["id"]


def cancel_flow_run(api: str, flow_run_id: str, why: str) -> None:
    prefect_request("POST", f"{api.rstrip('/')}/flow_runs/{flow_run_id}/set_state", json={
        "state": {"type": "CANCELLED", "name": "Cancelled", "message": why}, "force": True})


def announce_approval(cfg: Config, notice: NoticeView, actor: str) -> Announcement:
    """After the store recorded the approval: start the dispatch now, or schedule it at publish_at."""
    api = prefect_api(cfg)
    if api is None:
        return Announcement("offline")
    resource = events.notice_resource(notice.id, notice.title)
    payload = {"version": notice.version, "by": actor, "priority": notice.priority.value}
    try:
        if dispatches_now(notice):
            post_event(api, events.NOTICE_APPROVED, resource, payload=payload)
            return Announcement("dispatch")
        run_id = schedule_dispatch(api, notice)
        post_event(api, NOTICE_SCHEDULED, resource, payload=payload | {
            "publish_at": notice.publish_at.isoformat(), "flow_run_id": run_id})
        return Announcement("scheduled", notice.publish_at.isoformat(), run_id)
    except requests.RequestException as exc:
        return Announcement("failed", f"{api}: {exc}")


def announce(cfg: Config, event: str, notice: NoticeView, actor: str, reason: str | None) -> Announcement:
    """Post a rejection or withdrawal event (the withdraw deployment takes the notice off the channels)."""
    api = prefect_api(cfg)
    if api is None:
        return Announcement("offline")
    try:
        post_event(api, event, events.notice_resource(notice.id, notice.title),
                   payload={"version": notice.version, "by": actor, "reason": reason or ""})
        return Announcement("event")
    except requests.RequestException as exc:
        return Announcement("failed", f"{api}: {exc}")
