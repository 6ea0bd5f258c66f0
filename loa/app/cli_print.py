"""`loa print` (the printed bulletin) and `loa site` (the static website)."""

from __future__ import annotations

import json
import time
from datetime import date

import typer

from loa import clock
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import out
from loa.errors import LoaError

site_app = typer.Typer(help="The static website under LOA_HOME/site.", no_args_is_help=True)


def print_cmd(
    area: str = typer.Option(..., help="Area path, e.g. cao-bang/nam-tuan (a commune, usually)."),
    week: bool = typer.Option(
        False,
        "--week",
        help="The weekly edition: notices published in one ISO week "
        "(default: last week) that are still in force. Without it: every notice in force now.",
    ),
    on: str | None = typer.Option(
        None,
        "--date",
        metavar="YYYY-MM-DD",
        help="With --week: the week that contains this day (e.g. today's date for this week so far).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of text."),
) -> None:
    """Make the printed bulletin for one area: an A4 PDF with large type, QR codes, page numbers.

    The PDF is written to LOA_HOME/site/print/<area>/ (current.pdf, or <year>-W<week>.pdf with --week)
    and linked from the area's web page. The `print` deployment makes every commune's weekly edition.
    """
    from channels.printed import PdfError, Printed
    from channels.website import Website
    from loa.runtime import runtime
    from loa.site import bulletin

    try:
        cfg, store = runtime()
    except LoaError as exc:
        _fail(str(exc))
    if area not in cfg.areas:
        _fail(f"area {area!r} is not in {cfg.config_dir / 'areas.yaml'}; e.g. {next(iter(reversed(cfg.areas)))}")
    if on and not week:
        _fail("--date chooses the week of a weekly edition: add --week")
    now = clock.now()
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"--date {on!r} is not a date like 2026-11-23")
    if week:
        period = bulletin.week_period(day, cfg.tz) if day else bulletin.previous_week(now, cfg.tz)
    else:
        period = bulletin.current_period(now, cfg.tz)
    started = time.perf_counter()
    try:
        result = Printed(cfg, store).make(area, period, now)
        Website(cfg, store).refresh_areas([area], now)
    except (PdfError, OSError) as exc:
        _fail(f"the bulletin for {area} ({period.key}) was not made: {exc}")
    data = result.as_dict() | {
        "label": period.label,
        "seconds": round(time.perf_counter() - started, 2),
        "url": f"{cfg.site_url}/{bulletin.edition_href(area, period.key)}",
    }
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        out.print(
            f"{cfg.area_name(area)} · {period.label}: {result.notices} notice(s), {result.pages} page(s)\n"
            f"{result.path}\n{data['url']}",
            markup=False,
            highlight=False,
        )


@site_app.command("rebuild")
def site_rebuild(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of text."),
) -> None:
    """Rebuild the whole website from the store (after changing templates, areas or the site URL).

    Publishing a notice already rewrites the pages it touches; this rewrites every page. Files whose
    content did not change are left alone.
    """
    from channels.website import Website
    from loa.runtime import runtime

    try:
        cfg, store = runtime()
    except LoaError as exc:
        _fail(str(exc))
    started = time.perf_counter()
    try:
        report = Website(cfg, store).rebuild()
    except OSError as exc:
        _fail(f"the site rebuild under {cfg.layout.site} failed: {exc}")
    data = {
        "root": str(cfg.layout.site),
        "written": len(report.written),
        "unchanged": report.unchanged,
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        out.print_json(json.dumps(data))
    else:
        out.print(
            f"{data['root']}: {data['written']} files written, {data['unchanged']} unchanged in {data['seconds']} s",
            markup=False,
            highlight=False,
        )
