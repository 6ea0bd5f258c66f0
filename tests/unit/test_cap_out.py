"""CAP out: an approved emergency becomes a CAP 1.2 alert that validates against the OASIS schema —
Alert for the first version, Update (referencing it) for a new one, Cancel on withdrawal — with
geocodes carrying official codes, the radio audio as a resource, a detached Ed25519 signature, and
an Atom feed of current alerts that feedparser reads back."""

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from channels.cap import Cap, alert_path
from loa.cap import NS
from loa.cap.build import GEOCODE
from loa.cap.mapping import cap_levels, category_and_event, priority_from_cap
from loa.cap.parse import parse_alert
from loa.cap.schema import problems
from loa.config import Area
from loa.model import Classification, DocumentMeta, Entry, Priority
from loa.publishing.dispatch import dispatch_notice, withdraw_notice
from loa.signing import verify_detached
from loa.store import cap as cap_store

FEED = "http://127.0.0.1/canh-bao.xml"
CLS = Classification(True, 5.0, ("thiên tai",), (), DocumentMeta(issuer="UBND tỉnh Cao Bằng"))
TITLE = "Cảnh báo lũ quét, sạt lở đất tại xã Hồng Việt do mưa lớn kéo dài"
TEXT = (
    "<p>Do ảnh hưởng của mưa lớn kéo dài từ đêm 01/12, nguy cơ xảy ra lũ quét và sạt lở đất tại các thôn "
    "Bó Mạ, Nà Rị xã Hồng Việt là rất cao.</p>"
)
INSTRUCTION = "Người dân các thôn Bó Mạ, Nà Rị di chuyển đến nhà văn hóa xã trước 18 giờ ngày 02/12/2026."


@dataclass(frozen=True)
class CodedArea(Area):
    """An area as areas.yaml gives it once official codes are added (issue 16 reads them through official_code)."""

    code: str | None = None


def entry(summary=TEXT, title=TITLE):
    return Entry(
        "urn:canh-bao:hong-viet-1",
        title,
        summary,
        "https://caobang.gov.vn/canh-bao/1",
        datetime(2026, 12, 2, 1, tzinfo=UTC),
        hashlib.sha256((title + summary).encode()).hexdigest(),
    )


@pytest.fixture
def coded(cfg):
    """The shipped config: areas carry their official codes from the 2025 map (loa.areamap)."""
    return cfg


def emergency(store, summary=TEXT, level=3, areas=("cao-bang/nam-tuan",), title=TITLE):
    change = store.record_entry(FEED, entry(summary, title), CLS)
    n = store.draft_notice(
        change.document_version_id,
        areas=list(areas),
        priority=Priority.EMERGENCY,
        variants={"website": summary, "boards": "Cảnh báo lũ quét", "radio": "Kính thưa bà con"},
    )
    cap_store.set_alert(store, n.id, n.version, "Nông Thị Hoa", disaster_level=level, instruction=INSTRUCTION)
    store.transition(n.id, "approve", "Nông Thị Hoa")
    return store.notice(n.id)


def read(cfg, path):
    data = (cfg.home / "site" / path).read_bytes()
    return data, ET.fromstring(data)


def texts(root, name):
    return [e.text for e in root.iter(f"{{{NS}}}{name}")]


def test_first_version_update_and_withdrawal_validate_and_chain(coded, sqlite_store):
    cfg, store = coded, sqlite_store
    n = emergency(store)
    audio = cfg.home / "radio" / "audio" / f"notice-{n.id}-v1-vi.mp3"
    audio.parent.mkdir(parents=True)
    audio.write_bytes(b"ID3" + bytes(range(256)) * 40)  # radio made it before CAP runs
    cap = Cap(cfg, store)
    report = dispatch_notice(store, {"cap": cap}, n.id)
    assert [(r.channel, r.target, r.ok) for r in report.results] == [("cap", "alerts", True)]

    first, root = read(cfg, alert_path(n.id, 1))
    assert problems(first) == []
    assert texts(root, "identifier") == [f"{cfg.cap.identifier_prefix}.notice-{n.id}.v1"]
    assert texts(root, "msgType") == ["Alert"] and texts(root, "status") == ["Actual"]
    assert texts(root, "language") == ["vi-VN"]
    assert texts(root, "urgency") == ["Immediate"] and texts(root, "severity") == ["Severe"]
    assert texts(root, "category") == ["Geo"] and texts(root, "instruction") == [INSTRUCTION]
    assert texts(root, "web") == [f"{cfg.site_url}/notices/{n.id}.html"]
    assert texts(root, "areaDesc") == ["xã Nam Tuấn, tỉnh Cao Bằng"]
    values = dict(zip(texts(root, "valueName"), texts(root, "value")))
    assert values["VN-QD18-2021-CapDoRuiRoThienTai"] == "3"
    geocodes = [
        (g.find(f"{{{NS}}}valueName").text, g.find(f"{{{NS}}}value").text) for g in root.iter(f"{{{NS}}}geocode")
    ]
    assert geocodes == [(GEOCODE, "01660")]  # xã Nam Tuấn's official code, 5 digits
    assert texts(root, "uri") == [f"{cfg.site_url}/radio/audio/{audio.name}"]
    assert texts(root, "size") == [str(audio.stat().st_size)]
    assert texts(root, "digest") == [hashlib.sha256(audio.read_bytes()).hexdigest()]

    # the detached signature verifies with the published key; one changed byte does not
    sig = json.loads((cfg.home / "site" / (alert_path(n.id, 1) + ".sig")).read_text())
    key = json.loads((cfg.home / "site" / "keys" / "notices.json").read_text())["public_key"]
    assert verify_detached(first, sig, key)
    assert not verify_detached(first.replace(b"Immediate", b"Expected "), sig, key)

    # re-dispatching writes nothing new; the same bytes if forced (identifier and sent are stable)
    assert dispatch_notice(store, {"cap": cap}, n.id).results == []
    cap.dispatch(store.notice(n.id), ["alerts"])
    assert read(cfg, alert_path(n.id, 1))[0] == first

    # an amended text: version 2 is an Update referencing version 1
    change = store.record_entry(FEED, entry(TEXT + "<p>Cập nhật: mưa tiếp tục.</p>"), CLS)
    v2 = store.draft_notice(
        change.document_version_id,
        areas=["cao-bang/hoa-an"],
        priority=Priority.EMERGENCY,
        variants={"website": TEXT + "<p>Cập nhật: mưa tiếp tục.</p>"},
    )
    cap_store.set_alert(store, n.id, v2.version, "Nông Thị Hoa", disaster_level=4)
    store.transition(n.id, "approve", "Lý Văn Tùng")
    dispatch_notice(store, {"cap": cap}, n.id)
    update, root = read(cfg, alert_path(n.id, 2))
    assert problems(update) == []
    assert texts(root, "msgType") == ["Update"] and texts(root, "severity") == ["Extreme"]
    v1_sent = store.notice(n.id, 1).approved_at.astimezone(cfg.tz).replace(microsecond=0).isoformat()
    assert texts(root, "references") == [f"{cfg.cap.sender},{cfg.cap.identifier_prefix}.notice-{n.id}.v1,{v1_sent}"]
    # another commune (xã Hòa An): its own official code
    geocodes = [
        (g.find(f"{{{NS}}}valueName").text, g.find(f"{{{NS}}}value").text) for g in root.iter(f"{{{NS}}}geocode")
    ]
    assert geocodes == [(GEOCODE, "01654")]

    # withdrawal: a Cancel referencing both versions
    store.transition(n.id, "withdraw", "Nông Thị Hoa")
    withdraw_notice(store, {"cap": cap}, n.id)
    cancel, root = read(cfg, alert_path(n.id, 2, cancel=True))
    assert problems(cancel) == []
    assert texts(root, "msgType") == ["Cancel"] and texts(root, "responseType") == ["AllClear"]
    refs = texts(root, "references")[0].split()
    assert [r.split(",")[1] for r in refs] == [
        f"{cfg.cap.identifier_prefix}.notice-{n.id}.v1",
        f"{cfg.cap.identifier_prefix}.notice-{n.id}.v2",
    ]
    assert parse_alert(cancel).references[1][2] == texts(ET.fromstring(update), "sent")[0]

    # the Atom feed: one entry per notice, its newest message (the Cancel), linking the XML
    feed = feedparser.parse((cfg.home / "site" / "cap" / "alerts.atom").read_bytes())
    assert not feed.bozo
    assert [e.link for e in feed.entries] == [f"{cfg.site_url}/{alert_path(n.id, 2, cancel=True)}"]
    assert feed.entries[0].title.startswith("[Hủy] ")
    assert feed.entries[0].links[0].type == "application/cap+xml"


def test_feed_lists_current_alerts_only(cfg, sqlite_store):
    cap = Cap(cfg, sqlite_store)
    live = emergency(sqlite_store)
    dispatch_notice(sqlite_store, {"cap": cap}, live.id)
    later = datetime.now(UTC) + timedelta(hours=2)
    feed = feedparser.parse(cap.write_feed().read_bytes())
    assert [e.id for e in feed.entries] == [f"{cfg.site_url}/{alert_path(live.id, 1)}"]
    # an alert whose expiry passed leaves the feed
    from loa.store.desk import set_schedule

    change = sqlite_store.record_entry(
        FEED, Entry("urn:2", "Cảnh báo cháy rừng tại xã Bế Triều", TEXT, None, None, "h2"), CLS
    )
    n = sqlite_store.draft_notice(
        change.document_version_id, areas=["cao-bang"], priority=Priority.PRIORITY, variants={"website": TEXT}
    )
    set_schedule(sqlite_store, n.id, 1, "Hoa", publish_at=None, expires_at=later - timedelta(hours=1))
    sqlite_store.transition(n.id, "approve", "Hoa")
    dispatch_notice(sqlite_store, {"cap": cap}, n.id)
    _, root = read(cfg, alert_path(n.id, 1))
    assert texts(root, "category") == ["Fire"] and texts(root, "urgency") == ["Expected"]
    # the province by its 2-digit code, each served commune by its 5-digit code
    geocodes = list(zip(texts(root, "valueName"), texts(root, "value")))
    assert (GEOCODE, "04") in geocodes and (GEOCODE, "01273") in geocodes
    assert len(feedparser.parse(cap.write_feed().read_bytes()).entries) == 2
    assert [e.id for e in feedparser.parse(cap.refresh_feed(now=later).read_bytes()).entries] == [
        f"{cfg.site_url}/{alert_path(live.id, 1)}"
    ]


def test_normal_notices_are_not_alerts_and_exercises_say_so(cfg, sqlite_store):
    cap = Cap(cfg, sqlite_store)
    change = sqlite_store.record_entry(FEED, entry(), CLS)
    n = sqlite_store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={"website": TEXT})
    assert cap.targets(n) == []
    other = emergency(sqlite_store, title="Diễn tập ứng phó lũ quét", areas=["cao-bang"])
    assert cap.targets(other) == ["alerts"]
    change = sqlite_store.record_entry(FEED, Entry("urn:3", "Diễn tập sơ tán", TEXT, None, None, "h3"), CLS)
    n = sqlite_store.draft_notice(
        change.document_version_id, areas=["cao-bang"], priority=Priority.EMERGENCY, variants={"website": TEXT}
    )
    cap_store.set_alert(sqlite_store, n.id, 1, "Hoa", alert_status="exercise")
    sqlite_store.transition(n.id, "approve", "Hoa")
    dispatch_notice(sqlite_store, {"cap": cap}, n.id)
    data, root = read(cfg, alert_path(n.id, 1))
    assert problems(data) == [] and texts(root, "status") == ["Exercise"]


def test_editor_settings_are_checked_and_audited(sqlite_store, cfg):
    """Through the publishing use case the desk and `loa cap set` call: checked, audited, drafts only."""
    from loa.errors import InvalidTransition
    from loa.publishing import actions

    change = sqlite_store.record_entry(FEED, entry(), CLS)
    n = sqlite_store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={})
    p, hoa = actions.Publishing(sqlite_store, cfg), actions.Actor("Hoa", "editor")
    with pytest.raises(InvalidTransition, match="outside 1–5"):
        actions.set_cap(p, hoa, n.id, 1, disaster_level=6)
    with pytest.raises(InvalidTransition, match="not one of"):
        actions.set_cap(p, hoa, n.id, 1, alert_status="drill")
    done = actions.set_cap(p, hoa, n.id, 1, disaster_level=2, instruction=" Sơ tán ")
    assert done.code == "saved"
    assert [(c.field, c.after) for c in done.changes] == [("disaster_level", "2"), ("instruction", "Sơ tán")]
    assert actions.set_cap(p, hoa, n.id, 1, disaster_level=2).code == "unchanged"
    assert actions.set_cap(p, hoa, n.id, 1, instruction="Sơ tán").code == "unchanged"  # level left as it is
    view = sqlite_store.notice(n.id)
    assert (view.disaster_level, view.instruction, view.alert_status) == (2, "Sơ tán", "actual")
    assert any(a.action == "set:disaster_level" and a.actor == "Hoa" for a in sqlite_store.actions(n.id))
    sqlite_store.transition(n.id, "approve", "Lan")
    with pytest.raises(InvalidTransition):  # the state table: an approved version is no longer edited
        actions.set_cap(p, hoa, n.id, 1, disaster_level=4)
    assert sqlite_store.notice(n.id).disaster_level == 2


@pytest.mark.parametrize(
    "priority,level,expected",
    [
        (Priority.EMERGENCY, None, ("Immediate", "Severe", "Likely")),
        (Priority.EMERGENCY, 1, ("Immediate", "Minor", "Likely")),
        (Priority.EMERGENCY, 2, ("Immediate", "Moderate", "Likely")),
        (Priority.EMERGENCY, 3, ("Immediate", "Severe", "Likely")),
        (Priority.EMERGENCY, 4, ("Immediate", "Extreme", "Likely")),
        (Priority.EMERGENCY, 5, ("Immediate", "Extreme", "Observed")),
        (Priority.PRIORITY, None, ("Expected", "Moderate", "Likely")),
        (Priority.PRIORITY, 1, ("Expected", "Minor", "Likely")),
        (Priority.PRIORITY, 3, ("Expected", "Severe", "Likely")),
        (Priority.PRIORITY, 4, ("Immediate", "Extreme", "Likely")),
        (Priority.PRIORITY, 5, ("Immediate", "Extreme", "Observed")),
    ],
)
def test_mapping_table(priority, level, expected):
    assert cap_levels(priority, level) == expected
    assert priority_from_cap(*expected[:2]) == (
        Priority.EMERGENCY if expected[0] == "Immediate" or expected[1] in ("Extreme", "Severe") else Priority.PRIORITY
    )


def test_the_mapping_table_in_docs_is_the_code():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "cap.md").read_text(encoding="utf-8")
    for priority in (Priority.EMERGENCY, Priority.PRIORITY):
        for level in (None, 1, 2, 3, 4, 5):
            row = f"| {priority.value} | {level or '—'} | {' | '.join(cap_levels(priority, level))} |"
            assert row in doc, row


def test_event_words_are_matched_with_their_diacritics():
    assert category_and_event("Thông báo về bão số 5", Priority.EMERGENCY)[0] == "Met"
    assert category_and_event("Thông báo lịch tiếp công dân", Priority.PRIORITY) == ("Safety", "Thông báo ưu tiên")
    assert category_and_event("Phòng chống dịch sốt xuất huyết", Priority.EMERGENCY)[0] == "Health"


def test_the_example_in_docs_validates_and_its_signature_verifies():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    xml = (docs / "cap-example-alert.xml").read_bytes()
    assert problems(xml) == []
    key = json.loads((docs / "cap-example-key.json").read_text())["public_key"]
    assert verify_detached(xml, json.loads((docs / "cap-example-alert.xml.sig").read_text()), key)
    feed = feedparser.parse((docs / "cap-example-alerts.atom").read_bytes())
    assert not feed.bozo and feed.entries[0].link.endswith("/cap/1/v1.xml")


def test_a_later_version_that_is_no_longer_an_alert_cancels_the_earlier_one(cfg, sqlite_store):
    cap = Cap(cfg, sqlite_store)
    n = emergency(sqlite_store)
    dispatch_notice(sqlite_store, {"cap": cap}, n.id)
    change = sqlite_store.record_entry(FEED, entry(TEXT + "<p>Đã hết nguy cơ.</p>"), CLS)
    v2 = sqlite_store.draft_notice(change.document_version_id, areas=["cao-bang"], variants={"website": TEXT})
    assert v2.priority == Priority.NORMAL
    sqlite_store.transition(n.id, "approve", "Hoa")
    dispatch_notice(sqlite_store, {"cap": cap}, n.id)
    data, root = read(cfg, alert_path(n.id, 2, cancel=True))
    assert problems(data) == [] and texts(root, "msgType") == ["Cancel"]
    assert texts(root, "references")[0].split(",")[1] == f"{cfg.cap.identifier_prefix}.notice-{n.id}.v1"
    assert feedparser.parse(cap.write_feed().read_bytes()).entries[0].link.endswith("v2-cancel.xml")


def test_the_catalogue_runs_cap_after_radio_and_messaging_at_once(cfg, sqlite_store):
    """The real channel classes' declarations: CAP and the web page link the radio audio, so they wait for
    radio; an SMS waits for nothing; neither CAP nor messaging is delivered from the approving process."""
    from channels.catalogue import build_channels, channel_classes
    from loa.publishing.dispatch import stages

    assert {"cap", "messaging"} <= {cls.name for cls in channel_classes()}
    order = stages(build_channels(cfg, sqlite_store))
    first, second = order[0], order[1]
    assert {"radio", "messaging"} <= set(first) and {"cap", "website"} <= set(second)
    built = build_channels(cfg, sqlite_store, ["cap", "messaging"])
    assert [ch.at_approval or ch.broker for ch in built.values()] == [False, False]
