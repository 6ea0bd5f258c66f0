"""Slot playlists over the store (SQLite and PostgreSQL): quotas over days, overflow carried and reported,
withdrawn and expired notices leave future playlists, emergencies, languages. The audio seam is a stand-in
(FakeMaker: lengths without synthesis); tests/integration/test_radio_audio.py makes real audio."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import update

from loa.config import Env, load_config
from loa.model import Priority
from loa.radio import schedule
from loa.radio.build import Builder
from loa.radio.select import Track
from loa.store import radio as history
from loa.store.schema import NoticeVersionRow
from tests.conftest import write_config
from tests.unit.test_store import RELEVANT, entry

DAY = date(2026, 12, 1)  # a Tuesday


def radio_cfg(tmp_path: Path, *, stations: list[dict] | None = None, **defaults):
    folder = write_config(tmp_path / "config", feeds=[])
    data = yaml.safe_load((folder / "stations.yaml").read_text())
    data["defaults"].update(defaults)
    if stations is not None:
        data["stations"] = stations
    (folder / "stations.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_config(Env(home=tmp_path / "home", config_dir=folder))


def station(sid="nam-tuan", area="cao-bang/nam-tuan", **kw) -> dict:
    return {"id": sid, "name": f"Đài {sid}", "area": area, **kw}


class FakeMaker:
    """The audio seam: Vietnamese always, other languages when 'recorded'; lengths from `seconds`."""

    def __init__(
        self,
        seconds: dict[int, float] | None = None,
        recorded: set[tuple[int, str]] = frozenset(),
        segment_seconds: float = 0.0,
    ):
        self.seconds, self.recorded, self.calls = seconds or {}, set(recorded), []
        self.segment_seconds, self.said = segment_seconds, []

    def segment(self, st, text, kind):
        self.said.append((st.id, kind, text))
        name = f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.mp3"
        return Track(name, self.segment_seconds, text, "vi", folder="segments")

    def tracks(self, pairs):
        out = {}
        for st, n in pairs:
            self.calls.append((st.id, n.id))
            tracks, missing = [], {}
            for lang in st.languages:
                if lang == "vi" or (n.id, lang) in self.recorded:
                    tracks.append(
                        Track(
                            f"notice-{n.id}-v{n.version}-{lang}.mp3",
                            self.seconds.get(n.id, 60.0),
                            f"{n.title} ({lang})",
                            lang,
                            notice=(n.id, n.version),
                        )
                    )
                else:
                    missing[lang] = f"no human recording in {lang}"
            out[(st.id, n.id, n.version)] = (tracks, missing)
        return out


def notice(store, title, *, areas=("cao-bang",), priority=Priority.NORMAL, expires_at=None, approve=True):
    change = store.record_entry("http://127.0.0.1/f.xml", entry(title=title, ident=f"urn:{title}"), RELEVANT)
    n = store.draft_notice(
        change.document_version_id,
        areas=list(areas),
        variants={"radio": f"Kính thưa bà con. {title}."},
        priority=priority,
    )
    if expires_at:
        with store.session() as s:
            s.execute(update(NoticeVersionRow).where(NoticeVersionRow.notice_id == n.id).values(expires_at=expires_at))
    if approve:
        store.transition(n.id, "approve", "Nông Thị Hoa")
    return n


def build_at(builder, cfg, sid, day, at):
    t = schedule.occurrence(next(s for s in cfg.stations if s.id == sid), at, day, cfg.tz)
    return builder.slots([t], t.starts_at - timedelta(minutes=5))[0]


def aired(report) -> list[int]:
    return [e["notice_id"] for e in report.scheduled]


@pytest.mark.parametrize(
    "airings,over_days,expected",
    [
        (3, 3, ["d0 06:00", "d1 06:00", "d2 06:00"]),  # once a day for three days
        (4, 2, ["d0 06:00", "d0 17:00", "d1 06:00", "d1 17:00"]),  # twice a day for two days
    ],
)
def test_each_notice_airs_n_times_over_d_days(store, tmp_path, airings, over_days, expected):
    cfg = radio_cfg(
        tmp_path, stations=[station(slots=[{"time": "06:00"}, {"time": "17:00"}])], airings=airings, over_days=over_days
    )
    a = notice(store, "Lịch tiếp công dân tháng 12")
    builder = Builder(cfg, store, FakeMaker())
    seen = []
    for d in range(4):
        for at in ("06:00", "17:00"):
            if a.id in aired(build_at(builder, cfg, "nam-tuan", DAY + timedelta(days=d), at)):
                seen.append(f"d{d} {at}")
    assert seen == expected
    assert len(history.notice_airings(store, a.id)) == airings


def test_overflow_is_carried_to_the_next_slot_and_reported(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(slots=[{"time": "06:00", "max_minutes": 2}])])
    ns = [notice(store, f"Thông báo {i}") for i in range(4)]  # 0 oldest … 3 newest, 50 s each
    builder = Builder(cfg, store, FakeMaker({n.id: 50.0 for n in ns}))
    first = build_at(builder, cfg, "nam-tuan", DAY, "06:00")
    assert aired(first) == [ns[3].id, ns[2].id]
    assert [(o["notice_id"], o["carried"]) for o in first.overflow] == [(ns[1].id, False), (ns[0].id, False)]
    assert first.overflow[0]["reason"] == "hết thời lượng (cần 0,8 phút, còn 0,3 phút)"
    assert first.minutes == round(100 / 60, 2) and first.next

    # the store keeps the overflow: `loa radio playlists` shows it until the next build
    kept = history.latest_slots(
        store, ["nam-tuan"], schedule.occurrence(cfg.stations[0], "06:00", DAY, cfg.tz).starts_at
    )
    assert [o[:2] for o in kept["nam-tuan"].overflow] == [[ns[1].id, 1], [ns[0].id, 1]]

    second = build_at(builder, cfg, "nam-tuan", DAY + timedelta(days=1), "06:00")
    assert aired(second) == [ns[1].id, ns[0].id]  # carried over: ahead of the newer ones
    assert [(o["notice_id"], o["carried"]) for o in second.overflow] == [(ns[3].id, False), (ns[2].id, False)]
    third = build_at(builder, cfg, "nam-tuan", DAY + timedelta(days=2), "06:00")
    assert aired(third) == [ns[3].id, ns[2].id] and [e["airing"] for e in third.scheduled] == ["2 of 3", "2 of 3"]


def test_rebuilding_a_slot_replaces_it(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station()])
    a = notice(store, "Thông báo A")
    builder = Builder(cfg, store, FakeMaker())
    build_at(builder, cfg, "nam-tuan", DAY, "06:00")
    b = notice(store, "Thông báo B")  # approved just before the slot: the rebuild takes it in
    again = build_at(builder, cfg, "nam-tuan", DAY, "06:00")
    assert aired(again) == [b.id, a.id]
    assert len(history.notice_airings(store, a.id)) == 1


def test_withdrawn_and_expired_notices_leave_every_future_playlist(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(), station("hoa-an", "cao-bang")])
    slot2 = schedule.occurrence(cfg.stations[0], "06:00", DAY + timedelta(days=1), cfg.tz)
    a = notice(store, "Thông báo A")
    b = notice(store, "Thông báo B", expires_at=slot2.starts_at - timedelta(hours=1))
    builder = Builder(cfg, store, FakeMaker())
    now = schedule.occurrence(cfg.stations[0], "06:00", DAY, cfg.tz).starts_at - timedelta(hours=1)
    builder.slots([slot2], now)  # a slot built ahead (e.g. by hand)
    nxt = builder.next(["nam-tuan", "hoa-an"], now)
    assert [aired(r) for r in nxt] == [[b.id, a.id], [b.id, a.id]]
    assert aired(builder.slots([slot2], now)[0]) == [a.id]  # b expires before that slot

    store.transition(a.id, "withdraw", "Nông Thị Hoa")
    reports = builder.future(["nam-tuan", "hoa-an"], now)
    assert sorted((r.station, r.slot) for r in reports) == [
        ("hoa-an", "2026-12-01 06:00"),
        ("nam-tuan", "2026-12-01 06:00"),
        ("nam-tuan", "2026-12-02 06:00"),
    ]
    root = cfg.home / "radio"
    for path in [
        root / "stations/nam-tuan.m3u8",
        root / "stations/hoa-an.m3u8",
        root / "stations/nam-tuan/2026-12-01-0600.m3u8",
        root / "stations/nam-tuan/2026-12-02-0600.m3u8",
        root / "stations/nam-tuan/2026-12-02-0600.xspf",
    ]:
        assert f"notice-{a.id}-" not in path.read_text(encoding="utf-8"), path
    assert f"notice-{b.id}-" in (root / "stations/nam-tuan.m3u8").read_text(encoding="utf-8")
    assert f"notice-{b.id}-" not in (root / "stations/nam-tuan/2026-12-02-0600.m3u8").read_text(encoding="utf-8")


def test_a_started_slot_keeps_its_playlist(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station()])
    t = schedule.occurrence(cfg.stations[0], "06:00", DAY, cfg.tz)
    with pytest.raises(ValueError, match="slot 2026-12-01 06:00 of station nam-tuan has already started"):
        Builder(cfg, store, FakeMaker()).slots([t], t.starts_at + timedelta(minutes=1))


def test_emergency_playlist_now_and_first_in_the_next_slot(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(), station("tinh-tuc", "cao-bang/tinh-tuc")])
    a = notice(store, "Thông báo thường")
    e = notice(store, "Lũ quét: sơ tán ngay", areas=("cao-bang/nam-tuan",), priority=Priority.EMERGENCY)
    builder = Builder(cfg, store, FakeMaker({e.id: 450.0}))
    now = schedule.occurrence(cfg.stations[0], "06:00", DAY, cfg.tz).starts_at - timedelta(hours=3)
    [rep] = builder.emergency(["nam-tuan"], now)
    assert rep.kind == "emergency" and aired(rep) == [e.id] and rep.max_minutes is None
    text = (cfg.home / "radio/stations/nam-tuan/emergency.m3u8").read_text(encoding="utf-8")
    assert f"{cfg.site_url}/radio/audio/notice-{e.id}-v1-vi.mp3" in text and f"notice-{a.id}-" not in text
    builder.emergency(["nam-tuan"], now + timedelta(minutes=1))  # a retry: still one airing
    assert [r.kind for r in history.notice_airings(store, e.id)] == ["emergency"]
    [slot] = builder.next(["nam-tuan"], now)  # the same day: an emergency has no quota, it airs in every slot
    assert aired(slot) == [e.id, a.id]  # 7.5 min of emergency read twice and 1 min of notice in a 20-min slot
    assert slot.scheduled[0]["airing"] == "2 of 3"


def test_languages_a_station_airs_and_what_it_cannot(store, tmp_path):
    cfg = radio_cfg(tmp_path, stations=[station(languages=["vi", "tay"]), station("hoa-an", "cao-bang")])
    a, b = notice(store, "Thông báo A"), notice(store, "Thông báo B")
    builder = Builder(cfg, store, FakeMaker(recorded={(a.id, "tay")}))
    hv, ha = builder.next(["nam-tuan", "hoa-an"], datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert [e["languages"] for e in hv.scheduled] == [["vi"], ["vi", "tay"]]
    assert hv.missing == [{"notice_id": b.id, "version": 1, "language": "tay", "reason": "no human recording in tay"}]
    assert [e["languages"] for e in ha.scheduled] == [["vi"], ["vi"]] and ha.missing == []
    m3u = (cfg.home / "radio/stations/nam-tuan.m3u8").read_text(encoding="utf-8")
    assert m3u.index(f"notice-{a.id}-v1-vi.mp3") < m3u.index(f"notice-{a.id}-v1-tay.mp3")


def test_a_new_version_leaves_the_stations_it_no_longer_targets(store, tmp_path):
    from channels.radio import Radio
    from loa.publishing.dispatch import dispatch_notice

    cfg = radio_cfg(tmp_path)  # the shipped stations
    v1 = notice(store, "Thông báo A", areas=("cao-bang/hoa-an", "cao-bang/nam-tuan"))
    channel = Radio(cfg, store)
    channel.builder = Builder(cfg, store, FakeMaker())
    report = dispatch_notice(store, {"radio": channel}, v1.id)
    assert sorted(r.target for r in report.results if r.ok) == ["hoa-an", "nam-tuan"]
    pointer = cfg.home / "radio/stations/nam-tuan.m3u8"
    assert f"notice-{v1.id}-v1-vi.mp3" in pointer.read_text(encoding="utf-8")

    amended = entry(title="Thông báo A", summary="<p>Nội dung sửa đổi</p>", ident="urn:Thông báo A")
    change = store.record_entry("http://127.0.0.1/f.xml", amended, RELEVANT)
    store.draft_notice(change.document_version_id, areas=["cao-bang/dam-thuy"], variants={"radio": "Kính thưa."})
    store.transition(v1.id, "approve", "Nông Thị Hoa")
    report = dispatch_notice(store, {"radio": channel}, v1.id)
    assert [(r.target, r.ok) for r in report.results] == [("dam-thuy", True)]
    assert f"notice-{v1.id}-" not in pointer.read_text(encoding="utf-8")
    assert f"notice-{v1.id}-v2-vi.mp3" in (cfg.home / "radio/stations/dam-thuy.m3u8").read_text(encoding="utf-8")
