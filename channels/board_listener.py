"""Loa's board listener: records what boards and loudspeakers report (status and acks) while `loa run` runs.

It subscribes with the read-only loa-monitor account to loa/v1/boards/+/status
(retained; the broker publishes a board's last will "offline" when it drops)
and loa/v1/boards/+/ack. Messages are queued by paho's network thread and
written to the store in batches by a writer thread, so a burst of acks from a
thousand boards costs a few transactions, not a thousand. A state change
(online → offline, …) is handed to `on_change`, which the face turns into a
loa.board.offline event.

Speakers (docs/speakers.md) report on loa/v1/speakers/+/status (retained, last will "offline") and
loa/v1/speakers/+/ack; a malformed report, one from an unknown or disabled speaker, or an ack for
another station than the speaker's is refused and logged. A speaker going offline and a failed item
are handed to `on_speaker` (loa.speaker.offline / loa.speaker.failed events).

The session is persistent (clean_start off, one-day expiry) and a message is
acknowledged to the broker only once it is in the store: acks that boards send
while Loa is down or restarting wait at the broker instead of being lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from channels.mqtt import make_client
from loa import clock
from loa import speaker_protocol as speaker
from loa.board_protocol import Report, ack_topic, parse_report, status_topic
from loa.config import Config
from loa.store import Store
from loa.store import speakers as speaker_store
from loa.store.boards import Change, record_reports

log = logging.getLogger("loa.boards")
SESSION_EXPIRY = 24 * 3600


class BoardListener:
    def __init__(
        self,
        cfg: Config,
        store: Store,
        *,
        on_change: Callable[[Change], None] | None = None,
        on_speaker: Callable[[speaker_store.Change], None] | None = None,
        client_id: str = "loa-board-listener",
        batch_size: int = 500,
    ):
        self.cfg, self.store, self.on_change, self.on_speaker = cfg, store, on_change, on_speaker
        self.refused_reports: list[str] = []  # why speaker reports were refused (the latest 100)
        self.batch_size = batch_size
        self.prefix = cfg.mqtt_topic_prefix
        self.inbox: queue.Queue[tuple[str, bytes, datetime, int, int]] = queue.Queue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.refused: str | None = None
        self.received = 0  # messages taken from the broker
        self.handled = 0  # of those, written to the store or dropped as malformed
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="board-listener-writer", daemon=True)
        self.client = make_client(cfg.mqtt_monitor, client_id, manual_ack=True)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message

    # --- MQTT side (paho's network thread) --------------------------------------------------

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            self.refused = str(reason_code)
            log.error(
                "board listener: the broker %s refused the monitor account: %s",
                self.cfg.mqtt_monitor.masked(),
                reason_code,
            )
            return
        self.refused = None
        self.connected.set()
        client.subscribe(
            [
                (status_topic(self.prefix, "+"), 1),
                (ack_topic(self.prefix, "+"), 1),
                (speaker.status_topic(self.prefix, "+"), 1),
                (speaker.ack_topic(self.prefix, "+"), 1),
            ]
        )

    def _on_message(self, _client, _userdata, msg) -> None:
        self.received += 1
        self.inbox.put((msg.topic, msg.payload, clock.now(), msg.mid, msg.qos))

    # --- store side (the writer thread) -----------------------------------------------------

    def _take_batch(self) -> list[tuple[str, bytes, datetime, int, int]]:
        try:
            batch = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write_loop(self) -> None:
        while not (self._stop.is_set() and self.inbox.empty()):
            batch = self._take_batch()
            speakers = [m for m in batch if m[0].startswith(f"{self.prefix}/speakers/")]
            if speakers and not self._speakers(speakers):
                return
            reports: list[Report] = [
                r for r in (parse_report(self.prefix, t, p, at) for t, p, at, _, _ in batch) if r
            ]  # a speaker topic parses as no board report
            if not reports:
                self._done(batch)
                continue
            while True:
                try:
                    changes = record_reports(self.store, reports)
                    break
                except Exception:  # the store is down: keep the batch and try again
                    log.exception("board listener: could not record %d board reports; retrying", len(reports))
                    if self._stop.wait(2):
                        return
            for change in changes:
                if self.on_change is not None:
                    try:
                        self.on_change(change)
                    except Exception:  # an unreachable Prefect server must not stop the recording
                        log.exception("board listener: reporting %s %s failed", change.board.id, change.new)
            self._done(batch)

    def _refuse(self, why: str) -> None:
        log.warning("speaker report refused: %s", why)
        self.refused_reports = [*self.refused_reports[-99:], why]

    def _speakers(self, batch) -> bool:
        """Record the speaker reports of a batch (False: stopped while the store was down)."""
        reports = []
        for topic, payload, at, _, _ in batch:
            if not payload:
                continue  # a cleared retained status
            try:
                reports.append(speaker.parse_report(self.prefix, topic, payload, at))
            except speaker.Refused as exc:
                self._refuse(f"{topic}: {exc}")
        if not reports:
            return True
        while True:
            try:
                changes, refused = speaker_store.record_reports(self.store, reports)
                break
            except Exception:  # the store is down: keep the batch and try again
                log.exception("board listener: could not record %d speaker reports; retrying", len(reports))
                if self._stop.wait(2):
                    return False
        for why in refused:
            self._refuse(why)
        for change in changes:
            if self.on_speaker is not None:
                try:
                    self.on_speaker(change)
                except Exception:  # an unreachable Prefect server must not stop the recording
                    log.exception("board listener: reporting speaker %s %s failed", change.speaker.id, change.new)
        return True

    def _done(self, batch) -> None:
        for *_, mid, qos in batch:
            if qos:
                self.client.ack(mid, qos)  # now the broker may forget it: it is in the store
        self.handled += len(batch)

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> BoardListener:
        """Connect in the background (paho retries until the broker is up) and start the writer."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        url = self.cfg.mqtt_monitor
        self._writer.start()
        self.client.connect_async(url.host, url.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        return self

    def wait_ready(self, timeout: float = 10.0) -> BoardListener:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.subscribed.is_set():
            if self.refused:
                raise RuntimeError(f"the broker refused the board listener: {self.refused}")
            time.sleep(0.02)
        if not self.subscribed.is_set():
            raise RuntimeError(f"the board listener did not subscribe within {timeout:.0f} s")
        return self

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every message received so far is in the store (tests, benchmark)."""
        target, deadline = self.received, time.monotonic() + timeout
        while self.handled < target and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.handled >= target

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._stop.set()
        self._writer.join(10)
