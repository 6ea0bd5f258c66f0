"""Loa's own Mosquitto: config from config/mosquitto/, accounts in LOA_HOME, started as a child process."""

from __future__ import annotations

import getpass
import logging
import os
import secrets
import signal
import socket
import string
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from loa import tools
from loa.config import Config, embedded_password, ensure_secrets
from loa.errors import LoaError
from loa.files import write_atomic

log = logging.getLogger(__name__)

MONITOR_USER = "loa-monitor"


def _binary(name: str, subject: object = "the broker's files") -> str:
    return tools.find(
        name,
        name,
        subject,
        hint="run `make run` (it installs it) or `apt-get install mosquitto`",
        extra=[Path("/usr/sbin") / name],
    )


def _merge_accounts(passwd: Path, accounts: list[tuple[str, str]], remove: Iterable[str] = ()) -> None:
    users = {user for user, _ in accounts} | set(remove)
    kept = [
        line
        for line in (passwd.read_text().splitlines() if passwd.exists() else [])
        if line.split(":", 1)[0] not in users
    ]
    # the broker never reads half a password file, nobody else reads it at all
    write_atomic(passwd, "\n".join(kept + (hashed_lines(accounts) if accounts else [])) + "\n", mode=0o600)


def prepare(cfg: Config, port: int | None = None) -> Path:
    """Write mosquitto.conf, the ACL and the password file under LOA_HOME/mosquitto; return the conf path."""
    files = cfg.layout
    files.mosquitto_data.mkdir(parents=True, exist_ok=True)
    passwd, acl = files.mosquitto_passwd, files.mosquitto_acl
    ensure_secrets(cfg.home)
    _merge_accounts(passwd, [(u, embedded_password(cfg.home, u) or "") for u in ("loa-publisher", MONITOR_USER)])
    write_acl(cfg)
    template = string.Template((cfg.config_dir / "mosquitto" / "mosquitto.conf").read_text())
    conf = files.mosquitto_conf
    conf.write_text(
        template.substitute(
            passwd_file=passwd,
            acl_file=acl,
            data_dir=files.mosquitto_data,
            log_file=files.mosquitto_log,
            port=port or cfg.ports.mqtt,
            bind_host=cfg.bind_host,
            run_user=getpass.getuser(),
        )
    )
    return conf


def start(cfg: Config, port: int | None = None, timeout: float = 10.0) -> subprocess.Popen:
    """Start Mosquitto and wait until it accepts TCP connections."""
    port = port or cfg.ports.mqtt
    conf = prepare(cfg, port)
    proc = subprocess.Popen(
        [_binary("mosquitto"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
            log = cfg.layout.mosquitto_log
            tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            raise LoaError(
                f"Mosquitto exited at start ({(err or tail or ['no message'])[-1]}); "
                f"is port {port} free? Set ports.mqtt in config/loa.yaml or LOA_MQTT_URL"
            )
        try:
            socket.create_connection((cfg.bind_host, port), timeout=0.5).close()
            pid_file(cfg).write_text(str(proc.pid))  # `loa boards|speakers add` signal it to reload accounts
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise LoaError(f"Mosquitto did not listen on {cfg.bind_host}:{port} within {timeout:.0f} s")


def stop(cfg: Config, proc: subprocess.Popen, terminate) -> None:
    """Stop the Mosquitto `start` returned (`terminate` is the supervisor's: SIGTERM, then SIGKILL) and
    remove its pid file, so adding an account never signals a pid the system has since given to another
    process."""
    try:
        terminate()
    finally:
        if proc.poll() is not None:
            pid_file(cfg).unlink(missing_ok=True)


# --- device accounts (`loa boards add`, `loa speakers add|reset|disable`) -----------------------


def pid_file(cfg: Config) -> Path:
    return cfg.layout.mosquitto_pid


def manages_accounts(cfg: Config) -> bool:
    """Loa creates broker accounts only for its own Mosquitto (not when LOA_MQTT_URL names another broker)."""
    return not cfg.env.mqtt_url


def board_acl(cfg: Config, board_id: str, area: str) -> str:
    """A board reads only its own commune's and province's notices and the key, and writes only its own
    status and ack. Written per user, not as `pattern` lines: a pattern applies to every account, so a
    speaker would get a board's topics under its own name."""
    from loa.board_protocol import ack_topic, area_chain, key_topic, notice_topic, status_topic

    prefix = cfg.mqtt_topic_prefix
    lines = [f"user {board_id}"]
    lines += [f"topic read {notice_topic(prefix, a, '+')}" for a in area_chain(area)]
    lines += [
        f"topic read {key_topic(prefix).rsplit('/', 1)[0]}/#",
        f"topic write {status_topic(prefix, board_id)}",
        f"topic write {ack_topic(prefix, board_id)}",
    ]
    return "\n".join(lines) + "\n"


def speaker_acl(cfg: Config, speaker_id: str, station: str) -> str:
    """A speaker reads only its station's radio topics (schedule, play, stop) and the key, and writes only
    its own status and ack (docs/speakers.md)."""
    from loa.board_protocol import key_topic
    from loa.speaker_protocol import ack_topic, radio_topics, status_topic

    prefix = cfg.mqtt_topic_prefix
    return (
        "\n".join(
            [
                f"user {speaker_id}",
                f"topic read {radio_topics(prefix, station)}",
                f"topic read {key_topic(prefix).rsplit('/', 1)[0]}/#",
                f"topic write {status_topic(prefix, speaker_id)}",
                f"topic write {ack_topic(prefix, speaker_id)}",
            ]
        )
        + "\n"
    )


def write_acl(cfg: Config) -> Path:
    """The shipped ACL (config/mosquitto/acl) followed by one block per registered board and enabled speaker."""
    from loa.store import Store
    from loa.store.boards import boards
    from loa.store.speakers import speakers

    store = Store.open(cfg.database_url)
    shipped = (cfg.config_dir / "mosquitto" / "acl").read_text()
    blocks = [board_acl(cfg, b.id, b.area) for b in boards(store)]
    blocks.append("# --- speakers (written by `loa speakers add`; edit the speakers, not this file) ---\n")
    blocks += [speaker_acl(cfg, sp.id, sp.station) for sp in speakers(store, enabled_only=True)]
    text = shipped.rstrip("\n") + "\n\n# --- boards (written by `loa boards add`; edit the boards, not this file) ---\n"
    return write_atomic(cfg.layout.mosquitto_acl, text + "\n".join(blocks))  # the broker never reads half an ACL


def new_password() -> str:
    return secrets.token_urlsafe(18)


def running_pid(cfg: Config) -> int | None:
    """The pid of Loa's running Mosquitto for this LOA_HOME, checked against /proc (a stale pid file is ignored)."""
    try:
        pid = int(pid_file(cfg).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    conf = str(cfg.layout.mosquitto_conf).encode()
    return pid if cmdline and cmdline[0].endswith(b"mosquitto") and conf in cmdline else None


def reload(cfg: Config) -> bool:
    """SIGHUP makes Mosquitto re-read its password file and ACL; False when it is not running."""
    pid = running_pid(cfg)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    log.info("told Mosquitto (pid %s) to reload its password file and ACL", pid)
    return True


def hashed_lines(accounts: list[tuple[str, str]]) -> list[str]:
    """`user:hash` lines from mosquitto_passwd itself (-U hashes a plain file in one run, however many accounts)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "passwd"
        plain.write_text("".join(f"{user}:{password}\n" for user, password in accounts))
        plain.chmod(0o600)
        tools.run(
            [_binary("mosquitto_passwd"), "-U", str(plain)],
            "mosquitto_passwd",
            plain,
            "hashing the passwords",
            "check the mosquitto installation (mosquitto_passwd -h)",
        )
        return plain.read_text().splitlines()


def set_device_accounts(cfg: Config, accounts: list[tuple[str, str]], remove: tuple[str, ...] = ()) -> bool:
    """Add or reset (board or speaker id, password) accounts, drop the `remove` ones, rewrite the ACL from
    the store, reload the broker.

    Only salted hashes reach the password file. Returns True when a running broker was told to reload.
    """
    _merge_accounts(cfg.layout.mosquitto_passwd, accounts, remove)
    write_acl(cfg)
    return reload(cfg)
