"""What the use cases ask of whatever starts dispatch runs: start one now, schedule one, cancel one, tell.

The one real implementation talks to Prefect (loa/app/prefect_scheduler.py, at the edge); `Offline` is
what the use cases get when no Prefect server runs (approvals are recorded, nothing is started).
Every call returns an Announcement or raises SchedulerError: the use cases record what happened in
the audit trail either way, so the store stays the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from loa.errors import LoaError
from loa.model import NoticeView


class SchedulerError(LoaError):
    """The scheduler did not take the request (server unreachable, refused)."""


@dataclass(frozen=True)
class Announcement:
    #: "dispatch" (a dispatch run was asked for now) | "scheduled" (a run waits for publish_at) |
    #: "event" (told) | "offline" (no scheduler: nothing started) | "failed" (the scheduler refused) |
    #: "none" (nothing to tell: e.g. a withdrawal of a version no channel ever had)
    kind: str
    detail: str = ""
    flow_run_id: str | None = None

    @property
    def told(self) -> bool:
        return self.kind in ("dispatch", "scheduled", "event")


class Scheduler(Protocol):
    def online(self) -> bool:
        """True when runs can be started (a Prefect server answers)."""

    def start_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        """Start the dispatch of a due approved version now."""

    def schedule_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        """A dispatch run waiting for the version's publish time; its id in `flow_run_id`."""

    def cancel(self, flow_run_id: str, why: str) -> None:
        """Cancel a scheduled run (raises SchedulerError when it cannot)."""

    def tell(self, event: str, notice: NoticeView, payload: dict) -> Announcement:
        """Post an event about the notice (rejected, withdrawn: the withdraw deployment listens)."""


class Offline:
    """No scheduler: every request is answered "offline" and nothing starts."""

    def online(self) -> bool:
        return False

    def start_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        return Announcement("offline")

    def schedule_dispatch(self, notice: NoticeView, actor: str) -> Announcement:
        return Announcement("offline")

    def cancel(self, flow_run_id: str, why: str) -> None:
        raise SchedulerError(
            f"no Prefect server is running, so flow run {flow_run_id} was not cancelled; "
            "it refuses a withdrawn notice when it starts"
        )

    def tell(self, event: str, notice: NoticeView, payload: dict) -> Announcement:
        return Announcement("offline")
