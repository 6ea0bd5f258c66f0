"""Dispatch an approved notice: one task per channel; withdraw likewise. Started by events (flows/serve.py)."""

from __future__ import annotations

from contextlib import nullcontext

from prefect import flow, task
from prefect.concurrency.sync import concurrency
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from channels.base import AFTER_RADIO, build_channels
from channels.dispatch import approved_version, deliver, parse_notice_id, plan
from flows.events import emit
from loa import events
from loa.model import DeliveryResult, NoticeState
from loa.runtime import runtime


def _run_name() -> str:
    nid = str(flow_run.parameters.get("notice_id")).removeprefix("loa.notice.")
    try:  # the version this run is about: the latest (the one just approved or withdrawn)
        return f"{flow_run.flow_name} notice {nid} v{runtime()[1].notice(int(nid)).version}"
    except Exception:  # noqa: BLE001  (a run name must never fail the run)
        return f"{flow_run.flow_name} notice {nid}"


#: a Prefect global concurrency limit (created by flows/automations.sync from operations.broker_publishes):
#: how many deliver tasks publish to the MQTT broker at once, whichever worker runs them
BROKER_LIMIT = "loa-broker-publish"
BROKER_CHANNELS = frozenset({"boards", "radio"})


class DeliveryFailed(RuntimeError):
    """Makes the deliver task fail visibly (and fire the operators' automation); retried only if transient."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def _transient(task, task_run, state) -> bool:
    """Retry what may pass on its own (broker or database unreachable), never bad data or a bug."""
    from sqlalchemy.exc import OperationalError

    exc = state.result(raise_on_failure=False, _sync=True)  # the exception; _sync: never a coroutine here
    return exc.transient if isinstance(exc, DeliveryFailed) else isinstance(exc, (OSError, OperationalError))


@task(name="deliver", task_run_name="{kind} {channel_name} notice {notice_id} v{version}",
      retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_transient)
def deliver_channel(channel_name: str, notice_id: int, version: int, kind: str) -> list[dict]:
    cfg, store = runtime()
    channel = build_channels(cfg, store, [channel_name])[channel_name]
    notice = store.notice(notice_id, version)
    with concurrency(BROKER_LIMIT, occupy=1) if channel_name in BROKER_CHANNELS else nullcontext():
        results = deliver(store, channel, notice, kind)
    for r in results:
        if not r.ok:
            emit(events.DELIVERY_FAILED, events.notice_resource(notice_id, notice.title),
                 related=[events.resource("channel", r.channel, role="channel")],
                 payload={"version": version, "target": r.target, "error": r.detail})
    if any(not r.ok for r in results):
        # a transient failure (broker down) is retried by Prefect; delivered targets are not resent
        raise DeliveryFailed(f"{channel_name}: " + "; ".join(f"{r.target}: {r.detail}" for r in results if not r.ok),
                             transient=any(not r.ok and r.transient for r in results))
    return [vars(r) for r in results]


def _artifact(kind: str, notice_id: int, results: list[dict]) -> None:
    create_table_artifact(key=f"{kind}-notice-{notice_id}", table=results or [{"result": "nothing pending"}],
                          description=f"{kind} of notice {notice_id}: per channel and target")


def _run(notice_id: int, version: int, kind: str, channels: list[str]) -> list[dict]:
    futures = {name: deliver_channel.submit(name, notice_id, version, kind)
               for name in channels if name not in AFTER_RADIO}
    if "radio" in futures and any(name in AFTER_RADIO for name in channels):
        # the web page and the CAP alert link the radio audio: written once radio is done (whatever its outcome)
        futures["radio"].wait()
    for name in AFTER_RADIO:
        if name in channels:
            futures[name] = deliver_channel.submit(name, notice_id, version, kind)
    results = []
    for name, fut in futures.items():
        fut.wait()
        if fut.state.is_completed():
            results += fut.result()
        else:
            results.append(vars(DeliveryResult(name, "*", False, str(fut.state.message))))
    return results


@flow(name="dispatch", flow_run_name=_run_name)
def dispatch(notice_id: str) -> str:
    """Deliver an approved notice to website, boards and radio; settle it as published or partially published."""
    cfg, store = runtime()
    nid = parse_notice_id(notice_id)
    notice = approved_version(store, nid)  # raises: nothing unapproved reaches the public
    channels = build_channels(cfg, store)
    plan(store, channels, notice)
    results = _run(nid, notice.version, "publish", list(channels))
    _artifact("dispatch", nid, results)
    state = store.settle(nid, notice.version)
    if state == NoticeState.PUBLISHED:
        emit(events.NOTICE_PUBLISHED, events.notice_resource(nid, notice.title), payload={"version": notice.version})
    return state.value


@flow(name="withdraw", flow_run_name=_run_name)
def withdraw(notice_id: str) -> str:
    """Take a withdrawn notice off every channel: clear the retained board message, drop it from playlists, mark the page."""
    cfg, store = runtime()
    nid = parse_notice_id(notice_id)
    notice = store.notice(nid)
    if notice.state != NoticeState.WITHDRAWN:
        raise ValueError(f"notice {nid} is {notice.state.value}, not withdrawn; nothing taken down")
    channels = build_channels(cfg, store)
    plan(store, channels, notice, kind="withdraw")
    results = _run(nid, notice.version, "withdraw", list(channels))
    _artifact("withdraw", nid, results)
    return notice.state.value
