"""The loudspeaker loop with Loa's real pieces together (tests/speaker_loop.py): a notice approved and
dispatched to a station whose slot is the next minute; Loa's publisher signs and retains the schedule; the
reference speaker (`loa speaker run --credentials FILE`, the file `loa speakers add` wrote) prefetches from
Loa's web server, plays the slot at its time with mpv, acks each item; Loa's listener stores the acks and
`loa radio history` and the desk show the confirmed airing. An approved emergency plays at once on the
speaker and its withdrawal stops it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import jsonschema
import pytest
import requests

from loa.model import Priority
from loa.radio import schedule_msg
from loa.store import users
from loa.store.speakers import get_speaker
from tests.browser.test_desk import log_in
from tests.conftest import ROOT
from tests.mqtt_helpers import retained
from tests.speaker_helpers import SPEAKER, STATION, Acks
from tests.speaker_loop import APPROVER, Loop

pytestmark = [pytest.mark.integration, pytest.mark.runs_long(90)]
START_TOLERANCE = 1.0  # seconds from the slot's start to the speaker's first "started" ack (a loaded machine)
PASSWORD = "mật khẩu đủ dài 2026"
TEXT = "Kính thưa bà con. Ủy ban nhân dân xã Hòa An thông báo lịch tiếp công dân tháng mười hai."
FLOOD = (
    "Khẩn cấp. Mưa lớn kéo dài, nước sông Bằng đang lên nhanh, có nguy cơ lũ quét và sạt lở đất tại các xóm "
    "ven sông và ven đồi. Đề nghị bà con khẩn trương di chuyển người già, trẻ em và tài sản đến nơi an toàn, "
    "không qua lại các ngầm tràn, không đánh bắt cá trên sông, theo dõi thông tin trên loa truyền thanh "
    "và làm theo hướng dẫn của chính quyền xã và lực lượng xung kích."
)


def conforms(name: str, payload: dict) -> None:
    """`payload` is valid against docs/schemas/<name>.schema.json (the contract other devices follow)."""
    schema = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(payload)


def at(ack: dict) -> datetime:
    return datetime.fromisoformat(ack["at"])


@pytest.fixture
def loop(tmp_path):
    with Loop(tmp_path) as world:
        yield world


def test_a_dispatched_notice_airs_at_its_slot_and_loa_confirms_it(loop, browser, screenshot_dir, monkeypatch):
    cfg = loop.cfg
    raw = Acks(cfg.mqtt_monitor)  # the acks as the speaker sent them, to check them against the schema
    notice_id = loop.notice("Lịch tiếp công dân tháng 12", TEXT)
    [start] = loop.slots(1)
    report = loop.dispatch(notice_id)
    assert report.state == "published", report.results

    # the schedule Loa's publisher retained: signed with the key the site serves, the slot at its time
    doc = json.loads(retained(cfg.mqtt_monitor, f"loa/v1/radio/{STATION}/schedule") or b"{}")
    key = requests.get(f"{cfg.site_url}/keys/notices.json", timeout=5).json()["public_key"]
    assert schedule_msg.verify(doc, key, STATION) is None
    conforms("radio-schedule", doc)
    [slot] = doc["slots"]
    assert datetime.fromisoformat(slot["start"]) == start
    items = slot["items"]
    assert [i["kind"] for i in items] == ["opening", "notice", "closing"]
    assert items[1]["notice"] == {"id": notice_id, "version": 1}
    for i in items:  # what the speaker downloads is what Loa's web server serves
        assert hashlib.sha256(requests.get(i["url"], timeout=5).content).hexdigest() == i["sha256"]

    # prefetched and verified before the slot, from the site the credentials file names
    ids = [i["id"] for i in items]
    assert loop.speaker.wait_log(lambda e: e["event"] == "prefetch.ok" and e["item"] == ids[-1], 20)
    assert datetime.now(UTC) < start, "the slot began before the speaker had prefetched it"
    total = sum(i["seconds"] for i in items)
    wait = (start - datetime.now(UTC)).total_seconds() + total + 20
    finished = lambda a: [x["item"] for x in a if x["event"] == "finished"] == ids  # noqa: E731
    assert loop.wait_acks(finished, wait), (loop.acks(), loop.listener.refused_reports)

    acks = loop.acks()
    assert [(x["item"], x["event"]) for x in acks] == [(i, e) for i in ids for e in ("started", "finished")]
    assert all(x["slot"] == slot["id"] and x["station"] == STATION for x in acks)
    lateness = (at(acks[0]) - start).total_seconds()
    assert -0.05 <= lateness <= START_TOLERANCE, f"the slot started {lateness:+.3f} s from its time"
    assert raw.wait(lambda a: len(a) == len(acks), 5)
    raw.close()
    for payload in raw.acks:
        conforms("speaker-ack", payload)
    conforms("speaker-status", json.loads(retained(cfg.mqtt_monitor, f"loa/v1/speakers/{SPEAKER}/status") or b"{}"))
    sp = get_speaker(loop.store, SPEAKER)
    assert sp.state in ("idle", "playing") and sp.clock_skew_ms is not None and sp.cache_items == 3

    # `loa radio history`: the planned airing and the confirmed one
    rows = loop.history(notice_id)
    confirmed = [r for r in rows if r["confirmed_at"]]
    assert [r["station"] for r in confirmed] == [STATION]
    assert abs((datetime.fromisoformat(confirmed[0]["confirmed_at"][0]) - at(acks[3])).total_seconds()) < 1
    human = loop.loa("radio", "history", str(notice_id))
    assert "Đã phát tại 1/1 đài" in human.stdout, human.stdout

    # the desk's notice page, in Chromium, from the same server
    monkeypatch.setattr(users, "SCRYPT_PARAMS", (2**10, 8, 1))
    users.add_user(loop.store, APPROVER, "approver", PASSWORD)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        log_in(page, cfg.site_url, APPROVER, PASSWORD)
        page.goto(f"{cfg.site_url}/desk/notices/{notice_id}")
        assert page.locator(".airings-summary").inner_text().startswith("Đã phát tại 1/1 đài")
        local = at(acks[3]).astimezone(cfg.tz)
        assert f"đã phát {local:%H:%M %d/%m/%Y}" in page.inner_text("table.airings")
        # docs/screenshots/desk-confirmed-airings.png is this file from a run of this test
        page.locator("#ch-radio").screenshot(path=str(screenshot_dir / "desk-confirmed-airings-loop.png"))
    finally:
        page.close()


def test_an_approved_emergency_plays_at_once_and_its_withdrawal_stops_it(loop):
    notice_id = loop.notice("Cảnh báo lũ quét", FLOOD, priority=Priority.EMERGENCY, approve=False)
    approved = datetime.now(UTC)
    loop.approve(notice_id)
    assert loop.dispatch(notice_id).state == "published"
    started = lambda a: [x for x in a if x["command"] and x["event"] == "started"]  # noqa: E731
    assert loop.wait_acks(lambda a: bool(started(a)), 20), (loop.acks(), loop.speaker.events()[-5:])
    first = started(loop.acks())[0]
    assert first["slot"] is None and first["notice"] == {"id": notice_id, "version": 1}
    assert first["command"] == f"notice-{notice_id}-v1-{STATION}"
    print(f"approve -> speaker started: {(at(first) - approved).total_seconds():.2f} s")

    loop.withdraw(notice_id)
    assert loop.speaker.wait_log(lambda e: e["event"] == "stop.accepted" and e["notice"] == notice_id, 10)
    stopped = lambda a: [x for x in a if x["command"] and x["event"] == "interrupted"]  # noqa: E731
    assert loop.wait_acks(lambda a: bool(stopped(a)), 10), loop.acks()
    assert stopped(loop.acks())[0]["detail"] == "stopped by command"
    assert not [x for x in loop.acks() if x["command"] and x["event"] == "finished"]  # cut, not played out
