"""Before each broadcast slot: build the playlist of every station that airs it (flows/serve.py schedules one
deployment per distinct slot time, build_minutes_before the slot).

One task builds all the stations of the slot (never a task per station); its artifacts are a table
(per station: notices, minutes, overflow, languages without audio, the playlist's URL) and the
overflow report; a station with overflow also emits loa.radio.overflow. Emergencies do not wait for
a slot: the dispatch flow's radio task builds their immediate playlist and sends the MQTT command.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flows.events import emit
from loa import clock, events
from loa.radio import schedule
from loa.radio.audio import language_name
from loa.radio.build import Builder
from loa.runtime import runtime


def _run_name() -> str:
    slot, day = flow_run.parameters.get("slot"), flow_run.parameters.get("date")
    return f"radio slot {slot or 'next'}{' ' + day if day else ''}"


def targets(cfg, now: datetime, slot: str | None = None, day: str | None = None) -> list[schedule.SlotTime]:
    """The slot occurrences to build: the due slot (no arguments), or `slot` HH:MM on `day` (default: next)."""
    if slot is None:
        return schedule.due(cfg.stations, now, cfg.tz, window_minutes=cfg.radio.build_minutes_before + 2)
    stations = [s for s in cfg.stations if any(sl.time == slot for sl in s.slots)]
    if not stations:
        raise ValueError(
            f"no station has a {slot} slot; slot times in stations.yaml: "
            f"{', '.join(schedule.slot_times(cfg.stations)) or 'none'}"
        )
    if day is None:
        return [t for s in stations if (t := schedule.upcoming(s, now, cfg.tz, at=slot)) is not None]
    on = Date.fromisoformat(day)
    return [
        schedule.occurrence(s, slot, on, cfg.tz)
        for s in stations
        if on.isoweekday() in next(sl for sl in s.slots if sl.time == slot).days
    ]


@task(name="build radio playlists", task_run_name="radio playlists {slot}", retries=2, retry_delay_seconds=[10, 30])
def build_playlists(slot: str | None, day: str | None) -> list[dict]:
    cfg, store = runtime()
    now = clock.now()
    return [r.as_dict() for r in Builder(cfg, store).slots(targets(cfg, now, slot, day), now)]


def table(reports: list[dict], site_url: str) -> list[dict]:
    return [
        {
            "đài": r["station"],
            "buổi phát": r["slot"],
            "thông báo": len(r["scheduled"]),
            "số phút / tối đa": f"{_vn(r['minutes'])} / {r['max_minutes']:g}",
            "chuyển buổi sau": len(r["overflow"]),
            "thiếu âm thanh": ", ".join(sorted({f"{m['language']} (#{m['notice_id']})" for m in r["missing"]})),
            "danh sách phát": f"{site_url}/radio/{r['files'][0]}",
        }
        for r in reports
    ]


PRIORITY_WORDS = {"emergency": "khẩn cấp", "priority": "ưu tiên", "normal": "thường"}


def _vn(number: float) -> str:
    return f"{number:g}".replace(".", ",")


def overflow_markdown(reports: list[dict]) -> str:
    lines = ["# Thông báo chuyển sang buổi sau và ngôn ngữ chưa có âm thanh", ""]
    for r in reports:
        if not r["overflow"] and not r["missing"]:
            continue
        lines.append(f"## {r['station']} — {r['slot']} ({_vn(r['minutes'])} / {r['max_minutes']:g} phút)")
        for o in r["overflow"]:
            lines.append(
                f"- chuyển sang buổi sau{' (lần nữa)' if o['carried'] else ''}: thông báo {o['notice_id']} "
                f"phiên bản {o['version']} ({PRIORITY_WORDS.get(o['priority'], o['priority'])}) "
                f"«{o['title']}»: {o['reason']}"
            )
        for m in r["missing"]:
            lines.append(
                f"- không phát bằng {language_name(m['language'])}: thông báo {m['notice_id']} phiên bản "
                f"{m['version']}: {m['reason']}"
            )
        lines.append("")
    if len(lines) == 2:
        lines.append("Mọi thông báo đến lượt đều vừa buổi phát, bằng mọi ngôn ngữ các đài phát.")
    return "\n".join(lines)


def offline_speakers(store, reports: list[dict]) -> list[dict]:
    """The enabled speakers of the stations about to air a slot with something in it that are offline (or
    never reported): that slot will not air there (loa.speaker.missed)."""
    from loa.store.speakers import speakers

    airing = {r["station"]: r["slot"] for r in reports if r["scheduled"]}
    return [
        {
            "speaker": sp.id,
            "name": sp.name or sp.id,
            "station": sp.station,
            "slot": airing[sp.station],
            "state": sp.state,
            "detail": f"loa {sp.state} từ {sp.state_since.isoformat() if sp.state_since else '-'}",
        }
        for sp in speakers(store, enabled_only=True)
        if sp.station in airing and sp.state in ("offline", "unknown")
    ]


@flow(name="radio-slot", flow_run_name=_run_name)
def radio_slot(slot: str | None = None, date: str | None = None) -> dict:
    """Build the playlists (M3U8 and XSPF) of every station airing the next slot, or `slot` (HH:MM) on `date`."""
    cfg, store = runtime()
    reports = build_playlists(slot, date)
    log = get_run_logger()
    for r in reports:
        log.info(
            "%s %s: %d notice(s), %s of %g min, %d carried to the next slot",
            r["station"],
            r["slot"],
            len(r["scheduled"]),
            _vn(r["minutes"]),
            r["max_minutes"],
            len(r["overflow"]),
        )
    create_table_artifact(
        key="radio-slot",
        table=table(reports, cfg.site_url) or [{"kết quả": "không đài nào phát buổi này"}],
        description="Danh sách phát của từng đài cho buổi này: số thông báo, số phút trên mức tối đa, "
        "thông báo chuyển sang buổi sau, ngôn ngữ chưa có âm thanh",
    )
    create_markdown_artifact(
        key="radio-overflow",
        markdown=overflow_markdown(reports),
        description="Thông báo không vừa buổi phát (chuyển sang buổi sau) và ngôn ngữ chưa có âm thanh",
    )
    for r in reports:
        if r["overflow"]:
            emit(
                events.RADIO_OVERFLOW,
                events.resource("station", r["station"]),
                payload={"slot": r["slot"], "overflow": [[o["notice_id"], o["version"]] for o in r["overflow"]]},
            )
    for sp in offline_speakers(store, reports):
        emit(
            events.SPEAKER_MISSED,
            events.resource("speaker", sp["speaker"], sp["name"]),
            related=[events.resource("station", sp["station"], sp["station"], role="station")],
            payload=sp,
        )
    return {
        "slot": sorted({r["slot"] for r in reports}),
        "stations": len(reports),
        "notices": sum(len(r["scheduled"]) for r in reports),
        "overflow": sum(len(r["overflow"]) for r in reports),
        "missing": sum(len(r["missing"]) for r in reports),
    }
