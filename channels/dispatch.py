"""Dispatching a notice to its channels: plan the delivery rows, deliver what is pending, settle.

This is plain code (no Prefect): the dispatch flow wraps `deliver()` in one
task per channel; `loa dispatch` and tests call it directly. Each
(notice, version, channel, target) is delivered once: a delivered row is
never sent again, a pending or failed one is retried on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loa.errors import InvalidTransition
from loa.model import LIVE_STATES, DeliveryResult, DeliveryStatus, NoticeState, NoticeView, Priority
from loa.store import Store
from loa.store.schema import utcnow

from channels.base import AFTER_RADIO, Channel


@dataclass
class DispatchReport:
    notice_id: int
    version: int
    state: str
    results: list[DeliveryResult] = field(default_factory=list)

    @property
    def failed(self) -> list[DeliveryResult]:
        return [r for r in self.results if not r.ok]


def parse_notice_id(value: str | int) -> int:
    """Accept 42, "42" or the event resource id "loa.notice.42"."""
    text = str(value).removeprefix("loa.notice.")
    if not text.isdigit():
        raise ValueError(f"{value!r} is not a notice id (expected a number or loa.notice.<number>)")
    return int(text)


def approved_version(store: Store, notice_id: int) -> NoticeView:
    """The version to put on public channels; refuses anything without a recorded approval."""
    for view in _versions_newest_first(store, notice_id):
        if view.state in LIVE_STATES:
            if not view.approved_by:
                raise InvalidTransition(f"notice {notice_id} v{view.version} has no recorded approval; not dispatched")
            if view.publish_at and view.publish_at > utcnow() and view.priority != Priority.EMERGENCY:
                # embargoed: the desk schedules a dispatch run at publish_at; emergencies go out at once
                raise InvalidTransition(
                    f"notice {notice_id} v{view.version} is embargoed until {view.publish_at.isoformat()}; "
                    f"not dispatched before then (its scheduled dispatch run does it at that time)")
            return view
    latest = store.notice(notice_id)
    raise InvalidTransition(
        f"notice {notice_id} is {latest.state.value} (v{latest.version}); only approved notices are dispatched — "
        f"approve it first with `loa approve {notice_id} --by NAME`")


def _versions_newest_first(store: Store, notice_id: int):
    latest = store.notice(notice_id)
    for version in range(latest.version, 0, -1):
        yield latest if version == latest.version else store.notice(notice_id, version)


def plan(store: Store, channels: dict[str, Channel], notice: NoticeView, kind: str = "publish") -> dict[str, list[str]]:
    """The delivery rows to create. A withdrawal goes only where some version was delivered:
    a notice withdrawn before it was ever published must not appear anywhere, not even marked."""
    targets = {name: ch.targets(notice) for name, ch in channels.items()}
    if kind == "withdraw":
        reached = {(d.channel, d.target) for d in store.deliveries(notice.id, kind="publish")
                   if d.status == DeliveryStatus.DELIVERED.value}
        targets = {name: [t for t in names if (name, t) in reached] for name, names in targets.items()}
    store.plan_deliveries(notice.id, notice.version, kind, targets)
    return targets


def deliver(store: Store, channel: Channel, notice: NoticeView, kind: str = "publish") -> list[DeliveryResult]:
    """Deliver every pending target of one channel and record each result."""
    pending = [d.target for d in store.deliveries(notice.id, notice.version, channel.name, kind)
               if d.status != DeliveryStatus.DELIVERED.value]
    if not pending:
        return []
    action = channel.dispatch if kind == "publish" else channel.withdraw
    results = action(notice, pending)
    for result in results:
        store.record_delivery(notice.id, notice.version, kind, result)
    return results


def dispatch_notice(store: Store, channels: dict[str, Channel], notice_id: int) -> DispatchReport:
    """The whole dispatch in one process, channel after channel (radio before website and CAP: they link the audio)."""
    notice = approved_version(store, notice_id)
    plan(store, channels, notice)
    results = []
    for name in sorted(channels, key=lambda n: n in AFTER_RADIO):
        results += deliver(store, channels[name], notice)
    state = store.settle(notice.id, notice.version)
    return DispatchReport(notice.id, notice.version, state.value, results)


def withdraw_notice(store: Store, channels: dict[str, Channel], notice_id: int) -> DispatchReport:
    """Take a withdrawn notice off every channel it was delivered to."""
    notice = store.notice(notice_id)
    if notice.state != NoticeState.WITHDRAWN:
        raise InvalidTransition(f"notice {notice_id} is {notice.state.value}; withdraw it first with "
                                f"`loa withdraw {notice_id} --by NAME`")
    plan(store, channels, notice, kind="withdraw")
    results = []
    for ch in channels.values():
        results += deliver(store, ch, notice, kind="withdraw")
    return DispatchReport(notice.id, notice.version, notice.state.value, results)
