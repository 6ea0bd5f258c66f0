"""Dispatching a version to its channels: choose the version, plan the delivery rows, deliver stage by
stage, settle; the same for withdrawals; redelivery after outages. Plain code (no Prefect).

The dispatch flow (flows/dispatch.py) runs each channel of a stage as a task; `loa dispatch` without a
server and the tests call `dispatch_notice` directly. Each (notice, version, kind, channel, target) is
delivered once: a delivered row is never sent again, a pending or failed one is retried on the next run.
The order of the stages comes from what each channel class declares (`after`), not from channel names.

Under faults (issue 17, docs/delivery.md): one dispatch or withdrawal of a notice at a time (a lease in
the store, `hold`); every row is claimed before it is sent and its outcome recorded after; a channel
asks the guard (loa.sendguard) right before each send, so a withdrawal stops what is not yet sent; a
send that cannot be taken back (the emergency play command) is marked before it starts and never
repeated by a successor that cannot know whether it went out. `recover` and `reassert` bring back what
a crash or a broker restart lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loa import clock, faults, sendguard
from loa.errors import InvalidTransition, LoaError
from loa.model import LIVE_STATES, DeliveryResult, DeliveryStatus, NoticeState, NoticeView
from loa.publishing import claims, machine
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
        # delivered, or that may have been: claimed by a dispatch still running or killed mid-send, and
        # for a send that cannot be taken back (play) any attempt (a playlist built, a PUBACK lost)
        reached = {
            (d.channel, d.target)
            for d in store.deliveries(notice.id, kind="publish")
            if claims.may_have_reached(_row(d))
            or (d.status == DeliveryStatus.FAILED.value and not _idempotent(channels.get(d.channel)))
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


class Busy(LoaError):
    """Another dispatch or withdrawal of the notice holds its lease."""


#: how long a second dispatch of a notice waits for the first before giving up (it would find every
#: target delivered anyway); a withdrawal waits as long, then goes ahead (the guard stops any play)
WAIT = timedelta(seconds=90)


#: the lease this context holds (notice id, holder): renewed before each send of a long dispatch
_held: ContextVar[tuple[int, str, str] | None] = ContextVar("loa_dispatch_lease", default=None)


def _renew(store: Store, notice_id: int) -> None:
    from loa.store import claims as held

    lease = _held.get()
    if lease is not None and lease[0] == notice_id:
        held.acquire(store, notice_id, lease[1], lease[2], alive=claims.holder_alive, lease=claims.LEASE)


@contextmanager
def hold(store: Store, notice_id: int, purpose: str, *, wait: timedelta = WAIT, force: bool = False) -> Iterator[str]:
    """The notice's dispatch lease for the block (yields the holder name). A second holder waits up to
    `wait`, then raises Busy naming who holds it (or, with `force`, goes on without the lease)."""
    from loa.store import claims as held

    me = claims.new_holder()
    deadline = time.monotonic() + wait.total_seconds()
    while (
        other := held.acquire(store, notice_id, me, purpose, alive=claims.holder_alive, lease=claims.LEASE)
    ) is not None:
        if time.monotonic() >= deadline:
            if force:
                break
            raise Busy(
                f"notice {notice_id} is being handled by another {other.purpose} ({other.holder}, lease until "
                f"{other.until.isoformat(timespec='seconds')}); nothing sent twice — try again when it ends"
            )
        time.sleep(0.25)
    token = _held.set((notice_id, me, purpose))
    try:
        yield me
    finally:
        _held.reset(token)
        held.give_back(store, notice_id, me)


def _row(d) -> claims.RowState:
    return claims.RowState(d.target, d.status, d.claimed_by, d.claim_until, d.sent_at, d.updated_at)


def _idempotent(channel) -> bool:
    return bool(getattr(channel, "idempotent", True))


def still_public(store: Store, notice: NoticeView) -> bool:
    """Is this version still one to put on public channels (not withdrawn, superseded or rejected)?"""
    from loa.store import claims as held

    state = held.version_state(store, notice.id, notice.version)
    return state is not None and NoticeState(state) in LIVE_STATES


def deliver(
    store: Store, channel: Channel, notice: NoticeView, kind: str = "publish", *, holder: str | None = None
) -> list[DeliveryResult]:
    """Deliver every pending target of one channel and record each result: claim, send, record.

    Claimed targets a live dispatch holds are left to it; a target a dead dispatch may have sent with
    a command that cannot be repeated is recorded as delivered-in-doubt, not sent again."""
    from loa.store import claims as held

    me = holder or claims.new_holder()
    idempotent = _idempotent(channel) or kind == "withdraw"
    pending = [
        d.target
        for d in store.deliveries(notice.id, notice.version, channel.name, kind)
        if d.status != DeliveryStatus.DELIVERED.value
    ]
    if not pending:
        return []
    if kind == "publish" and not still_public(store, notice):
        return []  # withdrawn or replaced meanwhile: nothing more goes out (the withdrawal plans its own)
    verdicts = held.claim(
        store,
        notice.id,
        notice.version,
        channel.name,
        kind,
        pending,
        me,
        idempotent=idempotent,
        alive=claims.holder_alive,
        lease=claims.LEASE,
    )
    results = [
        DeliveryResult(
            channel.name,
            t,
            True,
            "in doubt: a dispatch that died had started this command and recorded no outcome; not sent "
            f"again (at most once; key {claims.idempotency_key(notice.id, notice.version, t)})",
        )
        for t, v in verdicts.items()
        if v == claims.UNCERTAIN
    ]
    for result in results:
        store.record_delivery(notice.id, notice.version, kind, result)
    mine = [t for t in pending if verdicts.get(t) == claims.TAKE]
    if not mine:
        return results
    faults.point("after_claim", channel.name)

    def check(name: str, targets: list[str]) -> list[str]:
        if kind == "publish" and not still_public(store, notice):
            return []
        _renew(store, notice.id)  # a long dispatch keeps its lease while it still sends
        if idempotent:
            return targets
        return [
            t for t in targets if held.mark_sending(store, notice.id, notice.version, name, kind, t, me, claims.LEASE)
        ]

    action = channel.dispatch if kind == "publish" else channel.withdraw
    with sendguard.installed(check):
        sent = action(notice, mine)
    faults.point("before_record", channel.name)
    for result in sent:
        store.record_delivery(notice.id, notice.version, kind, result)
    left = [t for t in mine if t not in {r.target for r in sent}]
    if left:
        held.release(store, notice.id, notice.version, channel.name, kind, left, me)
    return results + sent


def dispatch_notice(
    store: Store, channels: dict[str, Channel], notice_id: int, *, role: str = "operator"
) -> DispatchReport:
    """The whole dispatch in one process, stage after stage (the web page links the radio audio)."""
    notice = publishable_version(store, notice_id)
    machine.check(notice.id, notice.version, notice.state, role, "dispatch")
    with hold(store, notice.id, "dispatch"):
        notice = publishable_version(store, notice_id)  # a withdrawal may have won the lease first
        superseded = begin(store, channels, notice)
        results = []
        for stage in stages(channels):
            if not still_public(store, notice):
                break  # withdrawn meanwhile: the withdrawal undoes what went out, nothing more goes
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
    with hold(store, notice.id, "withdraw", force=True):  # waits for a running dispatch to stop sending
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
    """Deliver what an outage or a crash left undone on these channels (the recovery flow runs it for
    every channel on a schedule): current versions published again, withdrawn ones cleared, each target
    once. A row is taken again when it failed, or stayed pending, longer than `settle_after` ago, or
    when the dispatch that claimed it died (loa.publishing.claims.to_recover); expired, withdrawn and
    superseded versions are not published again; a notice another live process is dispatching is left
    to it; an emergency command a dead dispatch may have sent is not repeated (at most once).

    Prefect retries a failed deliver task a few times; an outage longer than that leaves rows failed.
    Rows newer than `settle_after` are left to the dispatch run's own retries."""
    if not machine.may(role, "redeliver"):
        raise InvalidTransition(f"redelivering needs the {machine.RULES['redeliver'].role} role (you act as {role})")
    now = now or clock.now()
    settled = now - settle_after
    work = [(n, "publish") for n in store.live_notices(now)]
    work += [(n, "withdraw") for n in store.notices(NoticeState.WITHDRAWN)]
    results = []
    for notice, kind in work:
        due = [
            ch
            for ch in channels.values()
            if any(
                claims.to_recover(_row(d), now, settled, claims.holder_alive(d.claimed_by) if d.claimed_by else None)
                for d in store.deliveries(notice.id, notice.version, ch.name, kind)
            )
        ]
        if not due:
            continue
        try:
            with hold(store, notice.id, f"recover-{kind}"[:16], wait=timedelta(0)):
                for stage in stages({ch.name: ch for ch in due}):
                    for name in stage:
                        results += deliver(store, channels[name], notice, kind)
                if kind == "publish":
                    store.settle(notice.id, notice.version)
        except Busy:
            continue  # a live dispatch or withdrawal has it: it finishes the job
    return results


def reassert(store: Store, channels: dict[str, Channel]) -> list[DeliveryResult]:
    """Put back on the broker what its restart may have lost or brought back from an old save: every
    live notice's retained message where it was delivered (and the key), and the empty message of every
    withdrawn one. Only channels that keep state on the broker (`retained`) take part; the rows do not
    change (they were right: the broker forgot)."""
    keep = [ch for ch in channels.values() if getattr(ch, "retained", False)]
    results: list[DeliveryResult] = []
    if not keep:
        return results
    work = [(n, "publish") for n in store.live_notices()]
    work += [(n, "withdraw") for n in store.notices(NoticeState.WITHDRAWN)]
    for notice, kind in work:
        for ch in keep:
            done = [
                d.target
                for d in store.deliveries(notice.id, notice.version, ch.name, kind)
                if d.status == DeliveryStatus.DELIVERED.value
            ]
            if done:
                results += ch.reassert(notice, done, withdraw=kind == "withdraw")  # type: ignore[attr-defined]
    return results
