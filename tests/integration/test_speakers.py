"""Loudspeakers on Loa's own Mosquitto (issue 19): accounts confined by the ACL, the signed station schedule,
the listener recording status and acks, and confirmed airings in `loa radio history`, the desk and the
monthly report. Real broker, real espeak-ng/ffmpeg audio, real store."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from channels.board_listener import BoardListener
from channels.mqtt import Publisher
from channels.radio import Radio
from loa.app.board_monitor import speaker_event
from loa.app.cli import app
from loa.app.cli_boards import create_board
from loa.app.cli_speakers import create_speaker
from loa.config import MqttURL
from loa.errors import LoaError
from loa.radio import schedule_msg
from loa.report import monthly_report, to_markdown
from loa.store import Store, users
from loa.store.speakers import get_speaker, status_history
from tests.integration.test_board_accounts import publish_as
from tests.mqtt_helpers import Collector, retained
from tests.unit.test_radio_build import notice

pytestmark = pytest.mark.integration
PASSWORD = "mật khẩu đủ dài 2026"


@pytest.fixture
def store(broker_cfg):
    return Store.open(broker_cfg.database_url)


def url_of(cfg, account: dict) -> MqttURL:
    return MqttURL(cfg.mqtt.host, cfg.mqtt.port, account["id"], account["password"])


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_a_speaker_reads_only_its_station_and_writes_only_its_reports(broker_cfg, store):
    cfg = broker_cfg
    spk = create_speaker(cfg, store, uid("nt-loa"), "nam-tuan", "Cụm loa thôn Nà Lòa")
    other = create_speaker(cfg, store, uid("ha-loa"), "hoa-an")
    board = create_board(cfg, store, uid("nt-bang"), "cao-bang/nam-tuan")
    assert spk["broker_reloaded"] and spk["broker_accepts"]
    with Publisher(cfg.mqtt, client_id="loa-test-radio") as pub:
        for st in ("nam-tuan", "hoa-an"):
            pub.publish(f"loa/v1/radio/{st}/schedule", json.dumps({"station": st}).encode(), retain=True)
        pub.publish("loa/v1/keys/notices", b'{"schema": "loa.key"}', retain=True)
        pub.publish("loa/v1/areas/cao-bang/nam-tuan/notices/1", b'{"id": 1}', retain=True)

    c = Collector(
        url_of(cfg, spk),
        ["loa/v1/radio/#", "loa/v1/radio/hoa-an/schedule", "loa/v1/keys/#", "loa/v1/areas/#", "loa/v1/speakers/#"],
    ).wait_ready()
    assert c.wait_for("loa/v1/radio/nam-tuan/schedule") and c.wait_for("loa/v1/keys/notices")
    with Publisher(cfg.mqtt, client_id="loa-test-radio") as pub:  # live commands, not retained
        for st in ("nam-tuan", "hoa-an"):
            pub.publish(f"loa/v1/radio/{st}/play", json.dumps({"station": st}).encode(), retain=False)
    assert c.wait_for("loa/v1/radio/nam-tuan/play")
    time.sleep(0.5)
    c.close()
    assert set(c.messages) == {"loa/v1/radio/nam-tuan/schedule", "loa/v1/radio/nam-tuan/play", "loa/v1/keys/notices"}

    me = url_of(cfg, spk)
    assert not publish_as(me, f"loa/v1/speakers/{spk['id']}/status", b'{"state": "online"}', retain=True).is_failure
    assert not publish_as(me, f"loa/v1/speakers/{spk['id']}/ack", b"{}").is_failure
    for topic in (
        f"loa/v1/speakers/{other['id']}/status",  # another speaker's report
        f"loa/v1/speakers/{other['id']}/ack",
        f"loa/v1/boards/{spk['id']}/status",  # a board topic under its own name (what a `pattern` would allow)
        f"loa/v1/boards/{board['id']}/ack",
        "loa/v1/radio/nam-tuan/schedule",  # its own station's schedule or commands
        "loa/v1/radio/nam-tuan/play",
        "loa/v1/keys/notices",
        "loa/v1/areas/cao-bang/nam-tuan/notices/2",
    ):
        assert publish_as(me, topic, b'{"forged": true}').is_failure, topic
    # and a board cannot write speaker topics, even under its own name
    b = url_of(cfg, board)
    assert publish_as(b, f"loa/v1/speakers/{board['id']}/status", b"{}").is_failure
    assert publish_as(b, f"loa/v1/speakers/{spk['id']}/ack", b"{}").is_failure
    assert not publish_as(b, f"loa/v1/boards/{board['id']}/status", b'{"state": "online"}').is_failure
    # a board cannot read a station's radio topics
    cb = Collector(b, ["loa/v1/radio/#"]).wait_ready()
    time.sleep(0.5)
    cb.close()
    assert not cb.messages


def test_credentials_file_disable_and_reset(broker_cfg, store, monkeypatch):
    cfg = broker_cfg
    spk = create_speaker(cfg, store, uid("nt-loa"), "nam-tuan")
    path = cfg.home / "speakers" / f"{spk['id']}.credentials.json"
    assert spk["credentials_file"] == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = json.loads(path.read_text())
    assert (creds["id"], creds["password"], creds["station"]) == (spk["id"], spk["password"], "nam-tuan")
    line = next(x for x in (cfg.home / "mosquitto" / "passwd").read_text().splitlines() if x.startswith(spk["id"]))
    assert spk["password"] not in line

    for k, v in {
        "LOA_HOME": str(cfg.home),
        "LOA_CONFIG_DIR": str(cfg.config_dir),
        "LOA_DATABASE_URL": cfg.database_url,
    }.items():
        monkeypatch.setenv(k, v)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["speakers", "--json"]).stdout)
    assert [(s["id"], s["station"], s["state"]) for s in listed] == [(spk["id"], "nam-tuan", "unknown")]
    # by hand: the station's schedule, built a day ahead (nothing to air here: no slots), signed and retained
    r = runner.invoke(app, ["speakers", "schedule", "--json"])
    assert r.exit_code == 0, r.stdout
    assert json.loads(r.stdout)["nam-tuan"]["slots"] == []
    doc = json.loads(retained(cfg.mqtt_monitor, "loa/v1/radio/nam-tuan/schedule"))
    key = json.loads(retained(cfg.mqtt_monitor, "loa/v1/keys/notices"))["public_key"]
    assert schedule_msg.verify(doc, key, "nam-tuan") is None
    r = runner.invoke(app, ["speakers", "disable", spk["id"]])
    assert r.exit_code == 0, r.stdout
    time.sleep(0.3)
    c = Collector(url_of(cfg, spk), ["loa/v1/keys/#"]).wait_ready()
    c.close()
    assert c.refused  # a disabled speaker's account is gone
    r = runner.invoke(app, ["speakers", "reset", spk["id"], "--json"])
    assert r.exit_code == 0, r.stdout
    reset = json.loads(r.stdout)
    assert reset["broker_accepts"] and reset["password"] != spk["password"]
    assert json.loads(path.read_text())["password"] == reset["password"]
    old = Collector(url_of(cfg, spk), ["loa/v1/keys/#"]).wait_ready()
    old.close()
    assert old.refused
    shown = runner.invoke(app, ["speakers", "show", spk["id"]])
    assert shown.exit_code == 0 and "station nam-tuan" in shown.stdout


def test_speaker_ids_collide_with_no_board_and_no_loa_account(broker_cfg, store):
    cfg = broker_cfg
    create_board(cfg, store, "shared-name", "cao-bang/nam-tuan")
    with pytest.raises(LoaError, match="is a board's account"):
        create_speaker(cfg, store, "shared-name", "nam-tuan")
    create_speaker(cfg, store, "thon-na-loa", "nam-tuan")
    with pytest.raises(LoaError, match="is a loudspeaker's account"):
        create_board(cfg, store, "thon-na-loa", "cao-bang/nam-tuan")
    for reserved in ("loa-monitor", "loa-publisher", "loa-board-listener"):
        with pytest.raises(LoaError, match="Loa's own broker accounts"):
            create_speaker(cfg, store, reserved, "nam-tuan")
    with pytest.raises(LoaError, match="not in .*stations.yaml"):
        create_speaker(cfg, store, "lost", "nowhere")
    with pytest.raises(LoaError, match="lowercase ASCII"):
        create_speaker(cfg, store, "Loa/+", "nam-tuan")


class SimSpeaker:
    """A speaker as docs/speakers.md asks: last will 'offline' (retained), status, acks."""

    def __init__(self, cfg, account):
        self.id, self.station = account["id"], account["station"]
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(self.id, account["password"])
        will = {"schema": "loa.speaker.status", "schema_version": 1, "speaker": self.id, "state": "offline"}
        self.client.will_set(f"loa/v1/speakers/{self.id}/status", json.dumps(will), qos=1, retain=True)
        self.client.connect(cfg.mqtt.host, cfg.mqtt.port, keepalive=30)
        self.client.loop_start()

    def send(self, kind, doc, retain=False):
        info = self.client.publish(f"loa/v1/speakers/{self.id}/{kind}", json.dumps(doc), qos=1, retain=retain)
        info.wait_for_publish(5)
        assert info.is_published()

    def status(self, state, skew=12):
        doc = {
            "schema": "loa.speaker.status",
            "schema_version": 1,
            "speaker": self.id,
            "station": self.station,
            "state": state,
            "at": datetime.now(UTC).isoformat(),
            "clock_skew_ms": skew,
            "cache": {"items": 3, "bytes": 120000},
            "software": "sim 1",
        }
        self.send("status", doc, retain=True)

    def ack(self, slot, item, event, station=None, detail=None):
        doc = {
            "schema": "loa.speaker.ack",
            "schema_version": 1,
            "speaker": self.id,
            "station": station or self.station,
            "slot": slot["id"] if slot else None,
            "item": item["id"],
            "notice": item["notice"],
            "event": event,
            "at": datetime.now(UTC).isoformat(),
            "detail": detail,
            "command": None,
        }
        self.send("ack", doc)

    def lose_power(self):
        self.client.loop_stop()
        self.client.socket().shutdown(socket.SHUT_RDWR)
        self.client.socket().close()


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def schedule_now(cfg, predicate=lambda doc: True, timeout=10.0) -> dict:
    c = Collector(cfg.mqtt_monitor, ["loa/v1/radio/nam-tuan/schedule"]).wait_ready()
    try:
        raw = c.wait_for("loa/v1/radio/nam-tuan/schedule", timeout, lambda p: bool(p) and predicate(json.loads(p)))
    finally:
        c.close()
    assert raw, "no schedule matching the expectation"
    return json.loads(raw)


def test_schedule_acks_and_confirmed_airings_end_to_end(broker_cfg, store, monkeypatch):
    cfg = broker_cfg
    spk = create_speaker(cfg, store, uid("nt-loa"), "nam-tuan")
    n = notice(store, "Lịch tiếp công dân tháng 12", areas=("cao-bang/nam-tuan",))
    radio = Radio(cfg, store)
    assert all(r.ok for r in radio.dispatch(store.notice(n.id), ["nam-tuan"]))

    # the signed, retained schedule: the notice's slot, its items in order, each file's real SHA-256
    has = lambda doc: any(i["notice"] and i["notice"]["id"] == n.id for s in doc["slots"] for i in s["items"])  # noqa: E731
    doc = schedule_now(cfg, has)
    key = json.loads(retained(cfg.mqtt_monitor, "loa/v1/keys/notices"))["public_key"]
    assert schedule_msg.verify(doc, key, "nam-tuan") is None
    slot = next(s for s in doc["slots"] if any(i["notice"] and i["notice"]["id"] == n.id for i in s["items"]))
    assert [i["kind"] for i in slot["items"]][0] == "opening" and slot["items"][-1]["kind"] == "closing"
    for i in slot["items"]:
        path = cfg.layout.radio / i["url"].removeprefix(f"{cfg.site_url}/radio/")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == i["sha256"]
    assert datetime.fromisoformat(doc["until"]) >= datetime.fromisoformat(doc["generated_at"]).replace() + (
        schedule_msg.HORIZON
    )

    # the speaker plays the slot and acks; Loa's listener records it
    changes = []
    lst = BoardListener(cfg, store, on_speaker=changes.append, client_id=uid("test-listener")).start().wait_ready()
    sim = SimSpeaker(cfg, spk)
    try:
        sim.status("online")
        sim.status("playing")
        for i in slot["items"]:
            sim.ack(slot, i, "started")
            sim.ack(slot, i, "finished")
        sim.ack(slot, slot["items"][1], "finished", station="hoa-an")  # another station: refused
        sim.ack(slot, slot["items"][1], "failed", detail="mpv exited 2")  # e.g. a replay that failed
        sim.status("idle")
        assert wait(lambda: get_speaker(store, spk["id"]).acks == 2 * len(slot["items"]) + 1)
        assert wait(lambda: any("for station 'hoa-an'" in why for why in lst.refused_reports))
        ghost = {
            "schema": "loa.speaker.ack",
            "schema_version": 1,
            "speaker": "ghost",
            "station": "nam-tuan",
            "slot": slot["id"],
            "item": slot["items"][1]["id"],
            "notice": slot["items"][1]["notice"],
            "event": "finished",
            "at": datetime.now(UTC).isoformat(),
        }
        with Publisher(cfg.mqtt, client_id="loa-test-ghost") as pub:  # an unknown speaker (the publisher may write)
            pub.publish("loa/v1/speakers/ghost/ack", json.dumps(ghost).encode(), retain=False)
        assert wait(lambda: any("'ghost' is not registered" in why for why in lst.refused_reports))
        sp = get_speaker(store, spk["id"])
        assert (sp.state, sp.clock_skew_ms, sp.cache_items) == ("idle", 12, 3)
        failed = [c for c in changes if c.new == "failed"]
        assert failed and speaker_event(cfg, failed[0])[0] == "loa.speaker.failed"
        sim.lose_power()  # the broker publishes the last will
        assert wait(lambda: get_speaker(store, spk["id"]).state == "offline", 15)
        off = next(c for c in changes if c.new == "offline")
        name, resource, related, payload = speaker_event(cfg, off)
        assert name == "loa.speaker.offline" and resource["prefect.resource.id"] == f"loa.speaker.{spk['id']}"
        assert payload["station"] == "nam-tuan"
        assert [h["state"] for h in status_history(store, spk["id"])][:2] == ["offline", "idle"]
    finally:
        lst.stop()

    # `loa radio history`: confirmed beside planned
    for k, v in {
        "LOA_HOME": str(cfg.home),
        "LOA_CONFIG_DIR": str(cfg.config_dir),
        "LOA_DATABASE_URL": cfg.database_url,
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    runner = CliRunner()
    rows = json.loads(runner.invoke(app, ["radio", "history", str(n.id), "--json"]).stdout)
    confirmed = [r for r in rows if r["confirmed_at"]]
    assert [r["station"] for r in confirmed] == ["nam-tuan"]
    assert slot["id"].endswith(confirmed[0]["slot"].replace("-", "").replace(" ", "T").replace(":", ""))
    human = runner.invoke(app, ["radio", "history", str(n.id)], env={"COLUMNS": "80"}).stdout
    assert "Đã phát tại 1/1 đài" in human and "phát lỗi" in human

    # the monthly report counts the airing (once) and its minutes
    month = datetime.now(cfg.tz).strftime("%Y-%m")
    report = monthly_report(store, cfg, month, audio_seconds=lambda name: None)
    row = next(a for a in report.airings if a["station"] == "nam-tuan")
    notice_seconds = sum(i["seconds"] for i in slot["items"] if i["notice"])
    assert (row["airings"], row["failed"]) == (1, 1)
    assert row["minutes"] == round(notice_seconds / 60, 1)
    assert "Loa xác nhận đã phát" in to_markdown(report)

    # the desk's notice page
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))
    users.add_user(store, "Nông Thị Hoa", "approver", PASSWORD)
    from loa.app.web import create_app

    client = TestClient(create_app(cfg), follow_redirects=False)
    page = client.get("/desk/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/desk/login", data={"name": "Nông Thị Hoa", "password": PASSWORD, "login_token": token, "next": "/desk/"}
    )
    assert r.status_code == 303
    html = client.get(f"/desk/notices/{n.id}").text
    assert "Đã phát tại 1/1 đài" in html and "đã phát " in html

    # a withdrawal takes the notice out of the schedule at once
    withdrawn = store.transition(n.id, "withdraw", "Nông Thị Hoa", reason="hết hiệu lực")
    assert all(r.ok for r in radio.withdraw(withdrawn, ["nam-tuan"]))
    after = schedule_now(cfg, lambda d: not has(d))
    assert schedule_msg.verify(after, key, "nam-tuan") is None


def test_a_failed_acl_on_other_brokers_is_printed(broker_cfg, store, monkeypatch):
    """With LOA_MQTT_URL naming another broker, the ACL lines to add are in the result (nothing is written)."""
    monkeypatch.setattr("loa.app.broker.manages_accounts", lambda cfg: False)
    spk = create_speaker(broker_cfg, store, uid("ext-loa"), "hoa-an")
    assert not spk["managed_broker"]
    assert spk["acl"].splitlines() == [
        f"user {spk['id']}",
        "topic read loa/v1/radio/hoa-an/#",
        "topic read loa/v1/keys/#",
        f"topic write loa/v1/speakers/{spk['id']}/status",
        f"topic write loa/v1/speakers/{spk['id']}/ack",
    ]
    assert os.path.exists(spk["credentials_file"])
