"""`loa speakers`: register commune loudspeakers (broker accounts that follow one station) and see their health."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from loa import clock
from loa.app.cli_common import JSON, FitTable, err, local_time, out, print_whole, report_account
from loa.app.cli_common import fail as _fail
from loa.app.cli_common import print_json as _print_json
from loa.app.cli_common import runtime_or_fail as _runtime
from loa.errors import LoaError

speakers_app = typer.Typer(
    help="Commune loudspeakers (IP clusters, playout computers): `loa speakers` lists them (state, clock, "
    "cache, items played); `loa speakers add ID --station S` creates a speaker's broker account.",
    invoke_without_command=True,
)

log = logging.getLogger(__name__)


@speakers_app.callback()
def speakers(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the speakers: station, state and since when, last seen, clock skew, acks."""
    if ctx.invoked_subcommand is not None:
        return
    from loa.store.speakers import speakers as all_speakers

    _, store = _runtime()
    rows = all_speakers(store)
    if as_json:
        _print_json([sp.as_dict() for sp in rows])
        return
    if not rows:
        out.print("No speakers yet. Add one with `loa speakers add ID --station S`.")
        return
    table = FitTable("speaker", "station", "state", "since", "skew", "acks", title="Loa phát thanh (speakers)")
    for sp in rows:
        style = {"offline": "red", "unknown": "dim"}.get(sp.state, "green")
        state = "disabled" if sp.disabled else f"[{style}]{sp.state}[/]"
        skew = f"{sp.clock_skew_ms} ms" if sp.clock_skew_ms is not None else "-"
        table.add_row(sp.id, sp.station, state, local_time(sp.state_since), skew, str(sp.acks))
    out.print(table)


def _credentials(cfg, speaker_id: str, station: str, password: str) -> Path:
    """The file the operator hands to the device (readable by its owner only); `loa speaker run
    --credentials FILE` reads it. JSON: id, password, station, broker and site address."""
    from loa.files import write_atomic

    url = cfg.mqtt
    path = cfg.home / "speakers" / f"{speaker_id}.credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    doc = {
        "id": speaker_id,
        "password": password,
        "station": station,
        "mqtt": f"mqtt://{url.host}:{url.port}",
        "site_url": cfg.site_url,
    }
    write_atomic(path, json.dumps(doc, indent=2) + "\n")
    path.chmod(0o600)
    return path


def _apply_account(cfg, speaker_id: str, password: str | None) -> tuple[bool, bool | None]:
    """`device_accounts.apply_account` for `add`, `reset` and (password None) `disable`."""
    from loa.app.device_accounts import apply_account

    return apply_account(cfg, speaker_id, password, f"speaker {speaker_id!r}: its broker account was not written")


def create_speaker(cfg, store, speaker_id: str, station: str, name: str | None = None) -> dict:
    """Register a speaker, create its broker account, write its credentials file; the result holds the
    password once."""
    from loa.app import broker
    from loa.app.device_accounts import check_id_free
    from loa.speaker_protocol import check_speaker_id
    from loa.store.speakers import add_speaker

    check_speaker_id(speaker_id)  # a LoaError naming the rule
    stations = {s.id for s in cfg.stations}
    if station not in stations:
        raise LoaError(
            f"station {station!r} is not in {cfg.config_dir / 'stations.yaml'}; "
            f"its stations: {', '.join(sorted(stations)) or 'none'}"
        )
    check_id_free(store, "speaker", speaker_id, f"`loa speakers reset {speaker_id}` gives a new password")
    password = broker.new_password()
    add_speaker(store, speaker_id, station, name)
    reloaded, accepted = _apply_account(cfg, speaker_id, password)
    creds = _credentials(cfg, speaker_id, station, password)
    url = cfg.mqtt
    return {
        "id": speaker_id,
        "station": station,
        "name": name,
        "username": speaker_id,
        "password": password,
        "credentials_file": str(creds),
        "mqtt": f"mqtt://{url.host}:{url.port}",
        "schedule_topic": f"{cfg.mqtt_topic_prefix}/radio/{station}/schedule",
        "managed_broker": broker.manages_accounts(cfg),
        "broker_reloaded": reloaded,
        "broker_accepts": accepted,
        "acl": broker.speaker_acl(cfg, speaker_id, station),
    }


@speakers_app.command("add")
def add(
    speaker_id: str = typer.Argument(..., metavar="ID", help="The speaker's id and broker user name, e.g. nam-tuan-1."),
    station: str = typer.Option(..., help="The station it plays (stations.yaml id), e.g. nam-tuan."),
    name: str | None = typer.Option(None, help="A human name, e.g. 'Cụm loa thôn Nà Lòa'."),
    as_json: bool = JSON,
) -> None:
    """Create a speaker's broker account: its password is printed once and written to a credentials file
    (readable by you only) to hand to the device; only a salted hash is kept.

    The speaker may read only its station's schedule, play and stop topics and the key, and write only its
    own status and ack topics (docs/speakers.md). A running broker reloads its accounts at once.
    """
    cfg, store = _runtime()
    try:
        result = create_speaker(cfg, store, speaker_id, station, name)
    except LoaError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(result)
        return
    out.print(f"speaker [bold]{speaker_id}[/] added for station {station}")
    out.print(f"  user name    {speaker_id}\n  password     {result['password']}   [yellow](shown once)[/]")
    out.print(f"  MQTT         {result['mqtt']}  (other machines: TLS, docs/boards.md)")
    out.print("  credentials file (hand it to the device; readable by you only):")
    print_whole(result["credentials_file"])
    out.print(f"  on the device: loa speaker run --station {station} --credentials FILE")
    report_account(cfg, "speaker", result)
    if result["managed_broker"] and not result["broker_reloaded"]:
        return  # published when `loa run` starts the broker and builds
    sent = _publish(cfg, store, [station])
    if station in sent:
        out.print(f"  schedule   {len(sent[station]['slots'])} slot(s) on {result['schedule_topic']}")


def _publish(cfg, store, stations: list[str]) -> dict[str, dict]:
    """Build what is missing of the stations' next 24 hours and publish their schedules (retained)."""

    from channels.mqtt import BrokerUnavailable
    from loa.radio import schedule_feed
    from loa.radio.build import Builder
    from loa.speech.tts import AudioError

    try:
        return schedule_feed.publish(Builder(cfg, store), stations, clock.now(), strict=True)
    except (AudioError, OSError, ValueError, BrokerUnavailable) as exc:
        err.print(f"[yellow]schedule not published: {exc}; `loa speakers schedule` retries[/]")
        return {}


@speakers_app.command("schedule")
def publish_schedule(
    station: list[str] = typer.Option(
        None, "--station", help="Only this station (repeatable); default: every station with a speaker."
    ),
    as_json: bool = JSON,
) -> None:
    """Publish the stations' signed schedules now (retained on loa/v1/radio/<station>/schedule), building
    their slots of the next 24 hours first. Loa does this after every build by itself; use it after
    restoring a broker or to see what the speakers follow."""
    from loa.store.speakers import stations_with_speakers

    cfg, store = _runtime()
    known = {s.id for s in cfg.stations}
    if unknown := [s for s in station or [] if s not in known]:
        _fail(f"no station {unknown[0]!r} in {cfg.config_dir / 'stations.yaml'}")
    wanted = sorted(station or stations_with_speakers(store))
    sent = _publish(cfg, store, wanted)
    if as_json:
        _print_json({sid: {"slots": doc["slots"], "until": doc["until"]} for sid, doc in sent.items()})
        return
    if not sent:
        _fail(
            "no schedule published: no enabled speaker for "
            f"{', '.join(wanted) or 'any station'}, or the broker is unreachable (see the log above)"
        )
    for sid, doc in sent.items():
        out.print(f"[bold]{sid}[/]: {len(doc['slots'])} slot(s) until {doc['until']}")
        for sl in doc["slots"]:
            secs = sum(i["seconds"] for i in sl["items"])
            out.print(f"  {sl['start']}  {len(sl['items'])} items, {secs / 60:.1f} min", markup=False)


@speakers_app.command("show")
def show(speaker_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """One speaker: its state history and the items it reported playing."""
    from loa.store.speakers import acks_of, get_speaker, status_history

    _, store = _runtime()
    try:
        sp = get_speaker(store, speaker_id)
    except LoaError as exc:
        _fail(str(exc))
    history, played = status_history(store, speaker_id), acks_of(store, speaker_id)
    if as_json:
        _print_json(sp.as_dict() | {"history": history, "acks": played})
        return
    off = " (disabled)" if sp.disabled else ""
    out.print(
        f"[bold]{sp.id}[/]{off} {sp.name or ''} · station {sp.station} · {sp.state} since {local_time(sp.state_since)}"
    )
    skew = f"{sp.clock_skew_ms} ms" if sp.clock_skew_ms is not None else "-"
    cache = f"{sp.cache_items} files, {sp.cache_bytes or 0} bytes" if sp.cache_items is not None else "-"
    out.print(f"  clock skew {skew} · cache {cache} · software {sp.software or '-'}")
    for h in history:
        out.print(f"  {h['at']}  {h['state']}")
    for a in played:
        what = f"notice {a['notice']['id']} v{a['notice']['version']}" if a["notice"] else a["kind"] or "item"
        out.print(f"  {a['at']}  {a['event']:<11} {what} ({a['slot'] or 'emergency'})", markup=False)


@speakers_app.command("disable")
def disable(speaker_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Remove a speaker's broker account (a lost or stolen device); its history stays. `reset` re-enables it."""
    from loa.store.speakers import set_disabled

    cfg, store = _runtime()
    try:
        sp = set_disabled(store, speaker_id, True)
        reloaded, _ = _apply_account(cfg, speaker_id, None)
    except LoaError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(sp.as_dict() | {"broker_reloaded": reloaded})
        return
    out.print(f"speaker {speaker_id} disabled: the broker no longer accepts it")


@speakers_app.command("reset")
def reset(speaker_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Give a speaker a new password (printed once, written to its credentials file) and enable it."""
    from loa.app import broker
    from loa.store.speakers import set_disabled

    cfg, store = _runtime()
    password = broker.new_password()
    try:
        sp = set_disabled(store, speaker_id, False)
        reloaded, accepted = _apply_account(cfg, speaker_id, password)
    except LoaError as exc:
        _fail(str(exc))
    creds = _credentials(cfg, speaker_id, sp.station, password)
    result = {
        "id": speaker_id,
        "station": sp.station,
        "password": password,
        "credentials_file": str(creds),
        "managed_broker": broker.manages_accounts(cfg),
        "broker_reloaded": reloaded,
        "broker_accepts": accepted,
        "acl": broker.speaker_acl(cfg, speaker_id, sp.station),
    }
    if as_json:
        _print_json(result)
        return
    out.print(f"speaker {speaker_id}: new password {password}   [yellow](shown once)[/]")
    out.print("  the old one no longer works; credentials file:")
    print_whole(str(creds))
    report_account(cfg, "speaker", result)
