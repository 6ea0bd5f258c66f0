"""The desk's notice page in headless Chromium shows planned airings beside what the loudspeakers confirmed
("Đã phát tại N/M đài", the time per station, failures), from the store the listener writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loa.speaker_protocol import Report
from loa.store import radio as history
from loa.store.speakers import add_speaker, record_reports
from tests.browser.test_desk import log_in, server  # noqa: F401  (the fixture)
from tests.integration.test_desk_http import APPROVER

pytestmark = pytest.mark.browser


def test_notice_page_shows_confirmed_airings(server, browser, cfg, screenshot_dir):  # noqa: F811
    base, store, notice = server
    store.transition(notice.id, "approve", APPROVER)
    morning = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    slots = []
    for sid, at in (("nam-tuan", morning), ("hoa-an", morning), ("nam-tuan", morning + timedelta(days=1))):
        local = at.astimezone(cfg.tz)
        item = {"id": f"01-notice-{notice.id}v1-vi", "kind": "notice", "notice": [notice.id, 1], "language": "vi",
                "title": notice.title, "path": "audio/x.mp3", "seconds": 62.0}  # fmt: skip
        slots.append(
            history.SlotRecord(
                sid,
                "slot",
                local.date().isoformat(),
                local.strftime("%H:%M"),
                at,
                1200.0,
                62.0,
                [history.Airing(notice.id, 1, ["vi"], 62.0)],
                [],
                [],
                programme=[item],
            )  # fmt: skip
        )
    history.record_slots(store, slots)
    add_speaker(store, "nt-loa-1", "nam-tuan")
    add_speaker(store, "ha-loa-1", "hoa-an")
    local = morning.astimezone(cfg.tz)
    stamp = f"{local:%Y%m%dT%H%M}"
    item = f"01-notice-{notice.id}v1-vi"

    def ack(speaker, station, event, minutes, detail=None):
        at = morning + timedelta(seconds=minutes * 60)
        return Report(speaker, "ack", at, station=station, at=at, slot=f"{station}/{stamp}", item=item,
                      notice=(notice.id, 1), event=event, detail=detail)  # fmt: skip

    record_reports(
        store,
        [
            ack("nt-loa-1", "nam-tuan", "started", 0.1),
            ack("nt-loa-1", "nam-tuan", "finished", 1.2),
            ack("ha-loa-1", "hoa-an", "failed", 0.1, "sha256 mismatch"),
        ],
    )

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(page, base)
    page.goto(f"{base}/desk/notices/{notice.id}")
    summary = page.locator(".airings-summary")
    assert summary.inner_text().startswith("Đã phát tại 1/2 đài")
    rows = page.locator("table.airings tbody tr").all_inner_texts()
    assert len(rows) == 3
    confirmed = local + timedelta(seconds=72)
    names = {st.id: st.name for st in cfg.stations}
    assert any(names["nam-tuan"] in r and f"đã phát {confirmed:%H:%M %d/%m/%Y}" in r for r in rows)
    assert any(names["hoa-an"] in r and "chưa có xác nhận" in r for r in rows)
    assert any("chưa đến giờ" in r for r in rows)  # tomorrow's
    assert f"Loa của {names['hoa-an']} phát lỗi" in page.inner_text("#ch-radio")
    page.locator("#h-airings").scroll_into_view_if_needed()
    page.locator("#ch-radio").screenshot(path=str(screenshot_dir / "desk-confirmed-airings.png"))
