"""CAP in, over loopback HTTP: golden CAP feeds (tests/data/cap) for a commune of the province, another
province, an update, a cancel, a test alert, an expired one and a malformed one. Only Actual, Public,
unexpired alerts for the province become drafts; every other one is reported per entry."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from loa.config import Feed
from loa.ingest.pipeline import ingest_feed
from loa.model import NoticeState, Priority
from loa.store import cap as cap_store
from tests.conftest import files_of, loopback_http
from tests.unit.test_cap_out import coded  # noqa: F401  (the fixture: areas with official codes)

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 09:00 in Cao Bằng, the morning of the alerts


@pytest.fixture(scope="module")
def cap_server():
    with loopback_http(files_of(DATA)) as url:
        yield url


def run(store, cfg, url, now=NOW):
    from loa.ingest.cap_feed import ingest_cap_feed

    return ingest_cap_feed(store, cfg, Feed(url, "Cảnh báo thiên tai", "cao-bang", kind="cap"), now=now)


def outcomes(report):
    return {Path(a["url"]).name: a["outcome"] for a in report.alerts}


def test_a_feed_of_alerts(coded, sqlite_store, cap_server):  # noqa: F811
    cfg, store = coded, sqlite_store
    report = run(store, cfg, f"{cap_server}/alerts.atom")
    assert report.status == "ok" and report.entries == 6
    assert outcomes(report) == {
        "hong-viet-alert.xml": "drafted",  # by its geocode (the commune's official code)
        "be-trieu-alert.xml": "drafted",  # by its areaDesc ("Xã Nguyễn Huệ"), no geocode
        "other-province-alert.xml": "other_province",
        "test-alert.xml": "test",
        "expired-alert.xml": "expired",
        "malformed-alert.xml": "malformed",
    }
    lines = {Path(a["url"]).name: a for a in report.alerts}
    assert "not a valid CAP 1.2 alert" in lines["malformed-alert.xml"]["detail"]
    assert "/alert/sent" in lines["malformed-alert.xml"]["detail"]
    assert "Tuyên Quang" in lines["other-province-alert.xml"]["detail"]
    assert len(report.drafted) == 2

    flood = store.notice(lines["hong-viet-alert.xml"]["notice_id"])
    assert flood.state == NoticeState.DRAFTED and flood.priority == Priority.EMERGENCY
    assert flood.title.startswith("Cảnh báo lũ quét, sạt lở đất tại xã Hồng Việt")
    assert flood.areas == ["cao-bang/nam-tuan"]
    assert flood.expires_at == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert flood.instruction.startswith("Người dân các thôn Bó Mạ, Nà Rị di chuyển")
    assert flood.source_url == "https://kttv.gov.vn/canh-bao/2026-12-02-0142"
    assert "Bằng Giang" in flood.variants["website"] and "Hướng dẫn:" in flood.variants["website"]
    assert flood.variants["radio"] and flood.variants["boards"]
    origin = cap_store.origin(store, flood.id)
    assert [(o.msg_type, o.outcome) for o in origin] == [("Alert", "drafted")]
    assert origin[0].xml == (DATA / "hong-viet-alert.xml").read_text(encoding="utf-8")

    fire = store.notice(lines["be-trieu-alert.xml"]["notice_id"])
    assert fire.priority == Priority.PRIORITY and fire.areas == ["cao-bang/nguyen-hue"]

    # a second pass: the feed has not changed (conditional GET); read in full again, nothing is drafted twice
    assert run(store, cfg, f"{cap_server}/alerts.atom").status == "not_modified"
    again = run(store, cfg, f"{cap_server}/alerts.atom?again")
    assert set(outcomes(again).values()) == {"already_seen", "malformed"} and again.drafted == []

    # an Update: a new version of the same notice (its earlier draft superseded)
    update = run(store, cfg, f"{cap_server}/update.atom")
    assert outcomes(update) == {"hong-viet-update.xml": "updated"} and update.drafted == [flood.id]
    v2 = store.notice(flood.id)
    assert v2.version == 2 and "cấp 4" in v2.title and "đã xảy ra sạt lở" in v2.variants["website"]
    assert store.notice(flood.id, 1).state == NoticeState.SUPERSEDED

    # approved and public, then cancelled upstream: a "cancel" draft waits for an approver
    store.transition(flood.id, "approve", "Nông Thị Hoa")
    cancel = run(store, cfg, f"{cap_server}/cancel.rss")
    assert outcomes(cancel) == {"hong-viet-cancel.xml": "cancel_drafted"}
    v3 = store.notice(flood.id)
    assert (v3.version, v3.state) == (3, NoticeState.DRAFTED) and v3.title.startswith("Hủy cảnh báo: ")
    assert "nguy cơ lũ quét tại xã Hồng Việt không còn" in v3.variants["website"]
    assert store.notice(flood.id, 2).state == NoticeState.APPROVED  # still public until an approver acts


def test_cancel_of_a_draft_rejects_it_and_a_single_alert_url_works(coded, sqlite_store, cap_server):  # noqa: F811
    cfg, store = coded, sqlite_store
    first = run(store, cfg, f"{cap_server}/be-trieu-alert.xml")
    assert outcomes(first) == {"be-trieu-alert.xml": "drafted"}
    nid = first.drafted[0]
    cancel = run(store, cfg, f"{cap_server}/be-trieu-cancel.xml")
    assert outcomes(cancel) == {"be-trieu-cancel.xml": "cancelled_draft"}
    assert store.notice(nid).state == NoticeState.REJECTED
    assert any(a.action == "reject" and "hủy" in (a.reason or "") for a in store.actions(nid))
    # a Cancel for an alert never seen is reported, nothing else
    other = run(store, cfg, f"{cap_server}/hong-viet-cancel.xml")
    assert outcomes(other) == {"hong-viet-cancel.xml": "cancel_unknown"}


def test_the_ingest_pipeline_routes_cap_feeds_and_reports_failures(cfg, sqlite_store, cap_server):
    # the real clock here: whether the golden alerts have expired depends on today, their areas do not
    report = ingest_feed(sqlite_store, cfg, Feed(f"{cap_server}/alerts.atom", "CAP", "cao-bang", kind="cap"))
    found = outcomes(report)
    assert (found["other-province-alert.xml"], found["test-alert.xml"]) == ("other_province", "test")
    # without official codes in areas.yaml the commune alert is still found, by its areaDesc
    assert found["hong-viet-alert.xml"] != "other_province"
    assert len(report.as_dict()["alerts"]) == 6
    missing = ingest_feed(sqlite_store, cfg, Feed(f"{cap_server}/nope.atom", "CAP", "cao-bang", kind="cap"))
    assert missing.status == "failed" and missing.reason
    assert sqlite_store.feeds()[-1].consecutive_failures == 1


def test_approving_the_cancel_draft_of_a_public_alert_sends_a_cap_cancel(coded, sqlite_store, cap_server):  # noqa: F811
    """Upstream cancels an alert Loa has already re-published: the approved "cancel" draft is a CAP
    Cancel (not an Update) referencing what was sent, and it expires within a day like the feed's Cancel."""
    import xml.etree.ElementTree as ET
    from datetime import timedelta

    from channels.cap import Cap, alert_path
    from loa.cap import NS
    from loa.cap.schema import problems
    from loa.publishing.dispatch import dispatch_notice

    cfg, store = coded, sqlite_store
    report = run(store, cfg, f"{cap_server}/alerts.atom")
    flood_id = {Path(a["url"]).name: a for a in report.alerts}["hong-viet-alert.xml"]["notice_id"]
    run(store, cfg, f"{cap_server}/update.atom")
    store.transition(flood_id, "approve", "Nông Thị Hoa")
    cap = Cap(cfg, store)
    sent = dispatch_notice(store, {"cap": cap}, flood_id)
    assert [(r.target, r.ok) for r in sent.results] == [("alerts", True)], sent.results

    assert outcomes(run(store, cfg, f"{cap_server}/cancel.rss")) == {"hong-viet-cancel.xml": "cancel_drafted"}
    v3 = store.notice(flood_id)
    assert v3.version == 3 and v3.expires_at is not None
    assert datetime.now(UTC) < v3.expires_at <= datetime.now(UTC) + timedelta(hours=24)
    store.transition(flood_id, "approve", "Nông Thị Hoa")
    report = dispatch_notice(store, {"cap": cap}, flood_id)
    assert [(r.target, r.ok) for r in report.results] == [("alerts", True)], report.results
    assert not (cfg.home / "site" / alert_path(flood_id, 3)).exists()  # no Update
    xml = (cfg.home / "site" / alert_path(flood_id, 3, cancel=True)).read_bytes()
    root = ET.fromstring(xml)
    assert problems(xml) == []
    assert [e.text for e in root.iter(f"{{{NS}}}msgType")] == ["Cancel"]
    refs = [e.text for e in root.iter(f"{{{NS}}}references")][0].split()
    assert [r.split(",")[1] for r in refs] == [f"{cfg.cap.identifier_prefix}.notice-{flood_id}.v2"]
    assert store.notice(flood_id, 2).state == NoticeState.SUPERSEDED  # the alert is off every channel
