"""Who may send a delivery and run a notice's dispatch (loa.publishing.claims), and the store applying
it on SQLite and PostgreSQL (loa.store.claims)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from loa import faults, sendguard
from loa.model import DeliveryResult
from loa.publishing import claims, dispatch
from loa.publishing.claims import DONE, HELD, TAKE, UNCERTAIN, RowState
from loa.radio.command import idempotency_key
from loa.store import claims as held
from tests.unit.test_radio_build import notice

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)


def row(status="pending", by=None, until=None, sent=None, updated=None) -> RowState:
    return RowState("hoa-an", status, by, until, sent, updated)


def test_a_delivered_row_is_never_sent_again():
    assert claims.decide(row("delivered"), "me", NOW, idempotent=True, alive=None) == DONE


def test_a_live_holder_keeps_its_claim_until_the_lease_ends_or_its_process_dies():
    claimed = row(by="other", until=NOW + timedelta(minutes=1))
    assert claims.decide(claimed, "me", NOW, idempotent=True, alive=True) == HELD
    assert claims.decide(claimed, "me", NOW, idempotent=True, alive=None) == HELD  # another host: the lease
    assert claims.decide(claimed, "me", LATER, idempotent=True, alive=None) == TAKE
    assert claims.decide(claimed, "me", NOW, idempotent=True, alive=False) == TAKE
    assert claims.decide(claimed, "other", NOW, idempotent=True, alive=True) == TAKE  # its own claim


def test_a_command_a_dead_holder_may_have_sent_is_not_repeated_but_an_idempotent_one_is():
    started = row(by="dead", until=NOW + timedelta(minutes=1), sent=NOW)
    assert claims.decide(started, "me", NOW, idempotent=False, alive=False) == UNCERTAIN
    assert claims.decide(started, "me", NOW, idempotent=True, alive=False) == TAKE
    # no PUBACK recorded as a failure (the claim released): provably not accepted, sent again
    assert claims.decide(row("failed", sent=NOW), "me", NOW, idempotent=False, alive=None) == TAKE
    # claimed, nothing started: provably not sent
    assert claims.decide(row(by="dead", until=NOW), "me", NOW, idempotent=False, alive=False) == TAKE


def test_a_withdrawal_undoes_what_was_or_may_have_been_sent():
    assert claims.may_have_reached(row("delivered"))
    assert claims.may_have_reached(row(by="running", until=LATER))
    assert claims.may_have_reached(row("failed", sent=NOW))
    assert not claims.may_have_reached(row("pending"))
    assert not claims.may_have_reached(row("failed"))


def test_recovery_takes_old_failures_pending_rows_and_dead_claims_only():
    settled = NOW - timedelta(minutes=2)
    old, new = NOW - timedelta(minutes=5), NOW - timedelta(seconds=10)
    assert claims.to_recover(row("failed", updated=old), NOW, settled, None)
    assert not claims.to_recover(row("failed", updated=new), NOW, settled, None)  # its dispatch retries it
    assert claims.to_recover(row("pending", updated=old), NOW, settled, None)
    assert claims.to_recover(row(by="dead", until=LATER, updated=new), NOW, settled, False)
    assert not claims.to_recover(row(by="alive", until=LATER, updated=old), NOW, settled, True)
    assert not claims.to_recover(row("delivered", updated=old), NOW, settled, None)


def test_the_holder_names_this_process_and_is_alive():
    me = claims.new_holder()
    assert me.split(":")[1] == str(os.getpid()) and me != claims.new_holder()
    assert claims.holder_alive(me) is True
    assert claims.holder_alive(f"{me.split(':')[0]}:999999999:x") is False
    assert claims.holder_alive("elsewhere:1:x") is None


def test_the_play_key_is_one_per_notice_version_and_station():
    assert idempotency_key(7, 2, "hoa-an") == "notice-7-v2-hoa-an" == claims.idempotency_key(7, 2, "hoa-an")


def _planned(store):
    n = notice(store, "Mất điện cả xã")
    store.plan_deliveries(n.id, 1, "publish", {"radio": ["hoa-an", "nam-tuan"]})
    return n


def test_two_holders_never_both_claim_a_row(store):
    n = _planned(store)
    args = (store, n.id, 1, "radio", "publish", ["hoa-an", "nam-tuan"])
    alive = {"a": True, "b": True}.get
    first = held.claim(*args, "a", idempotent=False, alive=alive, lease=timedelta(minutes=5))
    second = held.claim(*args, "b", idempotent=False, alive=alive, lease=timedelta(minutes=5))
    assert first == {"hoa-an": TAKE, "nam-tuan": TAKE} and second == {"hoa-an": HELD, "nam-tuan": HELD}
    assert held.mark_sending(store, n.id, 1, "radio", "publish", "hoa-an", "a", timedelta(minutes=5))
    assert not held.mark_sending(store, n.id, 1, "radio", "publish", "hoa-an", "b", timedelta(minutes=5))
    # "a" dies: "b" takes the row it never started, and not the one whose play may be out
    dead = {"a": False}.get
    third = held.claim(*args, "b", idempotent=False, alive=dead, lease=timedelta(minutes=5))
    assert third == {"hoa-an": UNCERTAIN, "nam-tuan": TAKE}
    store.record_delivery(n.id, 1, "publish", DeliveryResult("radio", "nam-tuan", True, "ok"))
    rows = {d.target: d for d in store.deliveries(n.id)}
    assert rows["nam-tuan"].claimed_by is None and rows["nam-tuan"].status == "delivered"
    assert rows["hoa-an"].sent_at is not None


def test_one_dispatch_lease_per_notice(store):
    n = _planned(store)
    alive = {"a": True}.get
    assert held.acquire(store, n.id, "a", "dispatch", alive=alive, lease=timedelta(minutes=5)) is None
    other = held.acquire(store, n.id, "b", "dispatch", alive=alive, lease=timedelta(minutes=5))
    assert other is not None and other.holder == "a" and other.purpose == "dispatch"
    assert held.acquire(store, n.id, "a", "dispatch", alive=alive, lease=timedelta(minutes=5)) is None  # renew
    # the holder died: taken over at once
    assert held.acquire(store, n.id, "b", "withdraw", alive={"a": False}.get, lease=timedelta(minutes=5)) is None
    held.give_back(store, n.id, "a")  # not its lease any more: nothing happens
    assert held.holder(store, n.id).holder == "b"
    held.give_back(store, n.id, "b")
    assert held.holder(store, n.id) is None


class _Speaker:
    """A channel that cannot take twice (our own seam): asks the guard before each send."""

    name, after, broker, at_approval, idempotent = "radio", (), False, False, False

    def __init__(self, store, withdraw_midway=False):
        self.store, self.withdraw_midway, self.sent = store, withdraw_midway, []

    def targets(self, notice):
        return ["hoa-an", "nam-tuan"]

    def dispatch(self, notice, targets):
        out = []
        for t in targets:
            if self.withdraw_midway and t == "nam-tuan":  # withdrawn while the audio was being made
                self.store.transition(notice.id, "withdraw", "Nông Thị Hoa", "nhầm")
            if sendguard.allowed(self.name, [t]):
                self.sent.append(t)
                out.append(DeliveryResult(self.name, t, True, "play"))
            else:
                out.append(DeliveryResult(self.name, t, False, "withdrawn: not sent", transient=False))
        return out

    withdraw = dispatch


def test_a_withdrawal_stops_the_sends_not_yet_made_and_undoes_the_ones_made(store):
    n = notice(store, "Xả lũ")
    speaker = _Speaker(store, withdraw_midway=True)
    dispatch.plan(store, {"radio": speaker}, store.notice(n.id))
    dispatch.deliver(store, speaker, store.notice(n.id))
    assert speaker.sent == ["hoa-an"]
    rows = {d.target: d for d in store.deliveries(n.id, kind="publish")}
    assert rows["hoa-an"].sent_at is not None and rows["nam-tuan"].status == "failed"
    assert rows["nam-tuan"].sent_at is None and rows["nam-tuan"].claimed_by is None
    # the withdrawal goes to both: one got play, the other had its playlist built (might have)
    assert dispatch.plan(store, {"radio": speaker}, store.notice(n.id), kind="withdraw") == {
        "radio": ["hoa-an", "nam-tuan"]
    }


def test_a_second_dispatch_waits_then_names_who_holds_the_notice(store):
    n = notice(store, "Mưa đá")
    with dispatch.hold(store, n.id, "dispatch") as me:
        with pytest.raises(dispatch.Busy, match=f"notice {n.id} is being handled by another dispatch .{me}"):
            with dispatch.hold(store, n.id, "dispatch", wait=timedelta(seconds=0.3)):
                pass
        with dispatch.hold(store, n.id, "withdraw", wait=timedelta(seconds=0.3), force=True):
            pass  # a withdrawal goes on after its wait
    with dispatch.hold(store, n.id, "dispatch", wait=timedelta(0)):
        pass  # given back


def test_fault_points_do_nothing_unless_named(monkeypatch):
    monkeypatch.setenv("LOA_FAULT_POINT", "after_send:radio")
    faults.point("after_send", "boards")  # another channel: still alive
    faults.point("after_claim", "radio")
    monkeypatch.delenv("LOA_FAULT_POINT")
    faults.point("after_send", "radio")


def test_a_long_dispatch_renews_its_lease_before_each_send(store):
    n = notice(store, "Rét đậm")
    speaker = _Speaker(store)
    dispatch.plan(store, {"radio": speaker}, store.notice(n.id))
    with dispatch.hold(store, n.id, "dispatch") as me:
        first = held.holder(store, n.id).until
        dispatch.deliver(store, speaker, store.notice(n.id))
        lease = held.holder(store, n.id)
        assert lease.holder == me and lease.purpose == "dispatch" and lease.until > first
    assert speaker.sent == ["hoa-an", "nam-tuan"]
