"""Before each broadcast slot: build the playlist of every station that airs it (flows/serve.py schedules one
deployment per distinct slot time, build_minutes_before the slot).

One task builds all the stations of the slot (never a task per station); its artifacts are a table
(per station: notices, minutes, overflow, languages without audio, the playlist's URL) and the
overflow report; a station with overflow also emits loa.radio.overflow. Emergencies do not wait for
a slot: the dispatch flow's radio task builds their immediate playlist and sends the MQTT command.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime, timezone

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flows.events import emit
from loa import events
from loa.radio import schedule
from loa.radio.build import Builder
from loa.runtime import runtime

RADIO_OVERFLOW = "loa.radio.overflow"


def _run_name() -> str:
    slot, day = flow_run.parameters.get("slot"), flow_run.parameters.get("date")
    return f"radio slot {slot or 'next'}{' ' + day if day else ''}"


def targets(cfg, now: datetime, slot: str | None = None, day: str | None = None) -> list[schedule.SlotTime]:
    """The slot occurrences to build: the due slot (no arguments), or `slot` HH:MM on `day` (default: next)."""
    if slot is None:
        return schedule.due(cfg.stations, now, cfg.tz, window_minutes=cfg.radio.build_minutes_before + 2)
    stations = [s for s in cfg.stations if any(sl.time == slot for sl in s.slots)]
    if not stations:
        raise ValueError(f"no station has a {slot} slot; slot times in stations.yaml: "
                         f"{', '.join(schedule.slot_times(cfg.stations)) or 'none'}")
    if day is None:
        return [t for s in stations if (t := schedule.upcoming(s, now, cfg.tz, at=slot)) is not None]
    on = Date.fromisoformat(day)
    return [schedule.occurrence(s, slot, on, cfg.tz) for s in stations
            if on.isoweekday() in next(sl for sl in s.slots if sl.time == slot).days]


@task(name="build radio playlists", task_run_name="radio playlists {slot}", retries=2, retry_delay_seconds=[10, 30])
def build_playlists(slot: str | None, day: str | None) -> list[dict]:
    cfg, store = runtime()
    now = datetime.now(timezone.utc)
    return [r.as_dict() for r in Builder(cfg, store).slots(targets(cfg, now, slot, day), now)]


def table(reports: list[dict], site_url: str) -> list[dict]:
    return [{"station": r["station"], "slot": r["slot"], "notices": len(r["scheduled"]),
             "minutes": f"{r['minutes']} / {r['max_minutes']:g}", "overflow": len(r["overflow"]),
             "without audio": ", ".join(sorted({f"{m['language']} (#{m['notice_id']})" for m in r["missing"]})),
             "playlist": f"{site_url}/radio/{r['files'][0]}"} for r in reports]


def overflow_markdown(reports: list[dict]) -> str:
    lines = ["# Radio overflow and languages without audio", ""]
    for r in reports:
        if not r["overflow"] and not r["missing"]:
            continue
        lines.append(f"## {r['station']} — {r['slot']} ({r['minutes']} of {r['max_minutes']:g} min)")
        for o in r["overflow"]:
            lines.append(f"- overflow: notice {o['notice_id']} v{o['version']} ({o['priority']}) «{o['title']}»: "
                         f"{o['reason']}; carried to the next slot{' (again)' if o['carried'] else ''}")
        for m in r["missing"]:
            lines.append(f"- not aired in {m['language']}: notice {m['notice_id']} v{m['version']}: {m['reason']}")
        lines.append("")
    if len(lines) == 2:
        lines.append("Every due notice fits its slot, in every language the stations air.")
    return "\n".join(lines)


@flow(name="radio-slot", flow_run_name=_run_name)
def radio_slot(slot: str | None = None, date: str | None = None) -> dict:
    """Build the playlists (M3U8 and XSPF) of every station airing the next slot, or `slot` (HH:MM) on `date`."""
    cfg, _ = runtime()
    reports = build_playlists(slot, date)
    create_table_artifact(key="radio-slot", table=table(reports, cfg.site_url) or [{"result": "no station airs now"}],
                          description="Each station's playlist for the slot: notices, minutes of the maximum, "
                                      "overflow carried to the next slot, languages without audio")
    create_markdown_artifact(key="radio-overflow", markdown=overflow_markdown(reports),
                             description="What did not fit (carried to the next slot) and what has no audio")
    for r in reports:
        if r["overflow"]:
            emit(RADIO_OVERFLOW, events.resource("station", r["station"]),
                 payload={"slot": r["slot"], "overflow": [[o["notice_id"], o["version"]] for o in r["overflow"]]})
    return {"slot": sorted({r["slot"] for r in reports}), "stations": len(reports),
            "notices": sum(len(r["scheduled"]) for r in reports),
            "overflow": sum(len(r["overflow"]) for r in reports),
            "missing": sum(len(r["missing"]) for r in reports)}
