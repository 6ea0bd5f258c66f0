"""The publishing core: the state table tested exhaustively through the use cases, the embargo rule,
v1 live during v2's embargo, scheduled runs recorded and cancelled, the docs agreeing with the table."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from loa.errors import InvalidTransition
from loa.model import DeliveryResult, NoticeState, Priority
from loa.publishing import actions, machine
from loa.publishing.actions import Actor, Publishing
from loa.publishing.dispatch import dispatch_notice, redeliver, stages
from loa.publishing.scheduler import Announcement
from loa.store.schema import ActionRow, Base, NoticeVersionRow, utcnow
from tests.unit.test_dispatch import FlakyChannel
from tests.unit.test_store import RELEVANT, draft, entry

pytestmark = pytest.mark.runs_long(50)

S = NoticeState
APPROVER = "Nông Thị Hoa"


def snapshot(store) -> dict:
    with store.engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr) for t in Base.metadata.sorted_tables
        }


def in_state(store, state: NoticeState, *, expired: bool = False, ident: str = "urn:doc:1"):
    """A notice whose v1 is in `state` (with an approval on record wherever one is needed)."""
    n = draft(store, entry(ident=ident))
    with store.session() as s:
        row = s.scalar(select(NoticeVersionRow).where(NoticeVersionRow.notice_id == n.id))
        row.state = state.value
        if expired:
            row.expires_at = utcnow() - timedelta(minutes=1)
        if state not in (S.DRAFTED, S.REJECTED):
            s.add(ActionRow(notice_version_id=row.id, action="approve", actor=APPROVER))
    return n


class Recorder:
    """The scheduler seam, recording what the use cases asked of it."""

    def __init__(self):
        self.asked: list[tuple] = []
        self.runs = 0

    def online(self):
        return True

    def start_dispatch(self, notice, actor):
        self.asked.append(("start", notice.id, notice.version))
        return Announcement("dispatch")

    def schedule_dispatch(self, notice, actor):
        self.runs += 1
        self.asked.append(("schedule", notice.id, notice.version, notice.publish_at))
        return Announcement("scheduled", notice.publish_at.isoformat(), f"run-{self.runs}")

    def cancel(self, run_id, why):
        self.asked.append(("cancel", run_id))

    def tell(self, event, notice, payload):
        self.asked.append((event, notice.id, notice.version))
        return Announcement("event")


def run_action(store, cfg, action: str, role: str, notice_id: int):
    p = Publishing(store, cfg)
    who = Actor(APPROVER, role)
    if action == "edit":
        return actions.edit(p, who, notice_id, 1, priority=Priority.PRIORITY)
    if action == "schedule":
        return actions.schedule(p, who, notice_id, 1, publish_at=utcnow() + timedelta(days=1), expires_at=None)
    if action == "approve":
        return actions.approve(p, who, notice_id, 1)
    if action == "reject":
        return actions.reject(p, who, notice_id, 1, reason="trùng nội dung với thông báo số 12")
    if action == "withdraw":
        return actions.withdraw(p, who, notice_id, 1, reason="văn bản đã hết hiệu lực")
    if action == "dispatch":
        return dispatch_notice(store, {"flaky": FlakyChannel()}, notice_id, role=role)
    if action == "redeliver":
        return redeliver(store, {"flaky": FlakyChannel()}, role=role)
    if action == "expire":
        return actions.expire(p, who, notice_id, 1)
    raise AssertionError(action)


CASES = list(itertools.product(list(NoticeState), machine.ACTIONS, machine.ROLES))


@pytest.mark.parametrize("state, action, role", CASES, ids=[f"{s.value}-{a}-{r}" for s, a, r in CASES])
def test_every_state_action_role_does_the_documented_transition_or_is_refused(sqlite_store, cfg, state, action, role):
    store = sqlite_store
    n = in_state(store, state, expired=action == "expire")
    before = snapshot(store)
    rule = machine.RULES[action]
    allowed = machine.allowed(state, role, action)
    if action == "redeliver":  # a sweep over what failed: it never changes a version's state
        if not machine.may(role, action):
            with pytest.raises(InvalidTransition, match="needs the operator role"):
                run_action(store, cfg, action, role, n.id)
            assert snapshot(store) == before
        else:
            assert run_action(store, cfg, action, role, n.id) == []
            assert store.notice(n.id, 1).state == state
        return
    if not allowed:
        with pytest.raises(InvalidTransition) as refused:
            run_action(store, cfg, action, role, n.id)
        message = str(refused.value)
        assert f"notice {n.id}" in message and (
            f"needs the {rule.role} role" in message or state.value in message or "only approved" in message
        ), message
        assert snapshot(store) == before, "a refusal changed something"
        return
    run_action(store, cfg, action, role, n.id)
    after = store.notice(n.id, 1)
    if rule.targets:
        assert after.state in rule.targets
    else:
        assert after.state == state
    assert snapshot(store) != before  # an allowed action leaves its audit row at least
    assert store.actions(n.id)[-1].actor in (APPROVER, "loa")


def test_the_table_is_the_one_the_docs_show():
    """docs/state-machine.md carries the table; a change to one without the other fails here."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "state-machine.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.groups() for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| (\w+) \|", doc, re.M)}
    assert set(rows) == set(machine.ACTIONS)
    for rule in machine.TABLE:
        _, sources, targets, role = rows[rule.action]
        assert {s.strip() for s in sources.split(",")} == {s.value for s in rule.sources}, rule.action
        assert [t.strip() for t in targets.split(",") if t.strip() != "—"] == [t.value for t in rule.targets]
        assert role == rule.role


@pytest.mark.parametrize(
    "priority, publish_in, due",
    [
        (Priority.NORMAL, None, True),
        (Priority.NORMAL, timedelta(hours=1), False),
        (Priority.NORMAL, -timedelta(seconds=1), True),
        (Priority.EMERGENCY, timedelta(hours=1), True),
    ],
)
def test_the_embargo_rule(priority, publish_in, due):
    now = utcnow()
    assert machine.is_due(priority, now + publish_in if publish_in is not None else None, now) is due


def test_stages_follow_the_declarations_not_the_names():
    class Ch(FlakyChannel):
        def __init__(self, name, after=()):
            super().__init__()
            self.name, self.after = name, after

    chans = {
        "web": Ch("web", ("audio", "absent")),
        "audio": Ch("audio"),
        "board": Ch("board"),
        "print": Ch("print", ("web",)),
    }
    assert stages(chans) == [["audio", "board"], ["web"], ["print"]]
    chans["audio"].after = ("print",)
    with pytest.raises(ValueError, match="circle"):
        stages(chans)


def _embargoed_v2(store, cfg, scheduler):
    """v1 published; v2 (amended text) approved with a publish time tomorrow."""
    p = Publishing(store, cfg, scheduler)
    v1 = draft(store)
    actions.approve(p, Actor(APPROVER, "approver"), v1.id, 1)
    dispatch_notice(store, {"flaky": FlakyChannel()}, v1.id)
    change = store.record_entry("http://127.0.0.1/feed.xml", entry(summary="<p>Nội dung sửa đổi lần 2</p>"), RELEVANT)
    v2 = store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={"boards": "Bản sửa"})
    tomorrow = utcnow() + timedelta(days=1)
    out = actions.approve(p, Actor(APPROVER, "approver"), v2.id, 2, publish_at=tomorrow)
    return p, v1, out, tomorrow


def test_v1_stays_live_during_v2s_embargo_and_is_superseded_when_v2_publishes(sqlite_store, cfg):
    store, sched = sqlite_store, Recorder()
    p, v1, out, tomorrow = _embargoed_v2(store, cfg, sched)
    assert out.code == "approved-scheduled" and out.announcement.flow_run_id == "run-1"
    assert store.notice(v1.id, 1).state == S.PUBLISHED
    assert [(n.id, n.version) for n in store.live_notices()] == [(v1.id, 1)]  # boards, radio, print read this
    # a re-dispatch during the embargo completes v1, never v2
    assert dispatch_notice(store, {"flaky": FlakyChannel()}, v1.id).version == 1
    # the publish time comes: the scheduled run dispatches v2, which replaces v1 then
    with store.session() as s:
        s.execute(
            update(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == v1.id, NoticeVersionRow.version == 2)
            .values(publish_at=utcnow() - timedelta(seconds=1))
        )
    report = dispatch_notice(store, {"flaky": FlakyChannel()}, v1.id)
    assert (report.version, report.superseded, report.state) == (2, [1], "published")
    assert store.notice(v1.id, 1).state == S.SUPERSEDED
    assert [(n.id, n.version) for n in store.live_notices()] == [(v1.id, 2)]


def test_withdrawing_v2_during_its_embargo_cancels_its_run_and_leaves_v1(sqlite_store, cfg):
    store, sched = sqlite_store, Recorder()
    p, v1, out, _ = _embargoed_v2(store, cfg, sched)
    sched.asked.clear()
    done = actions.withdraw(p, Actor(APPROVER, "approver"), v1.id, 2)
    assert done.code == "withdrawn-unpublished" and done.flow_runs_cancelled == ["run-1"]
    assert sched.asked == [("cancel", "run-1")]  # and no loa.notice.withdrawn: no channel ever had v2
    assert store.notice(v1.id, 1).state == S.PUBLISHED
    assert [(n.id, n.version) for n in store.live_notices()] == [(v1.id, 1)]
    trail = [(a.version, a.action) for a in store.actions(v1.id)]
    assert trail[-3:] == [(2, "schedule"), (2, "withdraw"), (2, "unschedule")]
    assert actions.scheduled_runs(store, v1.id, 2) == []


def test_a_due_approval_delivers_the_at_approval_channels_before_the_run_starts(sqlite_store, cfg):
    store, sched = sqlite_store, Recorder()
    early = FlakyChannel(targets=("cao-bang",))
    early.at_approval = True
    later = FlakyChannel(targets=("site",))
    later.name = "later"
    p = Publishing(store, cfg, sched, lambda: {"flaky": early, "later": later})
    n = draft(store)
    out = actions.approve(p, Actor(APPROVER, "approver"), n.id, 1)
    assert [r.target for r in out.delivered_at_approval] == ["cao-bang"] and later.sent == []
    assert sched.asked == [("start", n.id, 1)]
    # the dispatch run finds the boards delivered: nothing sent twice, every row recorded once
    report = dispatch_notice(store, {"flaky": early, "later": later}, n.id)
    assert [r.target for r in report.results] == ["site"] and report.state == "published"
    assert sorted((d.channel, d.target, d.attempts) for d in store.deliveries(n.id)) == [
        ("flaky", "cao-bang", 1),
        ("later", "site", 1),
    ]


def test_offline_approval_delivers_nothing_and_says_so(sqlite_store, cfg):
    store = sqlite_store
    early = FlakyChannel()
    early.at_approval = True
    p = Publishing(store, cfg, channels=lambda: {"flaky": early})
    n = draft(store)
    out = actions.approve(p, Actor(APPROVER, "operator"), n.id)
    assert out.code == "approved-offline" and early.sent == [] and store.deliveries(n.id) == []


def test_expire_due_marks_only_versions_past_their_expiry(sqlite_store, cfg):
    store = sqlite_store
    old, fresh = in_state(store, S.PUBLISHED, expired=True), in_state(store, S.PUBLISHED, ident="urn:doc:2")
    done = actions.expire_due(Publishing(store, cfg))
    assert [(o.notice_id, o.state) for o in done] == [(old.id, "expired")]
    assert store.notice(fresh.id).state == S.PUBLISHED
    assert [n.id for n in store.live_notices()] == [fresh.id]


def test_the_dispatch_artifact_marks_only_failures_transient_and_fits_the_ui(sqlite_store):
    from flows.dispatch import DETAIL_CHARS, table

    store = sqlite_store
    n = draft(store)
    store.transition(n.id, "approve", APPROVER)
    ch = FlakyChannel(targets=("cao-bang/nam-tuan", "cao-bang/ha-quang"), fail_first={"cao-bang/ha-quang": 1})
    dispatch_notice(store, {"flaky": ch}, n.id)
    rows = table(store, n.id, 1, "publish", {"flaky": ("flaky: cao-bang/ha-quang: broker down", True)})
    ok = next(r for r in rows if r["status"] == "delivered")
    bad = next(r for r in rows if r["status"] == "failed")
    assert set(ok) == {"channel", "target", "status", "tries", "detail"}  # no "transient" on a success
    assert bad["transient"] is True and bad["detail"] == "broker down"
    long = "x" * 300
    store.record_delivery(n.id, 1, "publish", DeliveryResult("flaky", "a", False, long, False))
    rows = table(store, n.id, 1, "publish", {"flaky": ("bad data", False)})
    cut = next(r for r in rows if r["target"] == "a")
    assert len(cut["detail"]) == DETAIL_CHARS and cut["detail"].endswith("…") and cut["transient"] is False


def test_the_desk_asks_the_role_the_table_names_and_labels_every_state():
    """The desk's forms (exercised over HTTP, each refused below its role, in test_desk_http) ask for the
    least role of the table's action; every state has a Vietnamese label on the desk."""
    from loa.app.desk.present import STATE_LABELS
    from tests.integration.test_desk_http import CHANGES

    action_of = {
        "edit board text": "edit",
        "priority and areas": "edit",
        "schedule": "schedule",
        "regenerate audio": "edit",
        "upload recording": "edit",
        "approve": "approve",
        "reject": "reject",
        "withdraw": "withdraw",
    }
    roles = {name: role for name, _, _, role in CHANGES}
    assert set(action_of) <= set(roles)
    for name, action in action_of.items():
        assert roles[name] == machine.RULES[action].role, name
    assert {s.value for s in NoticeState} <= set(STATE_LABELS)
