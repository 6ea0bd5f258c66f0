"""The dispatch core: nothing unapproved goes out; each target is delivered exactly once per version."""

import pytest

from loa.errors import InvalidTransition
from loa.model import DeliveryResult, NoticeState
from loa.publishing.dispatch import dispatch_notice, parse_notice_id, withdraw_notice
from tests.unit.test_store import draft


class FlakyChannel:
    """A hand-written channel for the dispatcher's seam: fails `fail_first` calls per target, records sends."""

    name = "flaky"

    def __init__(self, targets=("a", "b"), fail_first=None):
        self._targets, self.sent, self.withdrawn = list(targets), [], []
        self.fail_first = dict(fail_first or {})

    def targets(self, notice):
        return self._targets

    def dispatch(self, notice, targets):
        results = []
        for t in targets:
            if self.fail_first.get(t, 0) > 0:
                self.fail_first[t] -= 1
                results.append(DeliveryResult(self.name, t, False, "broker down", True))
            else:
                self.sent.append((notice.id, notice.version, t))
                results.append(DeliveryResult(self.name, t, True, f"sent to {t}"))
        return results

    def withdraw(self, notice, targets):
        self.withdrawn += targets
        return [DeliveryResult(self.name, t, True, "cleared") for t in targets]

    def describe(self):
        return {"channel": self.name}


def test_parse_notice_id():
    assert parse_notice_id("loa.notice.42") == parse_notice_id(42) == parse_notice_id("42") == 42
    with pytest.raises(ValueError, match="not a notice id"):
        parse_notice_id("loa.feed.x")


@pytest.mark.parametrize("action", [None, "reject"])
def test_unapproved_notices_are_never_dispatched(store, action):
    n = draft(store)
    if action:
        store.transition(n.id, action, "editor", "lý do")
    channel = FlakyChannel()
    with pytest.raises(InvalidTransition, match="only approved notices are dispatched"):
        dispatch_notice(store, {"flaky": channel}, n.id)
    assert channel.sent == [] and store.deliveries(n.id) == []


def test_exactly_once_across_failures_and_reruns(store):
    n = draft(store)
    store.transition(n.id, "approve", "editor")
    channel = FlakyChannel(fail_first={"b": 2})
    first = dispatch_notice(store, {"flaky": channel}, n.id)
    assert first.state == NoticeState.PARTIALLY_PUBLISHED.value and len(first.failed) == 1
    second = dispatch_notice(store, {"flaky": channel}, n.id)  # only b is retried, fails again
    assert [r.target for r in second.results] == ["b"]
    third = dispatch_notice(store, {"flaky": channel}, n.id)
    assert third.state == NoticeState.PUBLISHED.value
    assert sorted(channel.sent) == [(n.id, 1, "a"), (n.id, 1, "b")]  # each target once
    assert dispatch_notice(store, {"flaky": channel}, n.id).results == []  # a re-dispatch sends nothing
    b = next(d for d in store.deliveries(n.id) if d.target == "b")
    assert (b.status, b.attempts) == ("delivered", 3)


def test_withdraw_requires_withdrawn_state_and_reaches_every_target(store):
    n = draft(store)
    store.transition(n.id, "approve", "editor")
    channel = FlakyChannel()
    dispatch_notice(store, {"flaky": channel}, n.id)
    with pytest.raises(InvalidTransition, match="withdraw it first"):
        withdraw_notice(store, {"flaky": channel}, n.id)
    store.transition(n.id, "withdraw", "editor")
    withdraw_notice(store, {"flaky": channel}, n.id)
    assert channel.withdrawn == ["a", "b"]


def test_withdrawing_a_never_published_notice_touches_no_channel(store):
    n = draft(store)
    store.transition(n.id, "approve", "editor")
    store.transition(n.id, "withdraw", "editor")
    channel = FlakyChannel()
    withdraw_notice(store, {"flaky": channel}, n.id)
    assert channel.withdrawn == [] and store.deliveries(n.id) == []
