"""For speaker tests and bench: schedules and commands as Loa's server sends them (loa.radio.schedule /
loa.radio.play v1), a Mosquitto with a speaker account made by Loa itself (`create_speaker`, what
`loa speakers add` runs: the store row, the ACL block, the hashed password and the credentials file), an ack
subscriber, `loa speaker run --credentials FILE` as a process."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from loa.app import broker as mosq
from loa.app.cli_speakers import create_speaker
from loa.config import Config, Env, MqttURL, load_config
from loa.signing import Signer
from loa.store import Store
from tests.conftest import write_config

STATION = "hoa-an"  # a station of the shipped config/stations.yaml (`loa speakers add` checks)


def new_signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def item(name: str, url: str, seconds: float, sha: str, kind: str = "notice", notice: int | None = 7) -> dict:
    return {
        "id": name,
        "kind": kind,
        "notice": {"id": notice, "version": 1} if notice is not None else None,
        "language": "vi",
        "title": f"Mục {name}",
        "url": url,
        "seconds": seconds,
        "sha256": sha,
    }


def slot(start: datetime, items: list[dict], station: str = STATION) -> dict:
    return {
        "id": f"{station}/{start.astimezone(UTC):%Y%m%dT%H%M%S}",
        "start": start.isoformat(),
        "playlist": f"http://127.0.0.1/radio/stations/{station}/{start:%H%M}.m3u8",
        "items": items,
    }


def schedule(signer: Signer, slots: list[dict], generated_at: datetime | None = None, station: str = STATION) -> dict:
    generated_at = generated_at or datetime.now(UTC)
    return signer.sign(
        {
            "schema": "loa.radio.schedule",
            "schema_version": 1,
            "station": station,
            "generated_at": generated_at.isoformat(timespec="milliseconds"),
            "until": (generated_at + timedelta(hours=24)).isoformat(),
            "slots": slots,
        }
    )


def play(
    signer: Signer,
    audio: list[tuple[str, float, str]],
    *,
    key: str | None = "cmd-1",
    notice: int = 42,
    valid_for: float = 600,
    station: str = STATION,
) -> dict:
    now = datetime.now(UTC)
    body = {
        "schema": "loa.radio.play",
        "schema_version": 1,
        "station": station,
        "notice": {"id": notice, "version": 1, "priority": "emergency", "title": "Lũ quét", "expires_at": None},
        "audio": [{"language": "vi", "url": u, "seconds": s, "sha256": h} for u, s, h in audio],
        "playlist": f"http://127.0.0.1/radio/stations/{station}/emergency.m3u8",
        "issued_at": now.isoformat(timespec="seconds"),
        "valid_until": (now + timedelta(seconds=valid_for)).isoformat(timespec="seconds"),
    }
    if key is not None:
        body["idempotency_key"] = key
    return signer.sign(body)


def stop(signer: Signer, notice: int = 42, station: str = STATION) -> dict:
    now = datetime.now(UTC)
    return signer.sign(
        {
            "schema": "loa.radio.stop",
            "schema_version": 1,
            "station": station,
            "notice": {"id": notice, "version": 1},
            "issued_at": now.isoformat(timespec="seconds"),
            "valid_until": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
        }
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


LOA = str(Path(sys.executable).parent / "loa")
SPEAKER = "hoa-an-cum-1"
PLAYER = "mpv --no-video --really-quiet --ao=null {file}"


class Broker:
    """A Mosquitto of our own (Loa's config, auth and ACL) that the test can stop and start again, with the
    speaker SPEAKER of STATION registered by `create_speaker` (its credentials file: `self.credentials`)."""

    def __init__(self, tmp: Path, cfg: Config | None = None, store: Store | None = None):
        if cfg is None:
            folder = write_config(tmp / "config", feeds=[])
            cfg = load_config(Env(home=tmp / "home", config_dir=folder))
        self.cfg = cfg
        self.store = store or Store.open(cfg.database_url)
        self.conf = mosq.prepare(self.cfg)
        self.account = create_speaker(self.cfg, self.store, SPEAKER, STATION)  # the broker reads it at start
        self.credentials = Path(self.account["credentials_file"])
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> MqttURL:
        return self.cfg.mqtt

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.url.host, self.url.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("Mosquitto did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def publish(url: MqttURL, topic: str, payload: dict, retain: bool = False) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(url.username, url.password)
    client.connect(url.host, url.port)
    client.loop_start()
    try:
        client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1, retain=retain).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


class Acks:
    """Loa's side: a persistent session on the speaker's ack topic (acks queue for it across a broker restart)."""

    def __init__(self, url: MqttURL):
        self.received: list[tuple[float, dict]] = []
        ready = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-acks-{time.monotonic_ns()}", protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(url.username, url.password)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"loa/v1/speakers/{SPEAKER}/ack", qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = lambda c, u, m: self.received.append((time.time(), json.loads(m.payload)))
        self.client.reconnect_delay_set(0.2, 1)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 600
        self.client.connect(url.host, url.port, clean_start=False, properties=props)
        self.client.loop_start()
        assert ready.wait(5), "no SUBACK"

    @property
    def acks(self) -> list[dict]:
        return [a for _, a in self.received]

    def events(self) -> list[tuple[str, str]]:
        return [(a["item"], a["event"]) for a in self.acks]

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.acks):
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Speaker:
    """`loa speaker run` with the credentials file `loa speakers add` wrote (never a password in argv or env)."""

    def __init__(self, broker: Broker, site: str | None, cache: Path, log: Path, player: str = PLAYER):
        """`site` None: the broker and the site are the ones the credentials file names (as on a device)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_SPEAKER_")}
        where = ["--broker", f"mqtt://{broker.url.host}:{broker.url.port}", "--site", site] if site else []
        self.log = log
        self.proc = subprocess.Popen(
            [LOA, "speaker", "run", "--station", STATION, *where, "--credentials", str(broker.credentials),
             "--cache-dir", str(cache), "--player", player, "--json"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(log, "a"),
        )  # fmt: skip
        try:
            assert self.wait_log(lambda e: e["event"] == "key.accepted", 10), self.log.read_text()
            assert self.wait_log(lambda e: e["event"] == "broker.connected", 10), self.log.read_text()
        except BaseException:  # the caller never gets this object to stop: stop the process here
            self.proc.kill()
            self.proc.wait(10)
            raise

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def wait_log(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(e) for e in self.events()):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(15)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A loopback web server for `folder` (Loa's site stand-in); call .shutdown() when done."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def tone(path: Path, seconds: float, freq: int) -> Path:
    """A real MP3: a sine tone made by ffmpeg."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}",
         "-ar", "22050", "-ac", "1", str(path)],
        check=True,
    )  # fmt: skip
    return path
