"""Reliability against a Mosquitto of its own that the test stops and starts.

- The broker is down during dispatch: the deliveries stay failed (transient), nothing is lost; once the
  broker is back the same dispatch delivers each target once, and another run sends nothing twice.
- A board that was offline gets, on reconnect, exactly the current notices: retained ones, none expired
  (MQTT message expiry) and none withdrawn; a newer version replaces the older one, also where the new
  version no longer targets an area the old one did.
"""

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.boards import Boards, notice_topic
from loa.app import broker as mosquitto
from loa.app.cli_boards import create_board
from loa.config import Env, MqttURL, load_config
from loa.publishing.dispatch import dispatch_notice, redeliver, withdraw_notice
from loa.store import Store
from loa.store.schema import NoticeVersionRow, utcnow
from tests.conftest import write_config
from tests.mqtt_helpers import Collector, retained
from tests.unit.test_store import draft, entry

pytestmark = pytest.mark.integration
AREA = "cao-bang/nguyen-hue"


class OwnBroker:
    def __init__(self, cfg):
        self.cfg, self.proc = cfg, None

    def start(self):
        self.proc = mosquitto.start(self.cfg)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own(tmp_path):
    folder = write_config(tmp_path / "config", feeds=[])
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    b = OwnBroker(cfg)
    yield cfg, Store.open(cfg.database_url), b
    if b.proc is not None:
        b.stop()


def approved(store, ident, areas=(AREA,), expires_in=None):
    n = draft(store, entry(ident=ident, title=f"Thông báo {ident}"), areas=areas)
    if expires_in is not None:
        with store.session() as s:
            s.scalar(select(NoticeVersionRow).where(NoticeVersionRow.notice_id == n.id)).expires_at = (
                utcnow() + expires_in
            )
    return store.transition(n.id, "approve", "Nông Thị Hoa")


def test_broker_down_during_dispatch_delays_but_never_loses_or_duplicates(own):
    cfg, store, broker = own
    n = approved(store, "urn:outage", areas=[AREA, "cao-bang"])
    channels = {"boards": Boards(cfg, store)}

    report = dispatch_notice(store, channels, n.id)  # the broker is down
    assert report.state == "partially_published"
    assert all(not r.ok and r.transient for r in report.results) and len(report.results) == 2
    assert {d.status for d in store.deliveries(n.id)} == {"failed"}

    broker.start()
    topics = [notice_topic(cfg, a, n.id) for a in (AREA, "cao-bang")]
    watcher = Collector(cfg.mqtt_monitor, topics).wait_ready()
    try:
        assert dispatch_notice(store, channels, n.id).state == "published"
        assert dispatch_notice(store, channels, n.id).results == []  # nothing pending: nothing sent again
        time.sleep(0.5)
    finally:
        watcher.close()
    live = [t for _, t, payload, retain in watcher.received if payload]
    assert sorted(live) == sorted(topics), "each target exactly once"
    assert [(d.status, d.attempts) for d in store.deliveries(n.id)] == [("delivered", 2), ("delivered", 2)]

    broker.stop()  # retained notices survive a broker restart (persistence)
    broker.start()
    assert json.loads(retained(cfg.mqtt_monitor, topics[0]))["id"] == n.id


def test_a_board_back_online_gets_exactly_the_current_notices(own):
    cfg, store, broker = own
    broker.start()
    board = create_board(cfg, store, "nam-tuan-1", AREA)
    channels = {"boards": Boards(cfg, store)}
    # long enough to be sent on a loaded machine (the dispatch refuses what has already expired)
    expiring = approved(store, "urn:expiring", expires_in=timedelta(seconds=8))
    current = approved(store, "urn:current")
    withdrawn = approved(store, "urn:withdrawn", areas=["cao-bang"])
    amended = approved(store, "urn:amended", areas=["cao-bang"])  # v2 moves it to two communes, the board's one
    for n in (expiring, current, withdrawn, amended):
        assert dispatch_notice(store, channels, n.id).state == "published"
    assert store.deliveries(expiring.id)[0].detail == notice_topic(cfg, AREA, expiring.id)  # it was sent
    store.transition(withdrawn.id, "withdraw", "Nông Thị Hoa")
    withdraw_notice(store, channels, withdrawn.id)
    v2 = draft(
        store,
        entry(ident="urn:amended", title="Thông báo urn:amended", summary="<p>sửa đổi</p>"),
        areas=[AREA, "cao-bang/hoa-an"],
    )
    store.transition(v2.id, "approve", "Nông Thị Hoa")
    assert dispatch_notice(store, channels, v2.id).state == "published"

    # the board was offline while the first notice expired
    time.sleep(max(0.0, (store.notice(expiring.id).expires_at - utcnow()).total_seconds()) + 0.5)
    url = MqttURL(cfg.mqtt.host, cfg.mqtt.port, board["id"], board["password"])
    from loa.board_protocol import board_subscriptions

    c = Collector(url, board_subscriptions(cfg.mqtt_topic_prefix, AREA)).wait_ready()
    time.sleep(1.0)
    c.close()
    got = {topic: json.loads(payload) for _, topic, payload, _ in c.received if payload}
    assert set(got) == {
        notice_topic(cfg, AREA, current.id),
        notice_topic(cfg, AREA, amended.id),
    }  # province topic cleared
    assert got[notice_topic(cfg, AREA, amended.id)]["version"] == 2
    assert all(retain for _, _, _, retain in c.received)


def test_after_a_long_outage_the_health_flow_redelivers_and_clears_once(own):
    """Prefect's few retries are over: `redeliver` (the board-health flow) publishes and clears what is left."""
    cfg, store, broker = own
    channels = {"boards": Boards(cfg, store)}
    late = approved(store, "urn:late")
    assert dispatch_notice(store, channels, late.id).state == "partially_published"  # broker down
    broker.start()
    gone = approved(store, "urn:gone")
    assert dispatch_notice(store, channels, gone.id).state == "published"
    broker.stop()
    store.transition(gone.id, "withdraw", "Nông Thị Hoa")
    assert not any(r.ok for r in withdraw_notice(store, channels, gone.id).results)  # broker down again
    assert (
        redeliver(store, {"boards": Boards(cfg, store)}) == []
    )  # failed moments ago: the dispatch flow's own retries come first

    broker.start()
    results = redeliver(store, {"boards": Boards(cfg, store)}, settle_after=timedelta(0))
    assert sorted((r.target, r.ok) for r in results) == [(AREA, True), (AREA, True)]
    assert store.notice(late.id).state.value == "published"
    assert redeliver(store, {"boards": Boards(cfg, store)}, settle_after=timedelta(0)) == []  # nothing twice
    assert json.loads(retained(cfg.mqtt_monitor, notice_topic(cfg, AREA, late.id)))["id"] == late.id
    assert retained(cfg.mqtt_monitor, notice_topic(cfg, AREA, gone.id)) is None
