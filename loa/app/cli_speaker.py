"""`loa speaker run`: the reference IP loudspeaker (loa/speaker/), for a station's playout machine."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import typer

from loa.app.cli_common import fail as _fail

speaker_app = typer.Typer(
    help="The reference loudspeaker: `loa speaker run --station S` follows the station's signed schedule.",
    no_args_is_help=True,
)


@speaker_app.command("run")
def run(
    station: str = typer.Option(..., "--station", help="The station this speaker belongs to (its radio topics)."),
    broker: str = typer.Option(
        None,
        "--broker",
        help="mqtt://host:port of Loa's broker (default: LOA_SPEAKER_BROKER, else the credentials file's). "
        "No password here.",
    ),
    site: str = typer.Option(
        None,
        "--site",
        help="Loa's website (default: LOA_SPEAKER_SITE, else the credentials file's): the key at "
        "<site>/keys/notices.json.",
    ),
    credentials: Path = typer.Option(
        None,
        "--credentials",
        help="File with the account (JSON {id, password} or id=/password= lines, mode 0600). "
        "Default: LOA_SPEAKER_ID and LOA_SPEAKER_PASSWORD.",
    ),
    key_id: str = typer.Option(None, "--key-id", help="Pin Loa's signing key: refuse any other key id."),
    cache_dir: Path = typer.Option(
        Path("~/.cache/loa-speaker"), "--cache-dir", help="Audio cache, state and unsent acks."
    ),
    cache_max_mb: int = typer.Option(500, "--cache-max-mb", help="Cache size bound (least recently used go first)."),
    player: str = typer.Option(
        "mpv --no-video --really-quiet {file}", "--player", help="Player command; {file} is the audio file."
    ),
    prefix: str = typer.Option("loa/v1", "--prefix", help="Topic prefix."),
    as_json: bool = typer.Option(False, "--json", help="Log JSON lines instead of text lines (stderr)."),
) -> None:
    """Play the station's slots on time from a verified local cache, obey emergency play/stop commands,
    and report status and an ack per item. Runs until SIGINT/SIGTERM (then reports "offline")."""
    from loa.app.speaker_mqtt import MqttLink
    from loa.config import MqttURL
    from loa.errors import ConfigError, LoaError
    from loa.speaker import credentials as creds
    from loa.speaker.cache import Cache
    from loa.speaker.log import EventLog
    from loa.speaker.player import Player
    from loa.speaker.runner import Options, Runner

    try:
        # the file `loa speakers add` wrote also names the station, the broker and the site
        path = credentials.expanduser() if credentials else None
        given = creds.read_file(path) if path else {}
        if given.get("station") and given["station"] != station:
            raise LoaError(
                f"{credentials} is the account of a speaker of station {given['station']!r}, not {station!r}; "
                "its broker account may read only that station's topics"
            )
        where = broker or os.environ.get("LOA_SPEAKER_BROKER", "") or given.get("mqtt", "")
        site_url = site or os.environ.get("LOA_SPEAKER_SITE") or given.get("site")
        if not where:
            raise LoaError("no broker: give --broker mqtt://host:port or set LOA_SPEAKER_BROKER")
        url = MqttURL.parse(where, "--broker")
        if url.password and broker:
            raise LoaError("--broker must not carry a password; use LOA_SPEAKER_PASSWORD or --credentials")
        speaker, password = creds.account(given, str(path)) if path else creds.load(None)
        the_player = Player(player)
    except (LoaError, ConfigError, ValueError) as exc:
        _fail(exc)
    root = cache_dir.expanduser()
    root.mkdir(parents=True, exist_ok=True)
    log = EventLog(as_json)
    runner = Runner(
        Options(speaker=speaker, station=station, prefix=prefix, site=site_url, pin=key_id),
        Cache(root, cache_max_mb * 1024 * 1024),
        the_player,
        log,
    )
    link = MqttLink(
        MqttURL(url.host, url.port, speaker, password),
        speaker,
        runner.subscriptions(),
        runner.inbox,
        (runner.topic("status"), runner.status_of("offline")),
    )
    runner.link = link
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: runner.stop())
    link.start()
    runner.run()
