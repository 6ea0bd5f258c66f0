"""The publishing core's scheduler (loa/publishing/scheduler.py) on Prefect: plain REST calls like
loa/app/events.py, no Prefect import, so the CLI and the desk stay light.

A due approval posts `loa.notice.approved`, which the dispatch deployment's trigger turns into a run at
once. A version with a future publish_at gets a dispatch flow run in state Scheduled at that time
instead (plus a `loa.notice.scheduled` event for the UI); the dispatch refuses it earlier whatever
starts the run. This module and flows/ are the only places that talk to Prefect's API.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from loa import events
from loa.app.events import PrefectApiError, find_prefect_api, post_event, prefect_request
from loa.config import Config
from loa.model import NoticeView
from loa.publishing.actions import Publishing
from loa.publishing.scheduler import Announcement, Offline, Scheduler, SchedulerError
from loa.store import Store

log = logging.getLogger(__name__)

DISPATCH_DEPLOYMENT = "dispatch/dispatch"
#: Prefect may start a scheduled run up to half a second early (it rounds the wait to whole
#: seconds); scheduling this much after publish_at keeps the dispatch from ever preceding it
SCHEDULE_MARGIN = timedelta(seconds=2)


def publishing_for(cfg: Config, store: Store) -> Publishing:
    """The use cases' context for the CLI or the desk: this store, Prefect if a server answers, and the
    channels that deliver at approval (built only when an approval asks for them)."""

    def at_approval():
        from channels.catalogue import AT_APPROVAL, build_channels

        return build_channels(cfg, store, AT_APPROVAL)

    return Publishing(store, cfg, scheduler_for(cfg), at_approval)


def scheduler_for(cfg: Config) -> Scheduler:
    """Prefect when a server answers (PREFECT_API_URL, or the run.json `loa run` leaves), else Offline."""
    api = find_prefect_api(cfg)
    return PrefectScheduler(api) if api else Offline()


class PrefectScheduler:
    def __init__(self, api: str):
        self.api = api.rstrip("/")

    def online(self) -> bool:
        return True

    def start_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        return self.tell(events.NOTICE_APPROVED, notice, _payload(notice, actor), kind="dispatch")

    def schedule_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        publish_at = notice.publish_at
        if publish_at is None:  # nothing to wait for (the use cases schedule only embargoed versions)
            return self.start_dispatch(notice, actor)
        try:
            run_id = self._create_scheduled_run(notice, publish_at)
            post_event(
                self.api,
                events.NOTICE_SCHEDULED,
                events.notice_resource(notice.id, notice.title),
                payload=_payload(notice, actor) | {"publish_at": publish_at.isoformat(), "flow_run_id": run_id},
            )
        except PrefectApiError as exc:
            return Announcement("failed", f"{self.api}: {exc}")
        return Announcement("scheduled", publish_at.isoformat(), run_id)

    def cancel(self, flow_run_id: str, why: str) -> None:
        try:
            prefect_request(
                "POST",
                f"{self.api}/flow_runs/{flow_run_id}/set_state",
                json={"state": {"type": "CANCELLED", "name": "Cancelled", "message": why}, "force": True},
            )
        except PrefectApiError as exc:
            raise SchedulerError(f"{self.api}: flow run {flow_run_id} not cancelled: {exc}") from exc

    def tell(self, event: str, notice: NoticeView, payload: dict, kind: str = "event") -> Announcement:
        try:
            post_event(self.api, event, events.notice_resource(notice.id, notice.title), payload=payload)
        except PrefectApiError as exc:
            return Announcement("failed", f"{self.api}: {exc}")
        return Announcement(kind)

    def _create_scheduled_run(self, notice: NoticeView, publish_at: datetime) -> str:
        deployment = prefect_request("GET", f"{self.api}/deployments/name/{DISPATCH_DEPLOYMENT}")
        at = publish_at + SCHEDULE_MARGIN
        body = {
            "name": f"dispatch notice {notice.id} v{notice.version} at {publish_at.isoformat()}",
            "parameters": {"notice_id": f"loa.notice.{notice.id}"},
            "state": {
                "type": "SCHEDULED",
                "name": "Scheduled",
                "message": "embargoed until publish_at",
                "state_details": {"scheduled_time": at.isoformat()},
            },
            # one scheduled run per version and time, however often the request is repeated
            "idempotency_key": f"loa-dispatch-{notice.id}-v{notice.version}-{publish_at.isoformat()}",
            "tags": ["loa", "dispatch", "scheduled"],
        }
        created = prefect_request("POST", f"{self.api}/deployments/{deployment['id']}/create_flow_run", json=body)
        return created["id"]


def _payload(notice: NoticeView, actor: str) -> dict:
    return {"version": notice.version, "by": actor, "priority": notice.priority.value}
