"""Loa's Prefect automations: what operators are told about, created and kept in step idempotently.

Four automations, each notifying through the Prefect notification block named in loa.yaml
(`operations.notification_block`; a "Custom Webhook" or "Sendgrid Email" block made in the UI):

- a dispatch or withdrawal that failed after its retries (a `deliver` task run or the flow run
  ending Failed/Crashed: Prefect only reaches Failed once the retries are spent);
- a feed failing for `feed_failing_hours` (as many `loa.feed.failed` events for that feed as there
  are scheduled polls in that time, counted over a 10 % longer window so a late poll does not hide it);
- a board offline for `board_offline_minutes` (`loa.board.offline` with no `loa.board.online` after it);
- a loudspeaker offline for as long (`loa.speaker.offline` with no `loa.speaker.online` after it);
- a loudspeaker that did not air: an item it failed to play (`loa.speaker.failed`) or a slot it was
  offline for (`loa.speaker.missed`);
- a draft waiting longer than `draft_waiting_hours` (`loa.notice.drafted` with no approval,
  rejection or scheduling of that notice after it).

`sync()` matches by name: it creates what is missing, updates what differs, leaves what is equal,
and deletes duplicates and Loa automations no longer defined (tagged "loa-managed"). Run it twice: the
second run changes nothing. `loa run` calls it at start-up; `loa automations sync` on demand.
Deployment-owned automations (the dispatch/withdraw triggers in flows/serve.py) are Prefect's to
manage and are left alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import timedelta

from prefect.automations import AutomationCore, DoNothing, EventTrigger, Posture, SendNotification
from prefect.client.orchestration import get_client

from loa import events
from loa.config import Config

TAG = "loa-managed"
FLOW_FAILED = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.task-run.Failed"}


@dataclass(frozen=True)
class SyncResult:
    name: str
    action: str  # created | updated | unchanged | deleted
    notifies: str | None  # the block notified, None when there is none

    def as_dict(self) -> dict:
        return asdict(self)


def _body(lines: list[str]) -> str:
    footer = "Prefect UI: {{ automation.name }} · sự kiện {{ event.event }} lúc {{ event.occurred }}"
    return "\n".join(lines + ["", footer])


def definitions(cfg: Config, block_id=None) -> list[AutomationCore]:
    """Loa's automations for this config; `block_id` is the notification block (None: record only)."""
    ops = cfg.operations
    polls = max(2, math.floor(ops.feed_failing_hours * 60 / cfg.ingest_interval_minutes))

    def automation(name: str, description: str, trigger: EventTrigger, subject: str, body: list[str]):
        action = (
            SendNotification(block_document_id=block_id, subject=subject, body=_body(body)) if block_id else DoNothing()
        )
        return AutomationCore(
            name=name, description=description, enabled=True, tags=[TAG], trigger=trigger, actions=[action]
        )

    return [
        automation(
            "loa: dispatch failed after retries",
            "A dispatch or withdraw flow run, or one of its per-channel deliver tasks, ended Failed or Crashed "
            "(Prefect's retries for transient failures are spent). See the run's artifact for each target.",
            EventTrigger(
                expect=FLOW_FAILED,
                posture=Posture.Reactive,
                threshold=1,
                match={"prefect.resource.id": ["prefect.flow-run.*", "prefect.task-run.*"]},
                match_related={"prefect.resource.role": "flow", "prefect.resource.name": ["dispatch", "withdraw"]},
            ),
            "Loa: gửi thông báo thất bại",
            [
                "Một lượt gửi thông báo (dispatch/withdraw) thất bại sau khi đã thử lại.",
                "Lượt chạy: {{ event.resource.get('prefect.resource.name', '') }}",
                "Trạng thái: {{ event.resource.get('prefect.state-name', '') }} — "
                "{{ event.resource.get('prefect.state-message', '') }}",
            ],
        ),
        automation(
            "loa: feed failing",
            f"A feed failed {polls} polls (every {cfg.ingest_interval_minutes} min) within "
            f"{ops.feed_failing_hours * 1.1:g} h: it has been failing for about {ops.feed_failing_hours:g} h.",
            EventTrigger(
                expect={events.FEED_FAILED},
                match={"prefect.resource.id": "loa.feed.*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Reactive,
                threshold=polls,
                within=timedelta(hours=ops.feed_failing_hours * 1.1),
            ),
            "Loa: nguồn tin lỗi kéo dài",
            [
                f"Nguồn tin lỗi liên tục khoảng {ops.feed_failing_hours:g} giờ:",
                "{{ event.resource.get('prefect.resource.name', '') }} ({{ event.resource.id }})",
                "Lỗi gần nhất: {{ event.payload.get('reason', '') }} — {{ event.payload.get('error', '') }}",
            ],
        ),
        automation(
            "loa: board offline",
            f"A digital notice board went offline and has not come back within {ops.board_offline_minutes:g} min.",
            EventTrigger(
                after={events.BOARD_OFFLINE},
                expect={events.BOARD_ONLINE},
                match={"prefect.resource.id": "loa.board.*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(minutes=ops.board_offline_minutes),
            ),
            "Loa: bảng tin mất kết nối",
            [
                f"Bảng tin mất kết nối quá {ops.board_offline_minutes:g} phút:",
                "{{ event.resource.get('prefect.resource.name', '') }} ({{ event.resource.id }}), "
                "địa bàn {{ event.payload.get('area', '') }}",
            ],
        ),
        automation(
            "loa: speaker offline",
            f"A commune loudspeaker went offline and has not come back within {ops.board_offline_minutes:g} min.",
            EventTrigger(
                after={events.SPEAKER_OFFLINE},
                expect={events.SPEAKER_ONLINE},
                match={"prefect.resource.id": "loa.speaker.*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(minutes=ops.board_offline_minutes),
            ),
            "Loa: loa phát thanh mất kết nối",
            [
                f"Cụm loa mất kết nối quá {ops.board_offline_minutes:g} phút:",
                "{{ event.resource.get('prefect.resource.name', '') }} ({{ event.resource.id }}), "
                "đài {{ event.payload.get('station', '') }}",
            ],
        ),
        automation(
            "loa: speaker did not air",
            "A commune loudspeaker failed to play an item of its schedule, or was offline when its slot aired.",
            EventTrigger(
                expect={events.SPEAKER_FAILED, events.SPEAKER_MISSED},
                match={"prefect.resource.id": "loa.speaker.*"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            "Loa: loa phát thanh không phát được",
            [
                "Cụm loa không phát được: {{ event.resource.get('prefect.resource.name', '') }} "
                "({{ event.resource.id }}), đài {{ event.payload.get('station', '') }}",
                "Buổi phát: {{ event.payload.get('slot', '') }} — {{ event.payload.get('detail', '') }}",
            ],
        ),
        automation(
            "loa: draft waiting for approval",
            f"A drafted notice has had no approval, rejection or scheduling for {ops.draft_waiting_hours:g} h.",
            EventTrigger(
                after={events.NOTICE_DRAFTED},
                expect={events.NOTICE_APPROVED, events.NOTICE_REJECTED, events.NOTICE_SCHEDULED},
                match={"prefect.resource.id": "loa.notice.*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(hours=ops.draft_waiting_hours),
            ),
            "Loa: dự thảo chờ duyệt quá lâu",
            [
                f"Dự thảo chờ phê duyệt quá {ops.draft_waiting_hours:g} giờ:",
                "{{ event.resource.get('prefect.resource.name', '') }} ({{ event.resource.id }})",
            ],
        ),
    ]


def notification_block(client, name: str):
    """(id, "type/name") of the notification block called `name`, or (None, reason) when there is none."""
    if not name:
        return None, "no operations.notification_block in loa.yaml"
    for doc in client.read_block_documents(include_secrets=False):
        if doc.name == name:
            if "notify" not in (doc.block_schema.capabilities if doc.block_schema else []):
                return None, f"block {doc.block_type.slug}/{name} cannot notify; use a notification block type"
            return doc.id, f"{doc.block_type.slug}/{name}"
    return None, (
        f"notification block {name!r} does not exist; create it in the Prefect UI (Blocks → +, e.g. "
        f"Custom Webhook or Sendgrid Email) and run `loa automations sync`"
    )


def _canonical(value):
    """Sets (expect, after, for_each) come back as lists in whatever order a process hashed them:
    compare them sorted, or a second sync from another process would see a change that is not one."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if all(isinstance(v, (str, int, float)) for v in items) else items
    return value


def _comparable(automation) -> dict:
    return _canonical(
        AutomationCore.model_validate(automation.model_dump()).model_dump(mode="json", exclude={"owner_resource"})
    )


def sync(cfg: Config) -> tuple[list[SyncResult], str | None]:
    """Create or update Loa's automations on the Prefect server (PREFECT_API_URL); returns the results and a
    warning (None when the notification block was found)."""
    with get_client(sync_client=True) as client:
        from flows.dispatch import BROKER_LIMIT

        client.upsert_global_concurrency_limit_by_name(BROKER_LIMIT, cfg.operations.broker_publishes)
        block_id, block = notification_block(client, cfg.operations.notification_block)
        wanted = definitions(cfg, block_id)
        names = {a.name for a in wanted}
        existing: dict[str, list] = {}
        for a in client.read_automations():
            if a.name in names or (TAG in (a.tags or []) and not a.owner_resource):
                existing.setdefault(a.name, []).append(a)
        results = []
        for want in wanted:
            have = existing.pop(want.name, [])
            for extra in have[1:]:  # a duplicate from an earlier race: keep one
                client.delete_automation(extra.id)
                results.append(SyncResult(want.name, "deleted", None))
            if not have:
                client.create_automation(want)
                action = "created"
            elif _comparable(have[0]) != _comparable(want):
                client.update_automation(have[0].id, want)
                action = "updated"
            else:
                action = "unchanged"
            results.append(SyncResult(want.name, action, block if block_id else None))
        for name, stale in existing.items():  # Loa automations this version no longer defines
            for a in stale:
                client.delete_automation(a.id)
                results.append(SyncResult(name, "deleted", None))
    return results, None if block_id else block


def main() -> None:
    """`python -m flows.automations`: sync once and print JSON (what `loa run` starts in the background)."""
    import json

    from loa.runtime import runtime

    results, warning = sync(runtime()[0])
    print(json.dumps({"automations": [r.as_dict() for r in results], "warning": warning}, ensure_ascii=False))


if __name__ == "__main__":
    main()
