"""Exactly once under faults (issue 17), on real processes: `loa dispatch` killed with SIGKILL at named
points (loa/faults.py), two dispatches at once, a withdrawal during a dispatch, a broker killed after a
dispatch, a long outage recovered without an operator. Loa's own Mosquitto per test (bench/faultkit.py),
a loopback webhook receiver and a subscriber on every topic. The bench at scale: bench/bench_faults.py."""

from __future__ import annotations

import shutil
import signal
import time
from datetime import timedelta

import pytest

from bench.faultkit import AREAS, World
from channels.catalogue import build_channels
from loa.publishing.dispatch import reassert, redeliver, withdraw_notice

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(95)]

STATIONS = {"hoa-an", "nam-tuan"}


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """The programme segments (opening, bridge, closing) the worlds of this module have spoken. Their names
    are a hash of text and voice (loa.radio.audio.spoken), so a world started with them makes only what it
    lacks instead of running espeak-ng and ffmpeg again for the same sentences (most of a dispatch's audio)."""
    return tmp_path_factory.mktemp("segments")


@pytest.fixture
def world(tmp_path, spoken):
    w = World(tmp_path / "world")
    shutil.copytree(spoken, w.cfg.layout.segments, dirs_exist_ok=True)
    yield w
    w.close()
    shutil.copytree(w.cfg.layout.segments, spoken, dirs_exist_ok=True)


def _finish(world: World, nid: int) -> None:
    again = world.dispatch(nid)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()[-2000:]
    world.settle(0.5)


@pytest.mark.parametrize("point", ["after_send:radio", "before_record:radio", "after_claim:radio"])
def test_a_killed_dispatch_is_finished_by_the_next_without_a_second_alarm(world, point):
    nid = world.emergency("Lũ quét ven suối")
    proc = world.dispatch(nid, point)
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"the fault point {point} did not fire"
    _finish(world, nid)
    tally = world.tally(nid)
    assert +tally.lost == {} and +tally.duplicated == {}, (tally, world.sends(nid))
    plays = world.sends(nid)["radio"]
    assert set(plays) == {f"notice-{nid}-v1-{s}" for s in STATIONS}
    rows = {d.target: d for d in world.store.deliveries(nid, 1, "radio")}
    assert all(d.status == "delivered" and d.claimed_by is None for d in rows.values()), rows


def test_two_dispatches_at_once_deliver_each_target_once(world):
    nid = world.emergency("Sạt lở đường tỉnh")
    first, second = world.dispatch(nid), world.dispatch(nid)
    for p in (first, second):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
    world.settle(0.5)
    tally = world.tally(nid)
    assert +tally.lost == {} and +tally.duplicated == {} and tally.resent_retained == 0, world.sends(nid)
    # every row (website, print PDFs, CAP… included) was sent by one dispatch only
    assert {(d.channel, d.target): d.attempts for d in world.store.deliveries(nid, 1)} == {
        (d.channel, d.target): 1 for d in world.store.deliveries(nid, 1)
    }


def test_a_withdrawal_during_the_dispatch_wins(world):
    nid = world.emergency("Xả lũ hồ chứa")
    proc = world.dispatch(nid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the radio stage started: its rows are claimed (audio being made)
        if any(d.claimed_by for d in world.store.deliveries(nid, 1, "radio")):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the dispatch never claimed its radio rows")
    world.store.transition(nid, "withdraw", "Nông Thị Hoa", "nhầm")
    withdrawn_at = len(world.messages)
    report = withdraw_notice(world.store, build_channels(world.cfg, world.store), nid)  # the withdraw flow's core
    proc.communicate(timeout=300)
    world.settle(0.5)
    after = world.messages[withdrawn_at:]
    assert not [t for t, _, _ in after if t.endswith("/play")], "a play command went out after the withdrawal"
    played = {k.rsplit("-", 1)[-1] for k in world.sends(nid)["radio"]}
    assert played <= set(world.stops(nid)), "a station that got play did not get stop"
    # every station whose play was claimed (it might have got it) is told to stop
    assert set(world.stops(nid)) == STATIONS, (world.stops(nid), report.results)


def test_a_broker_killed_after_dispatch_gets_every_retained_notice_back(world):
    ids = [world.emergency(f"Bão số {i}") for i in range(3)]
    for nid in ids:
        _finish(world, nid)
    world.kill_broker()  # before its 30 s autosave: the retained notices are gone
    world.restart_broker()
    world.messages.clear()
    out = reassert(world.store, build_channels(world.cfg, world.store))
    assert all(r.ok for r in out), out
    world.messages.clear()
    world.sub.loop_stop()
    world._subscribe()  # a board connecting now
    world.settle(1.0)
    retained = {t for t, p, r in world.messages if r and p and "/notices/" in t}
    prefix = world.cfg.mqtt_topic_prefix
    assert retained == {f"{prefix}/areas/{a}/notices/{nid}" for a in AREAS for nid in ids}
    assert any(t == f"{prefix}/keys/notices" for t, p, r in world.messages if r), "the signing key is not retained"


def test_a_long_outage_is_recovered_without_an_operator(world, monkeypatch):
    nid = world.emergency("Cháy rừng lan rộng")
    world.kill_broker()
    proc = world.dispatch(nid)  # broker down: boards and the play commands fail
    proc.communicate(timeout=300)
    failed = {d.target for d in world.store.deliveries(nid, 1, "radio") if d.status == "failed"}
    assert failed == STATIONS
    world.restart_broker()
    world.messages.clear()
    # the recovery run (every 2 min, and on loa.broker.restarted): no `loa dispatch` by hand
    from flows.recovery import recover_all
    from loa import runtime

    for key, value in world.env().items():
        if key.startswith("LOA_"):
            monkeypatch.setenv(key, value)
    runtime._open.cache_clear()
    summary = recover_all(settle_after=timedelta(0))
    assert summary["redelivered"] >= 4 and not summary["still_failing"], summary
    world.settle(0.5)
    assert set(world.sends(nid)["radio"]) == {f"notice-{nid}-v1-{s}" for s in STATIONS}
    assert all(n == 1 for n in world.sends(nid)["radio"].values())
    assert world.store.notice(nid).state.value == "published"
    # a second recovery run sends nothing
    assert redeliver(world.store, build_channels(world.cfg, world.store), settle_after=timedelta(0)) == []
