"""The editorial use cases, each written once: edit, schedule, approve, reject, withdraw, expire.

Each takes who acts (`Actor`: a name and a role of the state table) and returns an `Outcome` that the
adapters only present: the CLI prints it or its JSON, the desk redirects with its `code`. Every check
happens before anything is written, so a refusal (InvalidTransition, NotFound, EditConflict) changes
nothing. The store writes each change and its audit row in one transaction; what was asked of the
scheduler (a run started, scheduled or cancelled) is an audit row too, so the store stays the source of
truth whatever Prefect remembers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from loa import events
from loa.config import Config
from loa.errors import InvalidTransition, NotFound
from loa.model import CHANNELS, DeliveryResult, NoticeView, Priority
from loa.publishing import machine
from loa.publishing.dispatch import deliver_at_approval
from loa.publishing.scheduler import Announcement, Offline, Scheduler, SchedulerError
from loa.store import Store
from loa.store import desk as desk_store
from loa.store.desk import Change

if TYPE_CHECKING:
    from channels.base import Channel


class Unset(Enum):
    """The type of UNSET: a one-member enum, so that `x is UNSET` narrows `T | None | Unset` to `T | None`."""

    UNSET = "unset"


#: "leave it as it is" for the optional fields of an edit or approval (None means "clear it")
UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # one of machine.ROLES

    def __post_init__(self):
        if not self.name or not self.name.strip():
            raise InvalidTransition("say who you are (--by NAME)")
        if self.role not in machine.ROLES:
            raise InvalidTransition(f"role {self.role!r} does not exist; the roles are {', '.join(machine.ROLES)}")


@dataclass
class Publishing:
    """What the use cases work with: the store, the config (areas), the scheduler, and the channels
    (built on demand: only an approval that delivers at once needs them)."""

    store: Store
    cfg: Config
    scheduler: Scheduler = field(default_factory=Offline)
    channels: Callable[[], dict[str, Channel]] = dict


@dataclass
class Outcome:
    """What an action did, for the adapters to present."""

    action: str
    notice_id: int
    version: int
    state: str
    by: str
    #: a short code: saved | unchanged | approved-dispatch | approved-scheduled | approved-offline |
    #: approved-failed | rejected | withdrawn | withdrawn-unpublished | withdrawn-offline | expired
    code: str
    changes: list[Change] = field(default_factory=list)
    announcement: Announcement | None = None
    delivered_at_approval: list[DeliveryResult] = field(default_factory=list)
    flow_runs_cancelled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["announcement"] = self.announcement.kind if self.announcement else None
        d["flow_run_id"] = self.announcement.flow_run_id if self.announcement else None
        d["event_emitted"] = bool(self.announcement and self.announcement.told)
        return d


def _require(p: Publishing, actor: Actor, notice_id: int, version: int | None, action: str) -> NoticeView:
    """The version the action is about, refusing before anything is written."""
    n = p.store.notice(notice_id, version)
    machine.check(n.id, n.version, n.state, actor.role, action)
    return n


def _edited(action: str, n: NoticeView, actor: Actor, changes: list[Change]) -> Outcome:
    return Outcome(action, n.id, n.version, n.state.value, actor.name, "saved" if changes else "unchanged", changes)


# --- drafts -----------------------------------------------------------------------------------


def edit(
    p: Publishing,
    actor: Actor,
    notice_id: int,
    version: int,
    *,
    texts: dict[str, str] | None = None,
    bases: dict[str, str] | None = None,
    priority: Priority | None = None,
    areas: list[str] | None = None,
) -> Outcome:
    """Change a draft: channel texts (`bases`: text_hash of the text each edit started from, to refuse
    an edit over someone else's newer save), priority, target areas (checked against areas.yaml)."""
    n = _require(p, actor, notice_id, version, "edit")
    for channel in texts or {}:
        if channel not in CHANNELS:
            raise NotFound(f"channel {channel!r} does not exist; the channels are {', '.join(CHANNELS)}")
    if areas is not None:
        unknown = [a for a in areas if a not in p.cfg.areas]
        if unknown:
            raise InvalidTransition(
                f"notice {notice_id}: area(s) {', '.join(unknown)} are not in {p.cfg.config_dir / 'areas.yaml'}"
            )
        if not areas:
            raise InvalidTransition(f"notice {notice_id} needs at least one target area")
    changes: list[Change] = []
    for channel, body in (texts or {}).items():
        change = desk_store.edit_variant(
            p.store, n.id, n.version, channel, body, actor.name, base=(bases or {}).get(channel)
        )
        changes += [change] if change else []
    if priority is not None or areas is not None:
        changes += desk_store.set_settings(p.store, n.id, n.version, actor.name, priority=priority, areas=areas)
    return _edited("edit", n, actor, changes)


def schedule(
    p: Publishing,
    actor: Actor,
    notice_id: int,
    version: int,
    *,
    publish_at: datetime | None,
    expires_at: datetime | None,
) -> Outcome:
    """A draft's publish time (embargo) and expiry, both optional; the expiry must follow publication."""
    n = _require(p, actor, notice_id, version, "schedule")
    changes = desk_store.set_schedule(
        p.store, n.id, n.version, actor.name, publish_at=publish_at, expires_at=expires_at
    )
    return _edited("schedule", n, actor, changes)


def record_media(p: Publishing, actor: Actor, notice_id: int, version: int, change: Change) -> Outcome:
    """An edit that changes a file, not a column (read-aloud audio made, a recording uploaded): audited."""
    n = _require(p, actor, notice_id, version, "edit")
    desk_store.record(p.store, n.id, n.version, actor.name, change)
    return _edited("edit", n, actor, [change])


def set_cap(
    p: Publishing,
    actor: Actor,
    notice_id: int,
    version: int,
    *,
    disaster_level: int | None | Unset = UNSET,
    alert_status: str | None = None,
    instruction: str | None = None,
) -> Outcome:
    """A draft's CAP fields (issue 16: risk level 1–5 or None, actual/exercise/test, instruction): an edit
    like `edit`'s, checked by the same state-table rule; the CAP columns are written by loa.store.cap
    (the edit use case above covers only the channel texts, priority and areas)."""
    from loa.store import cap as cap_store

    n = _require(p, actor, notice_id, version, "edit")
    changes = cap_store.set_alert(
        p.store,
        n.id,
        n.version,
        actor.name,
        alert_status=alert_status,
        instruction=instruction,
        disaster_level=... if disaster_level is UNSET else disaster_level,
    )
    return _edited("edit", n, actor, changes)


# --- decisions --------------------------------------------------------------------------------


def approve(
    p: Publishing,
    actor: Actor,
    notice_id: int,
    version: int | None = None,
    *,
    publish_at: datetime | None | Unset = UNSET,
    expires_at: datetime | None | Unset = UNSET,
) -> Outcome:
    """Approve a draft, optionally setting its publish time and expiry in the same transaction.

    A due version (no publish time, one passed, or an emergency) replaces the older live version at once
    and its dispatch starts now: the channels that declare `at_approval` (boards) are delivered from this
    process, the rest by the dispatch run. A version under embargo gets a dispatch run scheduled at its
    publish time, recorded in the audit trail; the older version stays live on every channel until then."""
    n = _require(p, actor, notice_id, version, "approve")
    prepare: Callable[[Any, Any], None] | None = None
    if publish_at is not UNSET or expires_at is not UNSET:
        machine.check(n.id, n.version, n.state, actor.role, "schedule")
        publish_at = n.publish_at if publish_at is UNSET else publish_at
        expires_at = n.expires_at if expires_at is UNSET else expires_at
        desk_store.check_schedule(n.id, publish_at, expires_at)

        def apply(s, row) -> None:
            desk_store.apply_schedule(s, row, actor.name, publish_at, expires_at)

        prepare = apply
    n = p.store.transition(n.id, "approve", actor.name, version=n.version, role=actor.role, prepare=prepare)
    if not machine.is_due(n.priority, n.publish_at):
        said = p.scheduler.schedule_dispatch(n, actor.name)
        if said.kind == "scheduled":
            desk_store.record(
                p.store,
                n.id,
                n.version,
                machine.SYSTEM_ACTOR,
                Change("schedule", "flow_run", None, said.flow_run_id),
                reason=f"dispatch scheduled at {said.detail}",
                drafts_only=False,
            )
        return Outcome(
            "approve", n.id, n.version, n.state.value, actor.name, f"approved-{said.kind}", announcement=said
        )
    early = []
    if p.scheduler.online():
        early = deliver_at_approval(p.store, p.channels(), n)
    said = p.scheduler.start_dispatch(n, actor.name)
    return Outcome(
        "approve",
        n.id,
        n.version,
        p.store.notice(n.id, n.version).state.value,
        actor.name,
        f"approved-{said.kind}",
        announcement=said,
        delivered_at_approval=early,
    )


def reject(p: Publishing, actor: Actor, notice_id: int, version: int | None = None, *, reason: str) -> Outcome:
    """Reject a draft; the reason (at least 3 characters) tells the editor what to fix."""
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise InvalidTransition(f"reject notice {notice_id}: give a reason (--reason), so the editor knows what to fix")
    n = _require(p, actor, notice_id, version, "reject")
    n = p.store.transition(n.id, "reject", actor.name, reason, version=n.version, role=actor.role)
    said = p.scheduler.tell(events.NOTICE_REJECTED, n, {"version": n.version, "by": actor.name, "reason": reason})
    return Outcome("reject", n.id, n.version, n.state.value, actor.name, "rejected", announcement=said)


def withdraw(
    p: Publishing, actor: Actor, notice_id: int, version: int | None = None, *, reason: str | None = None
) -> Outcome:
    """Withdraw an approved or public version. Its still-scheduled dispatch run is cancelled (audited);
    a version no channel ever had is withdrawn without telling any channel (nothing public is written);
    a newer version under embargo withdrawn leaves the older live one as it was."""
    reason = " ".join((reason or "").split()) or None
    if not machine.may(actor.role, "withdraw"):
        raise InvalidTransition(
            f"cannot withdraw notice {notice_id}: it needs the "
            f"{machine.RULES['withdraw'].role} role (you act as {actor.role})"
        )
    # without a version: the newest one that can be withdrawn (a public v1 under a rejected v2 draft)
    n = p.store.transition(notice_id, "withdraw", actor.name, reason, version=version, role=actor.role)
    cancelled = _cancel_scheduled(p, n, actor)
    if not p.store.deliveries(n.id, n.version, kind="publish"):
        # never dispatched (withdrawn during its embargo): no channel has it, and nothing may write a
        # "withdrawn" page for a version the public never saw
        return Outcome(
            "withdraw",
            n.id,
            n.version,
            n.state.value,
            actor.name,
            "withdrawn-unpublished",
            announcement=Announcement("none"),
            flow_runs_cancelled=cancelled,
        )
    said = p.scheduler.tell(
        events.NOTICE_WITHDRAWN, n, {"version": n.version, "by": actor.name, "reason": reason or ""}
    )
    return Outcome(
        "withdraw",
        n.id,
        n.version,
        n.state.value,
        actor.name,
        "withdrawn" if said.told else "withdrawn-offline",
        announcement=said,
        flow_runs_cancelled=cancelled,
    )


def scheduled_runs(store: Store, notice_id: int, version: int) -> list[str]:
    """The dispatch runs scheduled for this version and not cancelled since (from the audit trail)."""
    runs: list[str] = []
    for h in desk_store.history(store, notice_id):
        if h.version != version:
            continue
        if h.action == "schedule" and h.after:
            runs.append(h.after)
        elif h.action == "unschedule" and h.before in runs and not (h.reason or "").startswith("could not"):
            runs.remove(h.before)
    return runs


def _cancel_scheduled(p: Publishing, n: NoticeView, actor: Actor) -> list[str]:
    cancelled = []
    for run_id in scheduled_runs(p.store, n.id, n.version):
        try:
            p.scheduler.cancel(run_id, f"notice {n.id} v{n.version} withdrawn by {actor.name}")
        except SchedulerError as exc:  # the run refuses a withdrawn version anyway; the trail says so
            desk_store.record(
                p.store,
                n.id,
                n.version,
                machine.SYSTEM_ACTOR,
                Change("unschedule", "flow_run", run_id, None),
                reason=f"could not cancel: {exc}",
                drafts_only=False,
            )
            continue
        desk_store.record(
            p.store,
            n.id,
            n.version,
            machine.SYSTEM_ACTOR,
            Change("unschedule", "flow_run", run_id, None),
            reason="withdrawn before its publish time",
            drafts_only=False,
        )
        cancelled.append(run_id)
    return cancelled


def expire(p: Publishing, actor: Actor, notice_id: int, version: int, now: datetime | None = None) -> Outcome:
    """A version past its expiry becomes expired: it leaves the current lists, boards and playlists."""
    n = _require(p, actor, notice_id, version, "expire")
    n = p.store.transition(n.id, "expire", actor.name, "its expiry passed", version=n.version, role=actor.role, now=now)
    return Outcome("expire", n.id, n.version, n.state.value, actor.name, "expired")


def expire_due(p: Publishing, now: datetime | None = None) -> list[Outcome]:
    """Every live version past its expiry becomes expired (the site-refresh deployment runs it hourly)."""
    loa = Actor(machine.SYSTEM_ACTOR, "operator")
    due = [
        n
        for state in machine.RULES["expire"].sources
        for n in p.store.notices(state, limit=10**9)
        if machine.is_expired(n.expires_at, now)
    ]
    return [expire(p, loa, n.id, n.version, now) for n in due]
