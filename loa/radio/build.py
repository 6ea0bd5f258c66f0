"""Build station playlists: slot playlists from the store's live notices and airing history, and the
immediate emergency playlist. Plain code: the radio channel (dispatch, withdraw), the slot flow, the
CLI and the benchmark all call it.

Files under LOA_HOME/radio/stations (served at /radio/stations):
  <station>/<YYYY-MM-DD>-<HHMM>.m3u8 / .xspf   one slot's playlist (kept 14 days)
  <station>.m3u8 / .xspf                       the station's next slot: what it airs next
  <station>/emergency.m3u8 / .xspf             every live emergency for it, newest first (empty when none)

Every build is recorded (loa.store.radio) and returns a BuildReport: what airs, what overflowed and
why (carried to the next slot), and which languages have no audio.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from loa import clock
from loa.config import Config, Station
from loa.files import locked
from loa.model import NoticeView, Priority, within
from loa.radio import audio as radio_audio
from loa.radio import playlist as pl
from loa.radio import programme, schedule, schedule_msg
from loa.radio.select import Aired, Candidate, Rules, Selection, Track, eligible, select
from loa.radio.select import emergency as emergency_selection
from loa.store import Store
from loa.store import radio as history

log = logging.getLogger(__name__)

KEEP_DAYS = 14  # slot playlist files older than this are removed (the store keeps the history)


@dataclass
class BuildReport:
    """What one build of one station's playlist made (artifacts, `loa radio build --json`)."""

    station: str
    kind: str  # slot | emergency
    slot: str  # "2026-11-26 06:00", or the build time of an emergency playlist
    starts_at: str
    max_minutes: float | None
    minutes: float  # planned length, jingles included
    files: list[str]  # relative to LOA_HOME/radio
    scheduled: list[dict] = field(default_factory=list)
    overflow: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    segments: list[dict] = field(default_factory=list)  # the programme in airing order (loa.radio.programme)
    finished: int = 0  # notices that have aired their airings here
    resting: int = 0  # notices that aired their share today and air again another day
    next: bool = False  # also written as the station's next playlist (<station>.m3u8)

    def as_dict(self) -> dict:
        return asdict(self)


def in_area(station: Station, notice: NoticeView) -> bool:
    return any(within(station.area, a) for a in notice.areas)


def _candidate(n: NoticeView, tracks: Sequence[Track] = (), missing: tuple[str, ...] = ()) -> Candidate:
    return Candidate(
        n.id,
        n.version,
        n.priority,
        n.title,
        n.approved_at or n.created_at,
        tuple(tracks),
        tuple(missing),
        n.publish_at,
        n.expires_at,
    )


def _script(n: NoticeView | None, t: Track) -> str | None:
    """What a notice track says: the Vietnamese script it was synthesised from, or None for a recording in
    another language (its words are the speaker's)."""
    if n is None or t.language != "vi":
        return None
    return n.variants.get("radio") or n.title


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


class Builder:
    def __init__(self, cfg: Config, store: Store, maker: radio_audio.AudioMaker | None = None):
        self.cfg, self.store = cfg, store
        self.maker = maker or radio_audio.AudioMaker(cfg, store)
        self.root = cfg.layout.radio
        self.stations = {s.id: s for s in cfg.stations}
        self._jingle_cache: dict[str, list[Track | None]] = {}
        self._segment_cache: dict[tuple[str, str], Track] = {}

    # --- public -------------------------------------------------------------------------------

    def slots(self, targets: list[schedule.SlotTime], now: datetime | None = None) -> list[BuildReport]:
        """Build the given slot occurrences (each station's playlist for that slot)."""
        now = now or clock.now()
        started = [t for t in targets if t.starts_at < now]
        if started:
            t = started[0]
            raise ValueError(
                f"slot {t.label} of station {t.station.id} has already started; its playlist and "
                "airing history stay as built (build a later slot)"
            )
        if not targets:
            return []
        live = self.store.live_notices(now)
        with self._lock():
            reports = self._build_slots(targets, live, now)
        self.announce(sorted({t.station.id for t in targets}), now, {(t.station.id, t.starts_at) for t in targets})
        return reports

    def announce(
        self,
        station_ids: list[str],
        now: datetime | None = None,
        fresh: AbstractSet[tuple[str, datetime]] = frozenset(),
    ) -> None:
        """Republish the schedule message of those stations that have speakers (loa.radio.schedule_feed),
        rebuilding their other slots of the next 24 hours (`fresh`: just built). A broker that is down is
        logged, not raised: the playlists are built, and the next build republishes."""
        from loa.radio import schedule_feed

        schedule_feed.publish(self, station_ids, now or clock.now(), fresh=fresh)

    def build_ahead(self, targets: list[schedule.SlotTime], now: datetime) -> None:
        """Build slots one start time after another (each one's quotas count the earlier ones)."""
        by_start: dict[datetime, list[schedule.SlotTime]] = {}
        for t in targets:
            by_start.setdefault(t.starts_at, []).append(t)
        with self._lock():
            for at in sorted(by_start):
                self._build_slots(by_start[at], self.store.live_notices(now), now)

    def next(self, station_ids: list[str], now: datetime | None = None) -> list[BuildReport]:
        """Build each station's next slot (after a publish, an upload, or by hand)."""
        now = now or clock.now()
        return self.slots(
            [t for sid in station_ids if (t := schedule.upcoming(self.stations[sid], now, self.cfg.tz))], now
        )

    def future(self, station_ids: list[str], now: datetime | None = None) -> list[BuildReport]:
        """Rebuild every slot already built for the future, and the next one (after a withdrawal): a withdrawn
        notice leaves every future playlist. Emergency playlists are refreshed too."""
        now = now or clock.now()
        targets: dict[tuple[str, datetime], schedule.SlotTime] = {}
        for sid in station_ids:
            if (t := schedule.upcoming(self.stations[sid], now, self.cfg.tz)) is not None:
                targets[(sid, t.starts_at)] = t
        for sid, at in history.future_slots(self.store, station_ids, now):
            station = self.stations.get(sid)
            if station is None:
                continue  # the station left stations.yaml: nothing airs there
            local = at.astimezone(self.cfg.tz)
            try:
                t = schedule.occurrence(station, local.strftime("%H:%M"), local.date(), self.cfg.tz)
            except (ValueError, AttributeError):
                continue  # the station or its slot left stations.yaml: nothing airs there
            targets.setdefault((sid, t.starts_at), t)
        reports = self.slots(list(targets.values()), now)
        refresh = [sid for sid in station_ids if self.cfg.layout.emergency_playlist(sid).exists()]
        return reports + (self.emergency(refresh, now) if refresh else [])

    def emergency(self, station_ids: list[str], now: datetime | None = None) -> list[BuildReport]:
        """The immediate playlist of each station: every live emergency for it, newest first, between the
        station's jingles. An emergency counts as aired once on a station (the first time it is in this list)."""
        now = now or clock.now()
        stations = [self.stations[sid] for sid in station_ids]
        live = [n for n in self.store.live_notices(now) if n.priority == Priority.EMERGENCY]
        pairs = [(st, n) for st in stations for n in live if in_area(st, n)]
        made = self.maker.tracks(pairs)
        seen = history.emergencies_aired(self.store, station_ids, [(n.id, n.version) for n in live])
        reports, records = [], []
        with self._lock():
            for st in stations:
                cands = [_candidate(n, *self._tracks(made, st, n)) for n in live if in_area(st, n)]
                chosen = emergency_selection(cands, now)
                tracks, segments, _ = self._programme(st, chosen, {(n.id, n.version): n for n in live}, emergency=True)
                files = self._write(
                    st,
                    f"stations/{st.id}/emergency",
                    tracks,
                    f"{st.name} — khẩn cấp",
                    now,
                    f"Phát ngay: {len(chosen)} thông báo khẩn cấp",
                )
                fresh = [c for c in chosen if (st.id, c.notice_id, c.version) not in seen]
                local = now.astimezone(self.cfg.tz)
                if fresh:
                    records.append(
                        history.SlotRecord(
                            st.id,
                            "emergency",
                            local.date().isoformat(),
                            local.strftime("%H:%M"),
                            now,
                            0.0,
                            sum(t.seconds for t in tracks),
                            [self._airing(c) for c in fresh],
                            [],
                            self._missing_rows(chosen),
                        )
                    )
                reports.append(
                    BuildReport(
                        st.id,
                        "emergency",
                        local.strftime("%Y-%m-%d %H:%M:%S"),
                        now.isoformat(),
                        None,
                        _minutes(sum(t.seconds for t in tracks)),
                        files,
                        scheduled=[self._entry(c, None, st) for c in chosen],
                        missing=self._missing_dicts(chosen),
                        segments=segments,
                    )
                )
            history.record_slots(self.store, records)
        return reports

    # --- internals ----------------------------------------------------------------------------

    def _build_slots(
        self, targets: list[schedule.SlotTime], live: list[NoticeView], now: datetime
    ) -> list[BuildReport]:
        by_area: dict[str, list[NoticeView]] = {}  # stations share areas: filter once per area
        for area in {t.station.area for t in targets}:
            by_area[area] = [n for n in live if any(within(area, a) for a in n.areas)]
        local_notices = {t.station.id: by_area[t.station.area] for t in targets}
        groups: dict[datetime, list[schedule.SlotTime]] = {}
        for t in targets:
            groups.setdefault(t.starts_at, []).append(t)
        state = {}  # (station, start) -> (aired, carried, due)
        pairs: dict[tuple[str, int, int], tuple[Station, NoticeView]] = {}
        for at, group in groups.items():
            ids = [t.station.id for t in group]
            keys = sorted({(n.id, n.version) for sid in ids for n in local_notices[sid]})
            counts = history.aired_counts(self.store, ids, at, schedule.day_start(group[0].day, self.cfg.tz), keys)
            carry = history.carried(self.store, ids, at)
            for t in group:
                st = t.station
                aired = {
                    (n.id, n.version): Aired(*counts.get((st.id, n.id, n.version), (0, 0)))
                    for n in local_notices[st.id]
                }
                due, finished, resting = eligible(
                    [_candidate(n) for n in local_notices[st.id]], aired, self._rules(t, audio=False), at
                )
                state[(st.id, at)] = (aired, carry.get(st.id, set()), len(finished), len(resting))
                by_key = {(n.id, n.version): n for n in local_notices[st.id]}
                for c in due:
                    pairs[(st.id, c.notice_id, c.version)] = (st, by_key[c.key])
        made = self.maker.tracks(list(pairs.values()))
        self._prepare_segments({st.id: st for st, _ in pairs.values()}.values())
        nexts = {
            sid: n.starts_at
            for sid in {t.station.id for t in targets}
            if (n := schedule.upcoming(self.stations[sid], now, self.cfg.tz)) is not None
        }
        reports, records = [], []
        for t in targets:
            st, at = t.station, t.starts_at
            aired, carried, n_finished, n_resting = state[(st.id, at)]
            cands = [
                _candidate(n, *self._tracks(made, st, n))
                for n in local_notices[st.id]
                if (st.id, n.id, n.version) in pairs
            ]
            chosen = select(cands, aired, carried, self._rules(t, audio=bool(cands)), at)  # nothing due: no words
            tracks, segments, items = self._programme(
                st, chosen.scheduled, {(n.id, n.version): n for n in local_notices[st.id]}
            )
            title = f"{st.name} — {t.day.strftime('%d/%m/%Y')} {t.slot.time}"
            note = (
                f"{len(chosen.scheduled)} thông báo, {_minutes(sum(x.seconds for x in tracks))} phút; "
                f"{len(chosen.overflow)} chuyển sang buổi sau"
            )
            files = self._write(st, f"stations/{st.id}/{t.key}", tracks, title, now, note)
            is_next = nexts.get(st.id) == at
            if is_next:
                files += self._write(st, f"stations/{st.id}", tracks, title, now, note)
            self._prune(st, t.day)
            records.append(
                history.SlotRecord(
                    st.id,
                    "slot",
                    t.day.isoformat(),
                    t.slot.time,
                    at,
                    t.max_seconds,
                    sum(x.seconds for x in tracks),
                    [self._airing(c) for c in chosen.scheduled],
                    [[c.notice_id, c.version, why] for c, why in chosen.overflow],
                    self._missing_rows(chosen.scheduled + [c for c, _ in chosen.overflow] + chosen.silent),
                    programme=items,
                )
            )
            reports.append(self._report(t, chosen, tracks, files, aired, carried, n_finished, n_resting, is_next))
            reports[-1].segments = segments
        history.record_slots(self.store, records)
        return reports

    def _rules(self, t: schedule.SlotTime, audio: bool = True) -> Rules:
        """The slot's quota and room; with `audio`, the room left by the jingles and the programme's own words
        (quotas alone need no audio, so a station with nothing due makes none)."""
        st = t.station
        if not audio:
            return Rules(st.airings, st.over_days, t.max_seconds)
        fixed = sum(j.seconds for j in self._jingles(st) if j is not None)
        fixed += self._segment(st, "opening").seconds + self._segment(st, "closing").seconds
        return Rules(st.airings, st.over_days, t.max_seconds, fixed, self._segment(st, "bridge").seconds)

    def _prepare_segments(self, stations) -> None:
        """Make the programme sentences of every station that airs something, two at a time (each station's
        opening and closing name it, so a first build of many stations makes many; later builds find them)."""
        keys = [(st, key) for st in stations for key in ("opening", "bridge", "closing")]
        todo = [
            (st, k)
            for st, k in keys
            if (st.id, st.programme.say(k, station=st.name, area=self._area_name(st))) not in self._segment_cache
        ]
        if len(todo) > 1:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(lambda sk: self._segment(*sk), todo))

    def _area_name(self, st: Station) -> str:
        area = self.cfg.areas.get(st.area)
        return area.name if area else ""

    def _segment(self, st: Station, key: str) -> Track:
        """The audio of one of the station's programme sentences (opening, bridge, repeat, closing, …)."""
        text = st.programme.say(key, station=st.name, area=self._area_name(st))
        kind = key.removeprefix("emergency_")
        if (st.id, text) not in self._segment_cache:
            self._segment_cache[(st.id, text)] = self.maker.segment(st, text, kind)
        return self._segment_cache[(st.id, text)]

    def _jingles(self, st: Station) -> list[Track | None]:
        """[intro, outro] of the station (None where it has none), normalised once per builder."""
        if st.id not in self._jingle_cache:
            self._jingle_cache[st.id] = [
                radio_audio.jingle(self.cfg, st, role) if getattr(st, role) else None for role in ("intro", "outro")
            ]
        return self._jingle_cache[st.id]

    def _programme(
        self, st: Station, chosen: list[Candidate], notices: dict, emergency: bool = False
    ) -> tuple[list[Track], list[dict], list[dict]]:
        """The playlist's tracks, the programme's segments (jingle, opening, the notices linked by bridges
        (an emergency read twice), closing, jingle: loa.radio.programme) and the schedule items (one per
        track, in airing order, for speakers: loa.radio.schedule_msg; a jingle counts as opening/closing)."""
        if not chosen:
            return [], [], []
        items = [programme.Item(c.notice_id, c.version, c.priority) for c in chosen]
        plan = programme.plan(items, st.programme, station=st.name, area=self._area_name(st), emergency_only=emergency)
        by_key = {c.key: c for c in chosen}
        intro, outro = self._jingles(st)
        tracks, segments = ([intro] if intro else []), []
        for seg in plan:
            if seg.kind == "notice":
                assert seg.notice is not None  # a notice segment names its notice
                c, n = by_key[seg.notice], notices.get(seg.notice)
                for t in c.tracks:
                    tracks.append(t)
                    segments.append(
                        {
                            "kind": "notice",
                            "notice_id": c.notice_id,
                            "version": c.version,
                            "language": t.language,
                            "text": _script(n, t),
                            "file": t.path,
                            "seconds": round(t.seconds, 1),
                        }
                    )
                continue
            t = self._segment(st, seg.key)
            tracks.append(t)
            segments.append({"kind": seg.kind, "text": seg.text, "file": t.path, "seconds": round(t.seconds, 1)})
        tracks += [outro] if outro else []
        # one segment per track between the jingles; a jingle belongs to the opening or the closing
        kinds = (["opening"] if intro else []) + [str(seg["kind"]) for seg in segments] + (["closing"] if outro else [])
        jingle = {0} if intro else set()
        if outro:
            jingle.add(len(tracks) - 1)
        schedule_items = [
            {
                "id": schedule_msg.item_id(i, kind, t.notice, t.language, i in jingle),
                "kind": kind,
                "notice": list(t.notice) if t.notice and kind == "notice" else None,
                "language": t.language,
                "title": t.title,
                "path": t.path,
                "seconds": round(t.seconds, 3),
            }
            for i, (kind, t) in enumerate(zip(kinds, tracks, strict=True))
        ]
        return tracks, segments, schedule_items

    @staticmethod
    def _tracks(made: dict, st: Station, n: NoticeView) -> tuple[list[Track], tuple[str, ...]]:
        tracks, missing = made.get((st.id, n.id, n.version), ([], {}))
        return tracks, tuple(f"{lang}: {why}" for lang, why in missing.items())

    def _write(self, st: Station, stem: str, tracks: list[Track], title: str, now: datetime, note: str) -> list[str]:
        playlist = pl.Playlist(title, st.name, tuple(tracks), note, now.isoformat(timespec="seconds"))
        files = pl.write(playlist, self.root, stem, f"{self.cfg.site_url}/radio")
        return [str(p.relative_to(self.root)) for p in files]

    def _prune(self, st: Station, day: date) -> None:
        folder = self.root / "stations" / st.id
        oldest = (day - timedelta(days=KEEP_DAYS)).isoformat()
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if name[:4].isdigit() and name[:10] < oldest:
                (folder / name).unlink(missing_ok=True)

    @staticmethod
    def _airing(c: Candidate) -> history.Airing:
        return history.Airing(c.notice_id, c.version, [t.language for t in c.tracks if t.language], round(c.seconds, 3))

    @staticmethod
    def _missing_rows(cands: list[Candidate]) -> list[list]:
        return [[c.notice_id, c.version, *m.split(": ", 1)] for c in cands for m in c.missing]

    def _missing_dicts(self, cands: list[Candidate]) -> list[dict]:
        return [
            {"notice_id": n, "version": v, "language": lang, "reason": why}
            for n, v, lang, why in self._missing_rows(cands)
        ]

    def _entry(self, c: Candidate, aired: Aired | None, st: Station) -> dict:
        entry = {
            "notice_id": c.notice_id,
            "version": c.version,
            "priority": c.priority.value,
            "title": c.title,
            "languages": [t.language for t in c.tracks],
            "seconds": round(c.seconds, 1),
            "files": [t.file for t in c.tracks],
        }
        if aired is not None:
            entry["airing"] = f"{aired.total + 1} of {st.airings}"
        return entry

    def _report(
        self,
        t: schedule.SlotTime,
        chosen: Selection,
        tracks: list[Track],
        files: list[str],
        aired: dict,
        carry: set,
        finished: int,
        resting: int,
        is_next: bool,
    ) -> BuildReport:
        st = t.station
        overflow = [self._entry(c, None, st) | {"reason": why, "carried": c.key in carry} for c, why in chosen.overflow]
        return BuildReport(
            st.id,
            "slot",
            t.label,
            t.starts_at.isoformat(),
            t.slot.max_minutes,
            _minutes(sum(x.seconds for x in tracks)),
            files,
            scheduled=[self._entry(c, aired.get(c.key, Aired()), st) for c in chosen.scheduled],
            overflow=overflow,
            missing=self._missing_dicts(chosen.scheduled + [c for c, _ in chosen.overflow] + chosen.silent),
            finished=finished,
            resting=resting,
            next=is_next,
        )

    def _lock(self):
        return locked(self.cfg.home, "radio")
