"""Dispatch and withdraw as Prefect flows: the publishing core's stages, one task per channel.

What to deliver, in which order and what it means are decided in loa/publishing/dispatch.py; this
module only runs each channel of a stage as a task (retried when the failure may pass), waits for the
stages a channel declared it comes `after`, holds the broker publish limit for `broker` channels,
logs through the run logger and leaves a table artifact. Started by events and scheduled runs
(flows/serve.py) or by `loa dispatch`.
"""

from __future__ import annotations

from contextlib import nullcontext

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.concurrency.sync import concurrency
from prefect.runtime import flow_run

from channels.catalogue import build_channels
from flows.events import emit
from loa import events
from loa.errors import InvalidTransition, LoaError
from loa.model import DeliveryStatus, NoticeState
from loa.publishing.dispatch import begin, deliver, hold, parse_notice_id, plan, publishable_version, stages
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
#: the artifact's detail column is cut to this many characters, so the table fits the Prefect UI at 1280 px
DETAIL_CHARS = 60


class DeliveryFailed(LoaError, RuntimeError):
    """Makes the deliver task fail visibly (and fire the operators' automation); retried only if transient."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def _transient(task, task_run, state) -> bool:
    """Retry what may pass on its own (broker or database unreachable), never bad data or a bug."""
    from sqlalchemy.exc import OperationalError

    exc = state.result(raise_on_failure=False, _sync=True)  # the exception; _sync: never a coroutine here
    return exc.transient if isinstance(exc, DeliveryFailed) else isinstance(exc, (OSError, OperationalError))


@task(
    name="deliver",
    task_run_name="{kind} {channel_name} notice {notice_id} v{version}",
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=_transient,
)
def deliver_channel(channel_name: str, notice_id: int, version: int, kind: str) -> int:
    """Deliver one channel's pending targets; returns how many were delivered now."""
    log = get_run_logger()
    cfg, store = runtime()
    channel = build_channels(cfg, store, [channel_name])[channel_name]
    notice = store.notice(notice_id, version)
    with concurrency(BROKER_LIMIT, occupy=1) if channel.broker else nullcontext():
        results = deliver(store, channel, notice, kind)
    if not results:
        log.info("%s: nothing pending (every target already delivered)", channel_name)
    for r in results:
        if r.ok:
            log.info("%s → %s: delivered (%s)", channel_name, r.target, r.detail)
        else:
            log.warning(
                "%s → %s: failed%s: %s", channel_name, r.target, " (will retry)" if r.transient else "", r.detail
            )
            emit(
                events.DELIVERY_FAILED,
                events.notice_resource(notice_id, notice.title),
                related=[events.resource("channel", r.channel, role="channel")],
                payload={"version": version, "target": r.target, "error": r.detail},
            )
    if any(not r.ok for r in results):
        # a transient failure (broker down) is retried by Prefect; delivered targets are not resent
        raise DeliveryFailed(
            f"{channel_name}: " + "; ".join(f"{r.target}: {r.detail}" for r in results if not r.ok),
            transient=any(not r.ok and r.transient for r in results),
        )
    return len(results)


def _run(notice_id: int, version: int, kind: str, channels: dict) -> dict[str, tuple[str, bool]]:
    """Each stage's channels as concurrent tasks, a stage started once the ones before it ended.
    Returns, per channel that did not complete, why and whether the failure may pass on its own."""
    log = get_run_logger()
    problems: dict[str, tuple[str, bool]] = {}
    for stage in stages(channels):
        log.info("%s of notice %s v%s: %s", kind, notice_id, version, ", ".join(stage))
        futures = {name: deliver_channel.submit(name, notice_id, version, kind) for name in stage}
        for name, fut in futures.items():
            fut.wait()
            if not fut.state.is_completed():
                exc = fut.state.result(raise_on_failure=False)
                problems[name] = (str(fut.state.message or fut.state.name), getattr(exc, "transient", True))
    return problems


def table(store, notice_id: int, version: int, kind: str, problems: dict[str, tuple[str, bool]]) -> list[dict]:
    """The artifact's rows: one per delivery row of this version and kind, as the store has it (deliveries
    made at approval included), short enough for the Prefect UI at 1280 px. `transient` appears only on
    failures (it says whether the failure was left for a retry)."""
    rows = []
    for d in store.deliveries(notice_id, version, kind=kind):
        ok = d.status == DeliveryStatus.DELIVERED.value
        row = {
            "channel": d.channel,
            "target": d.target,
            "status": d.status,
            "tries": d.attempts,
            "detail": _short((d.detail if ok else d.last_error) or ""),
        }
        if not ok:
            # a failure worth retrying (broker down) vs. one that needs a person (bad data)
            row["transient"] = problems.get(d.channel, ("", True))[1]
        rows.append(row)
    for name, (why, transient) in problems.items():
        if not any(r["channel"] == name for r in rows):
            rows.append(
                {
                    "channel": name,
                    "target": "*",
                    "status": "failed",
                    "tries": 0,
                    "detail": _short(why),
                    "transient": transient,
                }
            )
    return rows


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _artifact(kind: str, notice_id: int, version: int, rows: list[dict]) -> None:
    create_table_artifact(
        key=f"{kind}-notice-{notice_id}",
        table=rows or [{"status": "nothing to deliver"}],
        description=f"{kind} of notice {notice_id} v{version}: per channel and target "
        f"(full details: `loa show {notice_id} --json`)",
    )


@flow(name="dispatch", flow_run_name=_run_name)
def dispatch(notice_id: str) -> str:
    """Deliver an approved notice to its channels stage by stage; settle it as published or partially published."""
    log = get_run_logger()
    cfg, store = runtime()
    nid = parse_notice_id(notice_id)
    try:
        notice = publishable_version(store, nid)  # nothing unapproved or embargoed reaches the public
    except InvalidTransition as exc:
        log.error("%s", exc)
        raise
    channels = build_channels(cfg, store)
    with hold(store, nid, "dispatch"):  # one dispatch of a notice at a time, whichever worker runs it
        notice = publishable_version(store, nid)  # a withdrawal may have had the lease first
        superseded = begin(store, channels, notice)
        if superseded:
            log.info(
                "notice %s v%s replaces v%s on every channel", nid, notice.version, ", v".join(map(str, superseded))
            )
        problems = _run(nid, notice.version, "publish", channels)
        _artifact("dispatch", nid, notice.version, table(store, nid, notice.version, "publish", problems))
        state = store.settle(nid, notice.version)
    log.info("notice %s v%s is %s", nid, notice.version, state.value)
    if state == NoticeState.PUBLISHED:
        emit(events.NOTICE_PUBLISHED, events.notice_resource(nid, notice.title), payload={"version": notice.version})
    return state.value


@flow(name="withdraw", flow_run_name=_run_name)
def withdraw(notice_id: str) -> str:
    """Take a withdrawn notice off every channel: clear the retained board message, drop it from playlists, mark the page."""
    log = get_run_logger()
    cfg, store = runtime()
    nid = parse_notice_id(notice_id)
    notice = store.notice(nid)
    if notice.state != NoticeState.WITHDRAWN:
        msg = f"notice {nid} is {notice.state.value}, not withdrawn; nothing taken down"
        log.error(msg)
        raise InvalidTransition(msg)
    channels = build_channels(cfg, store)
    with hold(store, nid, "withdraw", force=True):  # a running dispatch stops at its next send first
        targets = plan(store, channels, notice, kind="withdraw")
        log.info(
            "withdrawing notice %s v%s from %s",
            nid,
            notice.version,
            ", ".join(f"{n} ({len(t)})" for n, t in targets.items() if t) or "no channel (never delivered)",
        )
        problems = _run(nid, notice.version, "withdraw", channels)
        _artifact("withdraw", nid, notice.version, table(store, nid, notice.version, "withdraw", problems))
    return notice.state.value
