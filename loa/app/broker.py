"""Loa's own Mosquitto: config from config/mosquitto/, accounts in LOA_HOME, started as a child process."""

from __future__ import annotations

import getpass
import shutil
import socket
import string
import subprocess
import time
from pathlib import Path

from loa.config import Config, embedded_password
from loa.errors import LoaError

MONITOR_USER = "loa-monitor"


def _binary(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not found:
        raise LoaError(f"{name} is not installed; run `make run` (it installs it) or `apt-get install mosquitto`")
    return found


def set_password(passwd: Path, user: str, password: str) -> None:
    passwd.parent.mkdir(parents=True, exist_ok=True)
    passwd.touch(mode=0o600, exist_ok=True)
    subprocess.run([_binary("mosquitto_passwd"), "-b", str(passwd), user, password],
                   check=True, capture_output=True, text=True)


def prepare(cfg: Config, port: int | None = None) -> Path:
    """Write mosquitto.conf, the ACL and the password file under LOA_HOME/mosquitto; return the conf path."""
    folder = cfg.home / "mosquitto"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    passwd, acl = folder / "passwd", folder / "acl"
    set_password(passwd, "loa-publisher", embedded_password(cfg.home, "loa-publisher"))
    set_password(passwd, MONITOR_USER, embedded_password(cfg.home, MONITOR_USER))
    shutil.copyfile(cfg.config_dir / "mosquitto" / "acl", acl)
    template = string.Template((cfg.config_dir / "mosquitto" / "mosquitto.conf").read_text())
    conf = folder / "mosquitto.conf"
    conf.write_text(template.substitute(
        passwd_file=passwd, acl_file=acl, data_dir=folder / "data", log_file=folder / "mosquitto.log",
        port=port or cfg.ports.mqtt, bind_host=cfg.bind_host, run_user=getpass.getuser()))
    return conf


def start(cfg: Config, port: int | None = None, timeout: float = 10.0) -> subprocess.Popen:
    """Start Mosquitto and wait until it accepts TCP connections."""
    port = port or cfg.ports.mqtt
    conf = prepare(cfg, port)
    proc = subprocess.Popen([_binary("mosquitto"), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
            log = cfg.home / "mosquitto" / "mosquitto.log"
            tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            raise LoaError(f"Mosquitto exited at start ({(err or tail or ['no message'])[-1]}); "
                           f"is port {port} free? Set ports.mqtt in config/loa.yaml or LOA_MQTT_URL")
        try:
            socket.create_connection((cfg.bind_host, port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise LoaError(f"Mosquitto did not listen on {cfg.bind_host}:{port} within {timeout:.0f} s")
