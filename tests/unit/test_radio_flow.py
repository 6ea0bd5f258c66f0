"""The slot deployments (one per distinct slot time, a few minutes before it) and what the slot flow reports.
Plain calls: no Prefect server (the e2e tests run the deployments)."""

import re
from datetime import UTC, datetime

import pytest

from loa.radio.build import Builder
from tests.unit.test_radio_build import DAY, FakeMaker, build_at, notice, radio_cfg, station

# flows import Prefect (~1.2 s): imported in the tests, not at module level, so every xdist worker's
# collection does not pay for it (a module is collected on every worker, run on one)


def test_one_deployment_per_slot_time_before_the_slot(cfg):
    from flows.serve import radio_slot_deployments

    deps = radio_slot_deployments(cfg)
    assert [(s["name"], s["schedule"].cron, s["schedule"].timezone) for _, s in deps] == [
        ("radio-slot-0600", "55 5 * * *", "Asia/Ho_Chi_Minh"),
        ("radio-slot-1100", "55 10 * * *", "Asia/Ho_Chi_Minh"),
        ("radio-slot-1700", "55 16 * * *", "Asia/Ho_Chi_Minh"),
    ]
    assert all(flow.name == "radio-slot" for flow, _ in deps)


def test_targets_of_a_run(cfg):
    from flows.radio_slots import targets

    at_1055 = datetime(2026, 12, 1, 10, 55, tzinfo=cfg.tz).astimezone(UTC)  # a Tuesday
    assert [(t.station.id, t.label) for t in targets(cfg, at_1055)] == [("hoa-an", "2026-12-01 11:00")]
    evening = targets(cfg, at_1055, slot="17:00")
    assert sorted(t.station.id for t in evening) == ["dam-thuy", "hoa-an", "nam-tuan", "tinh-tuc"]
    sunday = targets(cfg, at_1055, slot="17:00", day="2026-12-06")  # only hoa-an airs a Sunday evening
    assert [t.station.id for t in sunday] == ["hoa-an"]
    with pytest.raises(
        ValueError, match="no station has a 09:00 slot; slot times in stations.yaml: 06:00, 11:00, 17:00"
    ):
        targets(cfg, at_1055, slot="09:00")


def test_artifacts_report_overflow_and_missing_languages(store, tmp_path):
    from flows.radio_slots import overflow_markdown, table

    cfg = radio_cfg(tmp_path, stations=[station(languages=["vi", "tay"], slots=[{"time": "06:00", "max_minutes": 1}])])
    a, b = notice(store, "Thông báo A"), notice(store, "Thông báo B")
    rep = build_at(Builder(cfg, store, FakeMaker({a.id: 40, b.id: 40})), cfg, "nam-tuan", DAY, "06:00").as_dict()
    [row] = table([rep], cfg.site_url)
    assert row["thông báo"] == 1 and row["chuyển buổi sau"] == 1 and row["số phút / tối đa"] == "0,67 / 1"
    assert row["thiếu âm thanh"] == f"tay (#{a.id}), tay (#{b.id})"
    assert row["danh sách phát"] == f"{cfg.site_url}/radio/stations/nam-tuan/2026-12-01-0600.m3u8"
    md = overflow_markdown([rep])
    assert f"chuyển sang buổi sau: thông báo {a.id} phiên bản 1 (thường) «Thông báo A»: hết thời lượng" in md
    assert f"không phát bằng Tiếng Tày: thông báo {b.id} phiên bản 1" in md
    assert "Mọi thông báo đến lượt đều vừa buổi phát" in overflow_markdown([])
    assert not re.search(r"\b(?:overflow|notice|minutes|audio)\b", md + str(row))  # no English for the operator


def test_speakers_offline_before_a_slot_that_airs_are_reported(store, tmp_path):
    from datetime import timedelta

    from flows.radio_slots import offline_speakers
    from loa.speaker_protocol import Report
    from loa.store.speakers import add_speaker, record_reports, set_disabled

    cfg = radio_cfg(tmp_path, stations=[station(), station("hoa-an", "cao-bang/hoa-an")])
    notice(store, "Thông báo A", areas=("cao-bang/nam-tuan",))  # hoa-an has nothing to air
    builder = Builder(cfg, store, FakeMaker())
    reports = [build_at(builder, cfg, sid, DAY, "06:00").as_dict() for sid in ("nam-tuan", "hoa-an")]
    for sid, station_id in (("nt-on", "nam-tuan"), ("nt-off", "nam-tuan"), ("nt-new", "nam-tuan"),
                            ("nt-gone", "nam-tuan"), ("ha-off", "hoa-an")):  # fmt: skip
        add_speaker(store, sid, station_id)
    set_disabled(store, "nt-gone", True)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    record_reports(
        store,
        [Report(s, "status", at, state=state) for s, state in (("nt-on", "idle"), ("nt-off", "online"), ("ha-off", "idle"))]
        + [Report("nt-off", "status", at + timedelta(minutes=1), state="offline"),
           Report("ha-off", "status", at + timedelta(minutes=1), state="offline")],
    )  # fmt: skip
    missed = offline_speakers(store, reports)
    assert sorted((m["speaker"], m["state"], m["slot"]) for m in missed) == [
        ("nt-new", "unknown", "2026-12-01 06:00"),
        ("nt-off", "offline", "2026-12-01 06:00"),
    ]  # hoa-an airs nothing; a disabled speaker is not expected to play
