"""Loa's automations on a real Prefect server: synced idempotently, and each one notifies a real webhook
(a Custom Webhook notification block pointing at an HTTP server on loopback) when, and only when, it should.

Windows are shortened through the code's seam (OperationsSettings), not loa.yaml, so the proactive
automations fire in seconds: Prefect's minimum for a proactive window is 10 s.
"""

from __future__ import annotations

import http.server
import json
import time
import uuid

import pytest

from loa import events
from loa.app.events import post_event
from loa.config import OperationsSettings
from tests.conftest import loopback_http
from tests.prefect_server import shared_prefect_api  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(45)]


class Inbox(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(shared_prefect_api, tmp_path_factory):  # noqa: F811
    """The run's Prefect server (tests/prefect_server.py). Automations, blocks and global concurrency limits
    are this module's alone there; the events and flow runs below are named for this test only."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    home = tmp_path_factory.mktemp("prefect-client")
    with temporary_settings({PREFECT_API_URL: shared_prefect_api, PREFECT_HOME: str(home)}):
        yield shared_prefect_api


@pytest.fixture(scope="module")
def inbox():
    with loopback_http(Inbox) as url:
        yield f"{url}/hook"


def ours(client) -> list:
    return [a for a in client.read_automations() if a.name.startswith("loa: ")]


def test_sync_is_idempotent(server, cfg, inbox):
    from prefect.automations import AutomationCore, DoNothing, EventTrigger
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from flows.automations import TAG, sync

    first, warning = sync(cfg)
    assert [(r.name, r.action) for r in first] == [
        ("loa: dispatch failed after retries", "created"),
        ("loa: feed failing", "created"),
        ("loa: board offline", "created"),
        ("loa: speaker offline", "created"),
        ("loa: speaker did not air", "created"),
        ("loa: draft waiting for approval", "created"),
    ]
    assert "notification block 'loa-operators' does not exist" in warning
    again, _ = sync(cfg)
    assert {r.action for r in again} == {"unchanged"}
    with get_client(sync_client=True) as client:
        assert len(ours(client)) == 6
        # broker publishes are limited across all workers by a global concurrency limit
        limit = client.read_global_concurrency_limit_by_name("loa-broker-publish")
        assert (limit.limit, limit.active) == (cfg.operations.broker_publishes, True)
        assert all(a.actions[0].type == "do-nothing" for a in ours(client))  # no block yet: they only record

    # the operator creates the block in the UI; the next sync makes every automation notify through it
    # _sync: save now even when an earlier test (Playwright's sync API) left an event loop running
    CustomWebhookNotificationBlock(
        name="loa", url=inbox, json_data={"subject": "{{subject}}", "body": "{{body}}"}
    ).save("loa-operators", overwrite=True, _sync=True)
    updated, warning = sync(cfg)
    assert warning is None
    assert {(r.action, r.notifies) for r in updated} == {("updated", "custom-webhook/loa-operators")}

    # a duplicate (two `loa run`s racing) and an automation an older Loa defined are cleaned up
    with get_client(sync_client=True) as client:
        dup = next(a for a in ours(client) if a.name == "loa: feed failing")
        client.create_automation(AutomationCore(**dup.model_dump(exclude={"id"})))
        client.create_automation(
            AutomationCore(
                name="loa: retired check", tags=[TAG], trigger=EventTrigger(expect={"loa.x"}), actions=[DoNothing()]
            )
        )
        client.create_automation(
            AutomationCore(
                name="someone else's", tags=["loa"], trigger=EventTrigger(expect={"loa.x"}), actions=[DoNothing()]
            )
        )
    cleaned, _ = sync(cfg)
    assert sorted((r.name, r.action) for r in cleaned if r.action != "unchanged") == [
        ("loa: feed failing", "deleted"),
        ("loa: retired check", "deleted"),
    ]
    with get_client(sync_client=True) as client:
        names = sorted(a.name for a in client.read_automations())
    assert names == [
        "loa: board offline",
        "loa: dispatch failed after retries",
        "loa: draft waiting for approval",
        "loa: feed failing",
        "loa: speaker did not air",
        "loa: speaker offline",
        "someone else's",
    ]


def test_each_automation_notifies_when_it_should(server, cfg, inbox):
    from prefect import flow
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    from flows.automations import sync

    # _sync: save now even when an earlier test (Playwright's sync API) left an event loop running
    CustomWebhookNotificationBlock(
        name="loa", url=inbox, json_data={"subject": "{{subject}}", "body": "{{body}}"}
    ).save("loa-operators", overwrite=True, _sync=True)

    # seconds instead of hours: below what loa.yaml accepts (model_construct skips the file's bounds)
    fast = cfg.model_copy(
        update={
            "ingest_interval_minutes": 60,
            "operations": OperationsSettings.model_construct(
                notification_block="loa-operators",
                draft_waiting_hours=12 / 3600,
                feed_failing_hours=2,
                board_offline_minutes=12 / 60,
            ),
        }
    )
    sync(fast)
    Inbox.received.clear()
    tag = uuid.uuid4().hex[:6]
    board = lambda b: events.resource("board", f"{tag}-{b}", f"Bảng tin {b}")  # noqa: E731
    # notice ids no test store reaches (they count from 1): tests scheduling loa.notice.1 on the shared
    # server at the same time would otherwise end this test's draft wait
    notice = lambda n: events.notice_resource(10**9 + int(tag, 16) * 10 + n, f"Thông báo {tag} số {n}")  # noqa: E731
    feed = lambda f: events.resource("feed", f"https://{tag}.gov.vn/{f}.rss", f"Nguồn {f}")  # noqa: E731

    # proactive: board a stays offline, board b comes back; draft 1 waits, draft 2 is approved
    post_event(server, events.BOARD_OFFLINE, board("a"), payload={"area": "cao-bang"})
    post_event(server, events.BOARD_OFFLINE, board("b"), payload={"area": "cao-bang"})
    speaker = lambda sp: events.resource("speaker", f"{tag}-{sp}", f"Cụm loa {sp}")  # noqa: E731
    post_event(server, events.SPEAKER_OFFLINE, speaker("a"), payload={"station": "nam-tuan"})
    post_event(server, events.SPEAKER_OFFLINE, speaker("b"), payload={"station": "nam-tuan"})
    post_event(server, events.NOTICE_DRAFTED, notice(1))
    post_event(server, events.NOTICE_DRAFTED, notice(2))
    time.sleep(1)
    post_event(server, events.BOARD_ONLINE, board("b"))
    post_event(server, events.SPEAKER_ONLINE, speaker("b"))
    # reactive: a speaker could not play an item
    post_event(
        server,
        events.SPEAKER_FAILED,
        speaker("c"),
        payload={"station": "hoa-an", "slot": "hoa-an/20261201T0600", "detail": "sha256 mismatch"},
    )
    post_event(server, events.NOTICE_APPROVED, notice(2))
    # reactive: a feed failing as often as it is polled in 2 h, another only once
    for _ in range(2):
        post_event(server, events.FEED_FAILED, feed("x"), payload={"reason": "http", "error": "HTTP 503"})
    post_event(server, events.FEED_FAILED, feed("y"), payload={"reason": "http", "error": "HTTP 503"})

    # a real flow run named dispatch that fails (its retries spent), and an ingest run that fails: only the first counts
    @flow(name="dispatch", retries=0)
    def dispatch(notice_id: str):
        raise RuntimeError(f"boards: broker down ({tag})")

    @flow(name="ingest", retries=0)
    def ingest():
        raise RuntimeError(f"not an operator alert ({tag})")

    assert dispatch("loa.notice.1", return_state=True).is_failed()
    assert ingest(return_state=True).is_failed()

    def bodies() -> str:
        return "\n".join(m["subject"] + "\n" + m["body"] for m in Inbox.received)

    deadline = time.monotonic() + 60
    expected = [
        f"Bảng tin a ({'loa.board.' + tag}-a)",
        f"Thông báo {tag} số 1",
        "Nguồn x",
        f"broker down ({tag})",
        f"Cụm loa a (loa.speaker.{tag}-a)",
        "sha256 mismatch",
    ]
    while time.monotonic() < deadline and not all(e in bodies() for e in expected):
        time.sleep(0.5)
    time.sleep(3)  # anything that should not fire has had its chance
    text = bodies()
    for e in expected:
        assert e in text, f"no notification with {e!r}; got:\n{text}"
    assert "Loa: bảng tin mất kết nối" in text and "Loa: dự thảo chờ duyệt quá lâu" in text
    assert "Loa: nguồn tin lỗi kéo dài" in text and "Lỗi gần nhất: http — HTTP 503" in text
    assert "Loa: gửi thông báo thất bại" in text
    assert "Loa: loa phát thanh mất kết nối" in text and "Loa: loa phát thanh không phát được" in text
    for absent in ("Bảng tin b", "Cụm loa b", f"Thông báo {tag} số 2", "Nguồn y", "not an operator alert"):
        assert absent not in text, f"{absent!r} should not have notified:\n{text}"


@pytest.mark.parametrize(
    "ops,key,words",
    [
        ({"notification_block": "Loa Operators"}, "operations.notification_block", "not a Prefect block name"),
        ({"draft_waiting_hours": 0}, "operations.draft_waiting_hours", "outside"),
        ({"board_offline_minutes": "30"}, "operations.board_offline_minutes", "is not a number"),
        ({"feed_failing_hours": 24 * 365}, "operations.feed_failing_hours", "outside"),
    ],
)
def test_bad_operations_settings_name_file_and_key(tmp_path, ops, key, words):
    import yaml

    from loa.config import Env, load_config
    from loa.errors import ConfigError
    from tests.conftest import write_config

    folder = write_config(tmp_path / "config", feeds=[])
    data = yaml.safe_load((folder / "loa.yaml").read_text())
    data["operations"] = data["operations"] | ops
    (folder / "loa.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ConfigError) as info:
        load_config(Env(home=tmp_path / "home", config_dir=folder))
    assert "loa.yaml" in str(info.value) and key in str(info.value) and words in str(info.value)


def test_shipped_operations_settings(cfg):
    from flows.automations import definitions

    assert cfg.operations.notification_block == "loa-operators"
    feed = next(a for a in definitions(cfg) if a.name == "loa: feed failing")
    assert feed.trigger.threshold == 24 * 60 // cfg.ingest_interval_minutes  # every poll of a day failed
    assert all(a.actions[0].type == "do-nothing" for a in definitions(cfg))  # no block id: record only
