"""`loa radio`: human recordings, station playlists, slot builds and airing history."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path

import typer

from loa import clock
from loa.app.cli_common import JSON, Detail, FitTable, out
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import print_json as _print_json
from loa.app.cli_common import runtime_or_fail as _runtime
from loa.errors import LoaError
from loa.site.model import LANGUAGE_NAMES, PRIORITY_LABELS

radio_app = typer.Typer(
    help="Commune radio: upload a human recording, see and build station playlists, see a notice's airings. "
    "Playlists live in LOA_HOME/radio/stations (served at /radio/stations/).",
    no_args_is_help=True,
)


@radio_app.command("upload")
def upload(
    notice_id: int = typer.Argument(..., metavar="ID", help="The notice (`loa notices` lists them)."),
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        metavar="FILE",
        help="The recording: MP3, OGG, Opus, FLAC, M4A or WAV, 0.5 s to 60 min.",
    ),
    lang: str = typer.Option(
        ..., "--lang", help="Its language, one a station airs (stations.yaml): vi, tay, nung, hmn…"
    ),
    version: int | None = typer.Option(None, "--version", help="The notice version it reads (default: the latest)."),
    as_json: bool = JSON,
) -> None:
    """Upload an editor's recording of a notice in one language: it replaces the synthetic voice in that language.

    The file is checked with ffprobe and kept in LOA_HOME/radio/recordings/<ID>/v<version>-<lang>.<ext>
    (the desk keeps them there too; a replaced one moves to replaced/). It is loudness-normalised to each
    station's target now, and a live notice's next-slot playlists are rebuilt with it. Tày, Nùng and
    H'Mông have no synthetic voice: a notice airs in them only once recorded.
    """
    from loa.app.desk.media import RecordingError, save_recording
    from loa.model import LIVE_STATES
    from loa.radio.audio import BROKEN
    from loa.radio.build import Builder, in_area
    from loa.speech.tts import AudioError

    cfg, store = _runtime()
    try:
        notice = store.notice(notice_id, version)
    except LoaError as exc:
        _fail(str(exc))
    try:
        kept, info = save_recording(cfg, notice, lang, file)
    except RecordingError as exc:
        _fail(f"recording {file} for notice {notice_id} v{notice.version} ({lang}) refused: {exc}")
    builder = Builder(cfg, store)
    stations = [s for s in cfg.stations if lang in s.languages and in_area(s, notice)]
    website = replace(cfg.radio.defaults, languages=(lang,))
    try:
        made = builder.maker.tracks([(website, notice)] + [(s, notice) for s in stations])
    except (AudioError, OSError) as exc:
        _fail(f"recording kept at {kept}, but its audio was not made: {exc}")
    problems = {why for _, missing in made.values() for why in missing.values() if why.startswith(BROKEN)}
    if problems:
        _fail(f"recording kept at {kept}, but its audio was not made: {'; '.join(sorted(problems))}")
    rebuilt = []
    if notice.state in LIVE_STATES and stations:
        rebuilt = [r.as_dict() for r in builder.next([s.id for s in stations])]
    files = sorted({t.file: t.seconds for tracks, _ in made.values() for t in tracks if t.language == lang}.items())
    data = {
        "notice_id": notice.id,
        "version": notice.version,
        "language": lang,
        "recording": str(kept),
        "recording_seconds": round(info.duration, 2),
        "codec": info.codec,
        "audio": [{"file": f, "seconds": s, "url": f"{cfg.site_url}/radio/audio/{f}"} for f, s in files],
        "stations": [s.id for s in stations],
        "playlists_rebuilt": [r["files"][0] for r in rebuilt],
    }
    if as_json:
        _print_json(data)
        return
    out.print(f"Kept {kept} ({info.codec}, {info.duration:.1f} s).")
    for f, s in files:
        out.print(f"  audio {f} ({s:.1f} s, loudness-normalised)")
    if not stations:
        out.print(f"No station in the notice's areas airs {lang}; add it to a station's languages in stations.yaml.")
    elif rebuilt:
        out.print(f"Next-slot playlists rebuilt: {', '.join(data['playlists_rebuilt'])}")
    else:
        out.print(f"The notice is {notice.state.value}: it airs with this recording once approved and dispatched.")


@radio_app.command("playlists")
def playlists(as_json: bool = JSON) -> None:
    """Every station: its slots and languages, its next (or last) built playlist, overflow, languages without audio."""
    from loa.store.radio import latest_slots

    cfg, store = _runtime()
    now = clock.now()
    built = latest_slots(store, [s.id for s in cfg.stations], now)
    rows = []
    for s in cfg.stations:
        b = built.get(s.id)
        emergency = cfg.layout.emergency_playlist(s.id)
        rows.append(
            {
                "station": s.id,
                "name": s.name,
                "area": s.area,
                "area_code": s.area_code,
                "languages": list(s.languages),
                "voice": s.voice,
                "slots": [{"time": sl.time, "max_minutes": sl.max_minutes, "days": list(sl.days)} for sl in s.slots],
                "airings": s.airings,
                "over_days": s.over_days,
                "playlist": f"{cfg.site_url}/radio/stations/{s.id}.m3u8",
                "built": None
                if b is None
                else {
                    "slot": f"{b.slot_date} {b.slot_time}",
                    "starts_at": b.starts_at.isoformat(),
                    "upcoming": b.starts_at >= now,
                    "built_at": b.built_at.isoformat() if b.built_at else None,
                    "notices": [[a.notice_id, a.version] for a in b.airings],
                    "minutes": round(b.seconds / 60, 2),
                    "max_minutes": round(b.max_seconds / 60, 2),
                    "overflow": [{"notice_id": o[0], "version": o[1], "reason": o[2]} for o in b.overflow],
                    "missing": [
                        {"notice_id": m[0], "version": m[1], "language": m[2], "reason": m[3]} for m in b.missing
                    ],
                    "files": [
                        f"stations/{s.id}/{b.slot_date}-{b.slot_time.replace(':', '')}.m3u8",
                        f"stations/{s.id}/{b.slot_date}-{b.slot_time.replace(':', '')}.xspf",
                    ],
                },
                "emergency_playlist": f"{cfg.site_url}/radio/stations/{s.id}/emergency.m3u8"
                if emergency.exists()
                else None,
            }
        )
    if as_json:
        _print_json(rows)
        return
    table = FitTable(
        "station",
        Detail("slots"),
        "languages",
        Detail("next playlist"),
        "notices",
        "minutes",
        "overflow",
        Detail("without audio"),
        title="Radio stations",
    )
    for r in rows:
        b = r["built"]
        table.add_row(
            r["station"],
            " ".join(sl["time"] for sl in r["slots"]),
            ",".join(r["languages"]),
            (b["slot"] + ("" if b["upcoming"] else " (aired)")) if b else "not built yet",
            str(len(b["notices"])) if b else "-",
            f"{b['minutes']}/{b['max_minutes']:g}" if b else "-",
            str(len(b["overflow"])) if b else "-",
            ", ".join(sorted({m["language"] for m in b["missing"]})) if b else "-",
        )
    out.print(table)


@radio_app.command("build")
def build(
    station: list[str] = typer.Option(
        ..., "--station", help="Station id (repeatable); `loa radio playlists` lists them."
    ),
    slot: str | None = typer.Option(
        None, "--slot", metavar="HH:MM", help="Which of its slots (default: its next one)."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="YYYY-MM-DD", help="With --slot: that day's slot (default: the next)."
    ),
    as_json: bool = JSON,
) -> None:
    """Build a station's playlist now (M3U8 and XSPF): its next slot, or --slot HH:MM [--date DAY].

    The same build the radio-slot deployments run before each slot: live in-area notices, emergency, then
    priority, then normal, newest first; each notice's airings quota; what does not fit is reported as
    overflow and carried to the next slot. Rebuilding a slot replaces it; a slot that has started stays as built.

    The playlist is a programme: the station's opening, the notices linked by "Tin tiếp theo." (an emergency
    read twice), its closing (stations.yaml `programme`). --json lists these segments in airing order, each
    with its kind (opening, notice, bridge, closing), text and audio file.
    """
    from loa.radio import schedule
    from loa.radio.build import Builder
    from loa.speech.tts import AudioError

    cfg, store = _runtime()
    stations = {s.id: s for s in cfg.stations}
    unknown = [s for s in station if s not in stations]
    if unknown:
        _fail(f"no station {', '.join(unknown)} in {cfg.config_dir / 'stations.yaml'}; stations: {', '.join(stations)}")
    if on and not slot:
        _fail("--date picks the day of a slot: add --slot HH:MM")
    now = clock.now()
    targets = []
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"--date {on!r} is not a date like 2026-11-26")
    for sid in station:
        st = stations[sid]
        try:
            t = (
                schedule.occurrence(st, slot, day, cfg.tz)
                if day and slot
                else schedule.upcoming(st, now, cfg.tz, at=slot)
            )
            if t is None:
                if slot:
                    schedule.occurrence(st, slot, now.astimezone(cfg.tz).date(), cfg.tz)  # names what it has
                raise ValueError(f"station {sid} has no slot {slot or ''} in the next week")
        except ValueError as exc:
            _fail(str(exc))
        targets.append(t)
    try:
        reports = [r.as_dict() for r in Builder(cfg, store).slots(targets, now)]
    except (ValueError, AudioError, OSError) as exc:
        _fail(f"playlist not built: {exc}")
    for r in reports:
        r["urls"] = [f"{cfg.site_url}/radio/{f}" for f in r["files"]]
    if as_json:
        _print_json(reports)
        return
    for r in reports:
        out.print(
            f"[bold]{r['station']}[/] {r['slot']}: {len(r['scheduled'])} thông báo, {r['minutes']:g}/"
            f"{r['max_minutes']:g} phút → {r['urls'][0]}",
            highlight=False,
        )
        for seg in r["segments"]:
            if seg["kind"] == "notice":
                e = next(x for x in r["scheduled"] if x["notice_id"] == seg["notice_id"])
                what = (
                    f"#{e['notice_id']} v{e['version']} {PRIORITY_LABELS.get(e['priority'], e['priority']).lower()}"
                    f" {seg['language']}: {e['title']}"
                )
            else:
                what = seg["text"]
            kind = SEGMENT_LABELS.get(seg["kind"], seg["kind"])
            out.print(f"  {kind:9} {seg['seconds']:4.0f} giây  {_fit(what, 56)}", highlight=False)
        for o in r["overflow"]:
            out.print(
                f"  [yellow]để buổi sau[/] #{o['notice_id']} v{o['version']} {o['title']}: {o['reason']}",
                highlight=False,
            )
        for m in r["missing"]:
            lang = LANGUAGE_NAMES.get(m["language"], m["language"]).lower()
            out.print(f"  [dim]không có {lang}[/]: #{m['notice_id']}: {m['reason']}", highlight=False)


# `loa radio build` in Vietnamese for the announcer; --json keeps the English kinds for scripts.
SEGMENT_LABELS = {"opening": "mở đầu", "notice": "tin", "bridge": "chuyển tin", "closing": "kết thúc"}


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@radio_app.command("history")
def history(notice_id: int = typer.Argument(..., metavar="ID", help="The notice."), as_json: bool = JSON) -> None:
    """Every playlist a notice was put in (station, slot, version, languages): how often it has aired where,
    and beside each planned airing what the station's loudspeakers confirmed playing (their acks)."""
    from loa.radio.schedule_msg import slot_id
    from loa.store.radio import notice_airings
    from loa.store.speakers import confirmed_airings, slot_confirmations

    cfg, store = _runtime()
    try:
        store.notice(notice_id)
    except LoaError as exc:
        _fail(str(exc))
    now = clock.now()
    confirmed = slot_confirmations(store, notice_id)
    rows = [asdict(r) | {"aired": r.starts_at <= now} for r in notice_airings(store, notice_id)]
    for r in rows:
        slot = None if r["kind"] == "emergency" else slot_id(r["station"], *r["slot"].split(" ", 1))
        r["confirmed_at"] = sorted(confirmed.get((r["station"], slot), []))
    summary = confirmed_airings(store, notice_id, sorted({r["station"] for r in rows}))
    if as_json:
        _print_json(rows)
        return
    if not rows and not summary["aired"]:
        out.print(f"Notice {notice_id} is in no playlist yet.")
        return
    table = FitTable(
        "station", "kind", "slot", "ver", "languages", "secs", "aired", title=f"Airings of notice {notice_id}"
    )
    for r in rows:
        if r["confirmed_at"]:
            aired = "phát " + _clock(r["confirmed_at"][0], cfg)
        else:
            aired = "past" if r["aired"] else "planned"
        table.add_row(
            r["station"],
            r["kind"],
            r["slot"],
            str(r["version"]),
            ",".join(r["languages"]),
            f"{r['seconds']:.0f}",
            aired,
        )
    out.print(table)
    out.print(f"Đã phát tại {summary['aired']}/{summary['stations']} đài (loa xác nhận).")
    for station, times in summary["by_station"].items():
        out.print(f"  {station}: {', '.join(_clock(t, cfg) for t in times)}")
    for station, times in summary["failed"].items():
        out.print(f"  [red]{station}: phát lỗi {', '.join(_clock(t, cfg) for t in times)}[/]")


def _clock(iso: str, cfg) -> str:
    """A confirmed time in the local time zone: 26/11 06:03."""
    return datetime.fromisoformat(iso).astimezone(cfg.tz).strftime("%d/%m %H:%M")
