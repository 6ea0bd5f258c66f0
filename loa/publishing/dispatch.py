"""Dispatching a version to its channels: choose the version, plan the delivery rows, deliver stage by
stage, settle; the same for withdrawals; redelivery after outages. Plain code (no Prefect).

The dispatch flow (flows/dispatch.py) runs each channel of a stage as a task; `loa dispatch` without a
server and the tests call `dispatch_notice` directly. Each (notice, version, kind, channel, target) is
delivered once: a delivered row is never sent again, a pending or failed one is retried on the next run.
The order of the stages comes from what each channel class declares (`after`), not from channel names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loa import clock
from loa.errors import InvalidTransition
from loa.model import LIVE_STATES, DeliveryResult, DeliveryStatus, NoticeState, NoticeView
from loa.publishing import machine
from loa.store import Store

if TYPE_CHECKING:
    from channels.base import Channel


@dataclass
class DispatchReport:
    notice_id: int
    version: int
    state: str
    results: list[DeliveryResult] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)  # older versions this publication replaced

    @property
    def failed(self) -> list[DeliveryResult]:
        return [r for r in self.results if not r.ok]


def parse_notice_id(value: str | int) -> int:
    """Accept 42, "42" or the event resource id "loa.notice.42"."""
    text = str(value).removeprefix("loa.notice.")
    if not text.isdigit():
        raise ValueError(f"{value!r} is not a notice id (expected a number or loa.notice.<number>)")
    return int(text)


def publishable_version(store: Store, notice_id: int, now: datetime | None = None) -> NoticeView:
    """The version to put on public channels now: the newest approved or published one that is due.
    During a newer version's embargo that is the older public one (a re-dispatch completes it);
    refuses a version without a recorded approval, and an embargoed one with nothing public before it."""
    embargoed = None
    for view in _versions_newest_first(store, notice_id):
        if view.state not in LIVE_STATES:
            continue
        if not view.approved_by:
            raise InvalidTransition(f"notice {notice_id} v{view.version} has no recorded approval; not dispatched")
        if machine.is_due(view.priority, view.publish_at, now):
            return view
        embargoed = embargoed or view
    if embargoed is not None:
        raise InvalidTransition(
            f"notice {notice_id} v{embargoed.version} is embargoed until {embargoed.publish_at.isoformat()}; "
            f"not dispatched before then (its scheduled dispatch run does it at that time)"
        )
    latest = store.notice(notice_id)
    raise InvalidTransition(
        f"notice {notice_id} is {latest.state.value} (v{latest.version}); only approved notices are dispatched — "
        f"approve it first with `loa approve {notice_id} --by NAME`"
    )


def _versions_newest_first(store: Store, notice_id: int):
    latest = store.notice(notice_id)
    for version in range(latest.version, 0, -1):
        yield latest if version == latest.version else store.notice(notice_id, version)


def stages(channels: dict[str, Channel]) -> list[list[str]]:
    """The channels in dispatch order: each stage holds the channels whose `after` are all in earlier
    stages (a channel named in `after` but not dispatched this time is no reason to wait)."""
    left = {name: {a for a in getattr(ch, "after", ()) if a in channels} for name, ch in channels.items()}
    done: set[str] = set()
    order = []
    while left:
        ready = sorted(name for name, needs in left.items() if needs <= done)
        if not ready:
            raise ValueError(
                f"channels wait for each other in a circle: {', '.join(sorted(left))}; fix their `after` declarations"
            )
        order.append(ready)
        done.update(ready)
        for name in ready:
            del left[name]
    return order


def plan(store: Store, channels: dict[str, Channel], notice: NoticeView, kind: str = "publish") -> dict[str, list[str]]:
    """The delivery rows to create. A withdrawal goes only where some version was delivered:
    a notice withdrawn before it was ever published must not appear anywhere, not even marked."""
    targets = {name: ch.targets(notice) for name, ch in channels.items()}
    if kind == "withdraw":
        reached = {
            (d.channel, d.target)
            for d in store.deliveries(notice.id, kind="publish")
            if d.status == DeliveryStatus.DELIVERED.value
        }
        targets = {name: [t for t in names if (name, t) in reached] for name, names in targets.items()}
    store.plan_deliveries(notice.id, notice.version, kind, targets)
    return targets


def begin(store: Store, channels: dict[str, Channel], notice: NoticeView) -> list[int]:
    """A version goes public: the older live versions are superseded now (not at the approval of an
    embargoed one), and its delivery rows planned. Returns the superseded version numbers."""
    superseded = store.supersede_older(notice.id, notice.version)
    plan(store, channels, notice)
    return superseded


def deliver(store: Store, channel: Channel, notice: NoticeView, kind: str = "publish") -> list[DeliveryResult]:
    """Deliver every pending target of one channel and record each result."""
    pending = [
        d.target
        for d in store.deliveries(notice.id, notice.version, channel.name, kind)
        if d.status != DeliveryStatus.DELIVERED.value
    ]
    if not pending:
        return []
    action = channel.dispatch if kind == "publish" else channel.withdraw
    results = action(notice, pending)
    for result in results:
        store.record_delivery(notice.id, notice.version, kind, result)
    return results


def dispatch_notice(
    store: Store, channels: dict[str, Channel], notice_id: int, *, role: str = "operator"
) -> DispatchReport:
    """The whole dispatch in one process, stage after stage (the web page links the radio audio)."""
    notice = publishable_version(store, notice_id)
    machine.check(notice.id, notice.version, notice.state, role, "dispatch")
    superseded = begin(store, channels, notice)
    results = []
    for stage in stages(channels):
        for name in stage:
            results += deliver(store, channels[name], notice)
    state = store.settle(notice.id, notice.version)
    return DispatchReport(notice.id, notice.version, state.value, results, superseded)


def deliver_at_approval(store: Store, channels: dict[str, Channel], notice: NoticeView) -> list[DeliveryResult]:
    """The channels that declare `at_approval` (fast, nothing to prepare: the boards) delivered from the
    approving process itself, before the dispatch run starts; the run finds them delivered and does the
    rest. Only for a due version (the caller checks)."""
    early = {n: ch for n, ch in channels.items() if getattr(ch, "at_approval", False) and not getattr(ch, "after", ())}
    if not early:
        return []
    begin(store, early, notice)
    results = []
    for ch in early.values():
        results += deliver(store, ch, notice)
    return results


def withdraw_notice(store: Store, channels: dict[str, Channel], notice_id: int) -> DispatchReport:
    """Take a withdrawn version off every channel it was delivered to."""
    notice = store.notice(notice_id)
    if notice.state != NoticeState.WITHDRAWN:
        raise InvalidTransition(
            f"notice {notice_id} is {notice.state.value}; withdraw it first with `loa withdraw {notice_id} --by NAME`"
        )
    plan(store, channels, notice, kind="withdraw")
    results = []
    for stage in stages(channels):
        for name in stage:
            results += deliver(store, channels[name], notice, kind="withdraw")
    return DispatchReport(notice.id, notice.version, notice.state.value, results)


def redeliver(
    store: Store,
    channels: dict[str, Channel],
    settle_after: timedelta = timedelta(minutes=2),
    now: datetime | None = None,
    *,
    role: str = "operator",
) -> list[DeliveryResult]:
    """Deliver what a long outage left failed on these channels (the board-health flow runs it for the
    broker channels): current versions published again, withdrawn ones cleared, each target once.

    Prefect retries a failed deliver task a few times; an outage longer than that leaves rows failed.
    Rows newer than `settle_after` are left to the dispatch run's own retries."""
    if not machine.may(role, "redeliver"):
        raise InvalidTransition(f"redelivering needs the {machine.RULES['redeliver'].role} role (you act as {role})")
    settled = (now or clock.now()) - settle_after
    work = [(n, "publish") for n in store.live_notices()]
    work += [(n, "withdraw") for n in store.notices(NoticeState.WITHDRAWN)]
    results = []
    for notice, kind in work:
        touched = False
        for channel in channels.values():
            rows = store.deliveries(notice.id, notice.version, channel.name, kind)
            if any(d.status == DeliveryStatus.FAILED.value and d.updated_at < settled for d in rows):
                results += deliver(store, channel, notice, kind)
                touched = True
        if touched and kind == "publish":
            store.settle(notice.id, notice.version)
    return results
