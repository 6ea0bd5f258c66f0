"""CLI and desk at parity: one scenario through the desk over HTTP and through `loa` finds the same store,
the same audit trail and the same scheduled dispatch runs in a real Prefect server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
from typer.testing import CliRunner

from loa.app.cli import app
from loa.app.web import create_app
from loa.config import Env, load_config
from loa.store import Store, users
from loa.store.desk import history
from tests.conftest import write_config
from tests.integration.test_desk_http import APPROVER, EDITOR, PASSWORD, Desk, draft, prefect_api  # noqa: F401
from tests.prefect_server import shared_prefect_api  # noqa: F401

pytestmark = pytest.mark.integration

# local time (Asia/Ho_Chi_Minh); no other test on the shared Prefect server schedules at this time, which
# with a notice's id and version names its scheduled dispatch run
PUBLISH_AT = "2030-01-01T08:00"


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))


def _setup(tmp_path, name: str, offset: int):
    folder = write_config(tmp_path / name / "config", feeds=[])
    cfg = load_config(Env(home=tmp_path / name / "home", config_dir=folder))
    store = Store.open(cfg.database_url)
    for i in range(offset):  # different notice ids in each store: Prefect's idempotency keys name them
        draft(cfg, store, 100 + i, title=f"Thông báo khác số {i}")
    embargoed = draft(cfg, store, 1, title="Kế hoạch cải cách hành chính năm 2026 của xã Hồng Việt")
    rejected = draft(cfg, store, 2, title="Thông báo về thủ tục một cửa liên thông")
    return cfg, store, embargoed.id, rejected.id


def _through_desk(cfg, store, a: int, b: int):
    users.add_user(store, EDITOR, "editor", PASSWORD)
    users.add_user(store, APPROVER, "approver", PASSWORD)
    d = Desk(cfg, store, create_app(cfg))
    c = d.login(APPROVER)
    post = lambda path, **data: c.post(path, data={"csrf": d.csrf(c), **data})  # noqa: E731
    post(f"/desk/notices/{a}/v1/schedule", publish_at=PUBLISH_AT)
    assert post(f"/desk/notices/{a}/approve", version="1").headers["location"].endswith("done=approved-scheduled")
    post(f"/desk/notices/{a}/withdraw", version="1", reason="đã có văn bản thay thế")
    post(f"/desk/notices/{b}/v1/settings", priority="priority", areas="cao-bang/hoa-an")
    post(f"/desk/notices/{b}/v1/variants/boards", body="Xã Hồng Việt: thủ tục một cửa liên thông từ 1/12")
    post(f"/desk/notices/{b}/reject", version="1", reason="trùng nội dung với thông báo số 12")


def _through_cli(tmp_path, cfg, a: int, b: int, monkeypatch):
    monkeypatch.setenv("LOA_HOME", str(cfg.home))
    monkeypatch.setenv("LOA_CONFIG_DIR", str(cfg.config_dir))
    (tmp_path / "boards.txt").write_text("Xã Hồng Việt: thủ tục một cửa liên thông từ 1/12\n", encoding="utf-8")

    def loa(*args):
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout)

    approved = loa("approve", str(a), "--by", APPROVER, "--publish-at", PUBLISH_AT)
    assert approved["announcement"] == "scheduled" and approved["flow_run_id"]
    withdrawn = loa("withdraw", str(a), "--by", APPROVER, "--reason", "đã có văn bản thay thế")
    assert withdrawn["code"] == "withdrawn-unpublished" and withdrawn["flow_runs_cancelled"] == [
        approved["flow_run_id"]
    ]
    loa("edit", str(b), "--by", APPROVER, "--priority", "priority", "--areas", "cao-bang/hoa-an")
    loa("edit", str(b), "--by", APPROVER, "--channel", "boards", "--text-file", str(tmp_path / "boards.txt"))
    loa("reject", str(b), "--by", APPROVER, "--reason", "trùng nội dung với thông báo số 12")


def _observed(store, api: str, a: int, b: int) -> dict:
    """What both paths must leave: states, the audit trail (run ids aside), the scheduled runs' states."""
    trail, runs = {}, []
    for key, nid in (("embargoed", a), ("rejected", b)):
        items = history(store, nid)
        trail[key] = [
            (
                h.version,
                h.action,
                h.actor,
                h.reason,
                h.field,
                None if h.field == "flow_run" else h.before,
                None if h.field == "flow_run" else h.after,
            )
            for h in items
        ]
        runs += [h.after for h in items if h.action == "schedule"]
    prefect = []
    for run_id in runs:
        run = requests.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
        prefect.append((run["state_type"], (run["expected_start_time"] or "")[:19], run["name"].split(" at ")[-1]))
    return {
        "states": [store.notice(a).state.value, store.notice(b).state.value],
        "priority": store.notice(b).priority.value,
        "areas": store.notice(b).areas,
        "boards": store.notice(b).variants["boards"],
        "trail": trail,
        "prefect": prefect,
        "deliveries": store.deliveries(a) + store.deliveries(b),
    }


def test_desk_and_cli_leave_the_same_store_trail_and_scheduled_runs(tmp_path, prefect_api, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    started = datetime.now(UTC).isoformat()
    cfg1, store1, a1, b1 = _setup(tmp_path, "desk", 0)
    cfg2, store2, a2, b2 = _setup(tmp_path, "cli", 3)
    _through_desk(cfg1, store1, a1, b1)
    _through_cli(tmp_path, cfg2, a2, b2, monkeypatch)
    desk, cli = _observed(store1, prefect_api, a1, b1), _observed(store2, prefect_api, a2, b2)
    assert desk == cli
    assert desk["states"] == ["withdrawn", "rejected"] and desk["deliveries"] == []
    assert desk["prefect"] == [("CANCELLED", "2030-01-01T01:00:02", "2030-01-01T01:00:00+00:00")]
    assert [t[1] for t in desk["trail"]["embargoed"]] == [
        "drafted",
        "set:publish_at",
        "approve",
        "schedule",
        "withdraw",
        "unschedule",
    ]
    # the withdrawal of a never-dispatched version told nobody: no loa.notice.withdrawn in Prefect (about these
    # notices since the test began: other tests use the server, and the same notice ids in their own stores)
    mine = {"id": [f"loa.notice.{a1}", f"loa.notice.{a2}"]}
    events = requests.post(
        f"{prefect_api}/events/filter",
        timeout=10,
        json={
            "filter": {
                "event": {"name": ["loa.notice.withdrawn"]},
                "any_resource": mine,
                "occurred": {"since": started},
            }
        },
    ).json()
    assert events.get("events") == []
    assert not list(cfg1.home.glob("site/notices/*")) and not list(cfg2.home.glob("site/notices/*"))
