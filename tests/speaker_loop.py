"""Loa's real pieces together on loopback, for tests/integration/test_speaker_loop.py and
bench/bench_speaker_loop.py: Loa's Mosquitto with the ACL Loa generates, the speaker account made by
`create_speaker` (what `loa speakers add` runs), Loa's web server (create_app under uvicorn) serving /radio/
and the key, Loa's listener (BoardListener) writing status and acks to the store, notices approved and
dispatched through `dispatch_notice` (the dispatch run without Prefect: the radio channel builds the slot and
Loa's own publisher signs and retains the station schedule), and `loa speaker run` as a process reading the
credentials file (broker and site from it too, as on a device).

Slot times are HH:MM (stations.yaml), so a slot "a few seconds ahead" is the next minute at least `lead`
seconds away: `slots()` rewrites the station's slots and reloads the config before a dispatch.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from channels.board_listener import BoardListener
from channels.radio import Radio
from loa.config import Config, Env, load_config
from loa.model import Priority
from loa.publishing.dispatch import DispatchReport, dispatch_notice, withdraw_notice
from loa.signing import Signer
from loa.store import Store
from loa.store.speakers import acks_of
from tests.conftest import write_config
from tests.integration.test_board_relay import WebServer
from tests.speaker_helpers import LOA, SPEAKER, STATION, Broker, Speaker
from tests.unit.test_store import RELEVANT, entry

PLAYER = "mpv --ao=null --really-quiet {file}"
APPROVER = "Nông Thị Hoa"


class Loop:
    """Everything on loopback; `close()` stops what it started (speaker, listener, web server, broker)."""

    def __init__(self, tmp: Path, *, airings: int = 3):
        self.tmp, self.airings = tmp, airings
        self.folder = write_config(tmp / "config", feeds=[])
        self.env = Env(home=tmp / "home", config_dir=self.folder)
        # a placeholder slot about 22 h away until a test sets the slots it wants
        later = (datetime.now(UTC) - timedelta(hours=2)).astimezone(load_config(self.env).tz)
        self.cfg = self.stations([f"{later:%H:%M}"])
        self.store = Store.open(self.cfg.database_url)
        self.broker = Broker(tmp, self.cfg, self.store)
        self.changes: list = []
        try:
            # the key where the site build publishes it (loa.signing.publish_key): the speaker's first source
            key = self.cfg.layout.site / "keys" / "notices.json"
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_text(json.dumps(Signer.load_or_create(self.cfg.layout.signing_key).public_key_document()))
            self.web = WebServer(self.cfg, port=self.cfg.ports.web).__enter__()
            self.listener = BoardListener(self.cfg, self.store, on_speaker=self.changes.append).start().wait_ready()
            self.speaker = Speaker(self.broker, None, tmp / "cache", tmp / "speaker.log", player=PLAYER)
        except BaseException:
            self.close()
            raise

    def stations(self, times: list[str]) -> Config:
        """Station STATION airs Vietnamese only at `times` (each notice in each of them); reload the config."""
        path = self.folder / "stations.yaml"
        data = yaml.safe_load(path.read_text())
        for st in data["stations"]:
            if st["id"] == STATION:
                st["languages"] = ["vi"]
                st["slots"] = [{"time": t, "max_minutes": 1} for t in times]
                st["airings"], st["over_days"] = self.airings, 1
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        self.cfg = load_config(self.env)
        return self.cfg

    def slots(self, n: int, lead: float = 25.0) -> list[datetime]:
        """Make the station's slots the next `n` minutes, the first at least `lead` seconds from now."""
        first = datetime.now(UTC) + timedelta(seconds=lead)
        first = datetime.fromtimestamp(math.ceil(first.timestamp() / 60) * 60, UTC)
        starts = [first + timedelta(minutes=i) for i in range(n)]
        self.stations([f"{s.astimezone(self.cfg.tz):%H:%M}" for s in starts])
        return starts

    def notice(self, title: str, text: str, *, priority: Priority = Priority.NORMAL, approve: bool = True) -> int:
        change = self.store.record_entry(
            "http://127.0.0.1/f.xml", entry(title=title, ident=f"urn:{title}:{time.time_ns()}"), RELEVANT
        )
        n = self.store.draft_notice(
            change.document_version_id, areas=[f"cao-bang/{STATION}"], variants={"radio": text}, priority=priority
        )
        if approve:
            self.approve(n.id)
        return n.id

    def approve(self, notice_id: int) -> None:
        self.store.transition(notice_id, "approve", APPROVER)

    def dispatch(self, notice_id: int) -> DispatchReport:
        """What the dispatch run does (loa.publishing.dispatch, without Prefect) with the radio channel."""
        return dispatch_notice(self.store, {"radio": Radio(self.cfg, self.store)}, notice_id)

    def withdraw(self, notice_id: int) -> DispatchReport:
        self.store.transition(notice_id, "withdraw", APPROVER, reason="đã hết nguy cơ")
        return withdraw_notice(self.store, {"radio": Radio(self.cfg, self.store)}, notice_id)

    def acks(self) -> list[dict]:
        """What Loa's listener stored, oldest first."""
        return list(reversed(acks_of(self.store, SPEAKER, limit=1000)))

    def wait_acks(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.acks()):
                return True
            time.sleep(0.05)
        return False

    def loa(self, *args: str) -> subprocess.CompletedProcess:
        """The `loa` command on this LOA_HOME (no Prefect server: nothing to tell)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PREFECT_API"))}
        env |= {
            "LOA_HOME": str(self.cfg.home),
            "LOA_CONFIG_DIR": str(self.folder),
            "LOA_DATABASE_URL": self.cfg.database_url,
            "COLUMNS": "80",
        }
        return subprocess.run([LOA, *args], env=env, capture_output=True, text=True, timeout=120)

    def history(self, notice_id: int) -> list[dict]:
        r = self.loa("radio", "history", str(notice_id), "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def close(self) -> None:
        try:
            speaker = getattr(self, "speaker", None)  # what __init__ got to start
            if speaker and speaker.proc.poll() is None:
                speaker.stop()
        finally:
            if listener := getattr(self, "listener", None):
                listener.stop()
            if web := getattr(self, "web", None):
                web.__exit__(None, None, None)
            self.broker.stop()

    def __enter__(self) -> Loop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
