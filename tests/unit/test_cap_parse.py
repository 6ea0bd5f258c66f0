"""Reading received CAP alerts (pure): hostile XML refused before parsing, the served province found by
code (any zero-padding) or by name, and the verdict for each kind of alert."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from loa.cap.parse import CapError, ServedAreas, judge, parse_alert
from loa.errors import FeedError
from loa.ingest.cap_feed import alert_links
from loa.model import Priority

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
NOW = datetime(2026, 12, 2, 2, tzinfo=UTC)
SERVED = ServedAreas.of(
    [
        ("cao-bang", "tỉnh Cao Bằng", "4"),
        ("cao-bang/hoa-an", "xã Hòa An", "1654"),
        ("cao-bang/nam-tuan", "xã Nam Tuấn", "1660"),
        ("cao-bang/nguyen-hue", "xã Nguyễn Huệ", None),
    ]
)


def alert(name):
    return parse_alert((DATA / name).read_bytes())


def test_entities_and_doctypes_are_refused_unread_even_after_a_long_comment():
    bomb = (
        b'<?xml version="1.0"?>\n<!--' + b"x" * 9000 + b'-->\n<!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&b;</alert>'
    )
    with pytest.raises(CapError, match="XML bomb guard"):
        parse_alert(bomb)
    with pytest.raises(FeedError, match="declares XML entities"):
        alert_links(
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel>'
            b"<item><link>&x;</link></item></channel></rss>",
            "http://127.0.0.1/feed.rss",
        )


def test_not_xml_and_not_cap():
    with pytest.raises(CapError, match="not a valid CAP 1.2 alert"):
        parse_alert(b"<html><body>503 Service Unavailable</body></html>")
    with pytest.raises(CapError, match="not a valid CAP 1.2 alert"):
        parse_alert((DATA / "malformed-alert.xml").read_bytes())


def test_served_province_by_code_or_name():
    assert SERVED.match("anything", (("VN-MaDVHC", "01660"),)) == ["cao-bang/nam-tuan"]
    assert SERVED.match("", (("VN-MaDVHC", "04"),)) == ["cao-bang"]
    assert SERVED.match("XÃ NGUYỄN HUỆ, tỉnh Cao Bằng", ()) == ["cao-bang/nguyen-hue"]
    assert SERVED.match("Nguyễn Huệ và Hồng Việt", ()) == ["cao-bang/nguyen-hue"]
    assert SERVED.match("xã Lũng Cú, tỉnh Tuyên Quang", (("VN-MaDVHC", "02788"),)) == []


@pytest.mark.parametrize(
    "name,action,reason",
    [
        ("hong-viet-alert.xml", "draft", "ok"),
        ("be-trieu-alert.xml", "draft", "ok"),
        ("other-province-alert.xml", "skip", "other_province"),
        ("test-alert.xml", "skip", "test"),
        ("expired-alert.xml", "skip", "expired"),
        ("hong-viet-cancel.xml", "cancel", "ok"),
        ("hong-viet-update.xml", "draft", "ok"),
    ],
)
def test_verdicts(name, action, reason):
    verdict = judge(alert(name), SERVED, NOW)
    assert (verdict.action, verdict.reason) == (action, reason)


def test_priority_and_areas_of_a_draft():
    flood = judge(alert("hong-viet-alert.xml"), SERVED, NOW)
    assert flood.priority == Priority.EMERGENCY and flood.areas == ("cao-bang/nam-tuan",)
    fire = judge(alert("be-trieu-alert.xml"), SERVED, NOW)
    assert fire.priority == Priority.PRIORITY  # Expected and Moderate
    update = alert("hong-viet-update.xml")
    assert update.references[0][1] == "vn.kttv.canh-bao.2026-12-02.0142" and update.info.language == "vi-VN"
