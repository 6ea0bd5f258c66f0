"""The speaker's loop: messages in, decisions (loa.speaker.plan), the player, acks and status out.

One thread owns all state: the MQTT link only puts what arrives into `inbox`, and a prefetch thread
only fills the cache. So an emergency, a stop or a withdrawal is acted on within one loop turn
(50 ms while playing), and the slot's next item starts at its time from the cache even when the
network is down.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from loa import clock
from loa.errors import LoaError
from loa.speaker import plan
from loa.speaker.cache import SOFTWARE, Cache, FetchError, skew_ms
from loa.speaker.log import EventLog
from loa.speaker.player import Player, Playing
from loa.speaker.protocol import (
    Audio,
    Item,
    Key,
    Play,
    Refused,
    Schedule,
    Slot,
    ack_payload,
    parse_key,
    parse_play,
    parse_schedule,
    parse_stop,
    status_payload,
)
from loa.speaker.state import Outbox, StateFile

log = logging.getLogger(__name__)


KEY_REFRESH_S = 3600.0  # the site's key document is fetched again this often


def utcnow() -> datetime:
    return clock.now()


class Link(Protocol):
    """The broker connection (loa/app/speaker_mqtt.py). It reports into the runner's inbox:
    ("connected",), ("disconnected", why), ("unreachable", where), ("message", topic, payload),
    ("puback", mid)."""

    def publish(self, topic: str, payload: dict, retain: bool) -> int | None: ...

    def close(self, last_status: dict) -> None: ...


@dataclass
class Options:
    speaker: str
    station: str
    prefix: str = "loa/v1"
    site: str | None = None
    pin: str | None = None
    grace: timedelta = plan.GRACE
    heartbeat: float = 300.0  # seconds between status refreshes (retained, with clock skew and cache)
    prefetch_every: float = 30.0
    just_in_time_timeout: float = 5.0  # a download at slot time must not hold the slot up long
    emergency_fetch_timeout: float = 10.0  # the loop waits for it: a stop must not wait long
    resend_after: float = 60.0  # an ack without PUBACK for this long while connected is sent again


@dataclass
class Current:
    slot: Slot | None  # None: an emergency
    item: Item
    playing: Playing
    command: Play | None = None


@dataclass
class Emergency:
    play: Play
    left: list[Audio] = field(default_factory=list)


class Runner:
    def __init__(
        self,
        opts: Options,
        cache: Cache,
        player: Player,
        log: EventLog,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.opts, self.cache, self.player, self.log, self.clock = opts, cache, player, log, clock
        self.inbox: queue.Queue[tuple] = queue.Queue()
        self.link: Link | None = None
        self.state = StateFile(cache.root.parent)
        self.outbox = Outbox(cache.root.parent)
        self.recent = plan.RecentKeys(self.state.commands)
        self.key: Key | None = None
        self.schedule: Schedule | None = None
        self.pending_schedule: dict | None = None
        self.pending_commands: list[tuple[str, dict]] = []
        self.current: Current | None = None
        self.emergencies: list[Emergency] = []
        self.connected = False
        self.in_flight: dict[int, tuple[int, float]] = {}  # mid -> (outbox seq, sent at)
        self.status_state: str | None = None
        self.status_at = 0.0
        self.status_skew: int | None = None  # the clock skew last reported
        self.stopping = threading.Event()
        self.prefetch_wake = threading.Event()
        self.fetch_failures: dict[str, tuple[float, float]] = {}  # sha -> (next try, backoff)
        self._restore()

    # --- topics ---------------------------------------------------------------------------

    def topic(self, leaf: str) -> str:
        if leaf in ("status", "ack"):
            return f"{self.opts.prefix}/speakers/{self.opts.speaker}/{leaf}"
        if leaf == "key":
            return f"{self.opts.prefix}/keys/notices"
        return f"{self.opts.prefix}/radio/{self.opts.station}/{leaf}"

    def subscriptions(self) -> list[str]:
        return [self.topic(t) for t in ("key", "schedule", "play", "stop")]

    # --- start, loop, stop ----------------------------------------------------------------

    def _restore(self) -> None:
        """The last verified key and schedule from disk: a restart without network still plays."""
        if self.state.key:
            try:
                self.key = parse_key(self.state.key, self.opts.pin)
            except Refused:
                self.key = None
        if self.key and self.state.schedule:
            try:
                self.schedule = parse_schedule(self.state.schedule, self.key, self.opts.station)
                self.log.event("schedule.restored", slots=len(self.schedule.slots))
            except Refused as exc:
                self.log.event("schedule.refused", source="state file", reason=str(exc))

    def fetch_site_key(self) -> None:
        """The key document from <site>/keys/notices.json (also a clock reading from its Date header)."""
        if not self.opts.site:
            return
        url = f"{self.opts.site.rstrip('/')}/keys/notices.json"
        sent = time.time()
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers={"User-Agent": SOFTWARE}), timeout=10
            ) as resp:
                measured = skew_ms(resp.headers.get("Date"), sent, time.time())
                doc = json.loads(resp.read())
        except (OSError, ValueError) as exc:
            self.log.event("key.unreachable", url=url, reason=str(exc))
            return
        if measured is not None:
            self.cache.clock_skew_ms = measured
        self.inbox.put(("message", self.topic("key"), json.dumps(doc).encode()))

    def stop(self) -> None:
        self.stopping.set()
        self.inbox.put(("wake",))

    def run(self) -> None:
        threading.Thread(target=self._prefetch_loop, name="speaker-prefetch", daemon=True).start()
        self.log.event("speaker.start", speaker=self.opts.speaker, station=self.opts.station)
        wait = 0.0
        while not self.stopping.is_set():
            self._drain(wait)
            if self.stopping.is_set():
                break
            wait = self._step()
            self._housekeeping()
        self._shutdown()

    def _drain(self, timeout: float) -> None:
        try:
            event = self.inbox.get(timeout=max(0.0, timeout)) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            self._handle(event)
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                return

    def _shutdown(self) -> None:
        if self.current:
            self._end_current("interrupted", "speaker shut down")
        deadline = time.monotonic() + 3
        self._flush()
        while self.in_flight and self.connected and time.monotonic() < deadline:
            self._drain(0.05)
        self.state.save()
        self.log.event("speaker.stop", unsent_acks=len(self.outbox.items))
        if self.link:
            self.link.close(self.status_of("offline"))

    # --- messages -------------------------------------------------------------------------

    def _handle(self, event: tuple) -> None:
        kind = event[0]
        if kind == "connected":
            self.connected = True
            self.log.event("broker.connected")
            self.status_state = None  # publish now
            # acks in flight stay so: paho resends them on this connection (same mid); resend_after is the net
        elif kind == "disconnected":
            if self.connected:
                self.log.event("broker.disconnected", reason=event[1] if len(event) > 1 else None)
            self.connected = False
        elif kind == "unreachable":
            self.log.event("broker.unreachable", broker=event[1], retry="1 s doubling to 60 s")
        elif kind == "puback":
            sent = self.in_flight.pop(event[1], None)
            if sent:
                self.outbox.remove(sent[0])
        elif kind == "message":
            self._message(event[1], event[2])

    def _message(self, topic: str, raw: bytes) -> None:
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self.log.event("refused", topic=topic, reason="not JSON")
            return
        if payload is None:
            return
        try:
            if topic == self.topic("key"):
                self._key(payload)
            elif topic == self.topic("schedule"):
                if self.key is None:
                    self.pending_schedule = payload
                else:
                    self._schedule(payload)
            elif topic in (self.topic("play"), self.topic("stop")):
                if self.key is None:
                    self.pending_commands = [*self.pending_commands[-19:], (topic, payload)]
                elif topic == self.topic("play"):
                    self._play(payload)
                else:
                    self._stop(payload)
        except Refused as exc:
            self.log.event("refused", topic=topic, reason=str(exc))

    def _key(self, doc: dict) -> None:
        key = parse_key(doc, self.opts.pin)
        if key != self.key:
            self.key = key
            self.state.key = doc
            self.state.save()
            self.log.event("key.accepted", key_id=key.key_id)
        if self.pending_schedule is not None:
            pending, self.pending_schedule = self.pending_schedule, None
            self._schedule(pending)
        pending_cmds, self.pending_commands = self.pending_commands, []
        for topic, payload in pending_cmds:
            self._message(topic, json.dumps(payload).encode())

    def _schedule(self, payload: dict) -> None:
        assert self.key is not None
        schedule = parse_schedule(payload, self.key, self.opts.station)
        if not plan.is_newer(self.schedule, schedule):
            if self.schedule is None or schedule.generated_at < self.schedule.generated_at:
                self.log.event("schedule.ignored", generated_at=schedule.generated_at.isoformat(), reason="older")
            return
        self.schedule = schedule
        self.state.schedule = payload
        self.state.done = plan.prune(self.state.done, schedule)
        self.state.save()
        upcoming = [s for s in schedule.slots if s.end + self.opts.grace >= self.clock()]
        self.log.event(
            "schedule.accepted",
            generated_at=schedule.generated_at.isoformat(),
            slots=len(schedule.slots),
            next=upcoming[0].start.isoformat() if upcoming else None,
        )
        self.prefetch_wake.set()

    def _play(self, payload: dict) -> None:
        assert self.key is not None
        cmd = parse_play(payload, self.key, self.opts.station, self.clock())
        if self.recent.seen(cmd.key) or any(e.play.key == cmd.key for e in self.emergencies):
            self.log.event("play.duplicate", command=cmd.key, notice=cmd.notice[0])
            return
        self.recent.add(cmd.key)
        self.state.commands = self.recent.keys
        self.state.save()
        self.log.event("play.accepted", command=cmd.key, notice=cmd.notice[0], files=len(cmd.audio))
        self.emergencies.append(Emergency(cmd, list(cmd.audio)))
        if self.current and self.current.slot is not None:
            self._end_current("interrupted", f"emergency notice {cmd.notice[0]} v{cmd.notice[1]}")

    def _stop(self, payload: dict) -> None:
        assert self.key is not None
        cmd = parse_stop(payload, self.key, self.opts.station, self.clock())
        hit = [e for e in self.emergencies if e.play.notice[0] == cmd.notice[0]]
        self.log.event("stop.accepted", notice=cmd.notice[0], active=bool(hit))
        if self.current and self.current.command and self.current.command.notice[0] == cmd.notice[0]:
            self._end_current("interrupted", "stopped by command")
        for e in hit:
            for audio in e.left:
                self._ack(None, e.play.as_item(audio), "skipped", "stopped by command", e.play)
            e.left.clear()
        self.emergencies = [e for e in self.emergencies if e not in hit]

    # --- playing ----------------------------------------------------------------------------

    def _step(self) -> float:
        """Act once; return how long the loop may wait for a message before looking again."""
        now = self.clock()
        if self.current:
            rc = self.current.playing.poll()
            if rc is not None:
                if rc == 0:
                    self._end_current("finished", None)
                else:
                    self._end_current("failed", self.current.playing.problem())
                return 0.0
            if self.current.slot and not plan.listed(self.schedule, self.current.slot.id, self.current.item.id):
                self._end_current("interrupted", "no longer in the schedule (withdrawn)")
                return 0.0
            return 0.05
        if self.emergencies:
            self._next_emergency_file()
            return 0.0
        action = plan.next_action(self.schedule, now, self.state.done, self.opts.grace)
        if isinstance(action, plan.PlayItem):
            self._start_item(action.slot, action.item)
            return 0.0
        if isinstance(action, plan.SkipItems):
            for item in action.items:
                self._ack(action.slot, item, "skipped", action.reason)
                self._done(action.slot, item)
            return 0.0
        self._set_status("idle" if self.status_state in ("playing", "idle") else self.status_state or "online")
        if action.until is None:
            return 1.0
        return min(1.0, max(0.0, (action.until - now).total_seconds()))

    def _next_emergency_file(self) -> None:
        e = self.emergencies[0]
        if not e.left:
            self.emergencies.pop(0)
            self.log.event("emergency.end", command=e.play.key, notice=e.play.notice[0])
            return
        audio = e.left.pop(0)
        item = e.play.as_item(audio)
        try:
            path = self.cache.fetch(audio.url, audio.sha256, self.opts.emergency_fetch_timeout)
        except FetchError as exc:
            self._ack(None, item, "failed", str(exc), e.play)
            return
        self._start(None, item, path, e.play)

    def _start_item(self, slot: Slot, item: Item) -> None:
        path = self.cache.get(item.sha256)
        if path is None:
            try:
                path = self._fetch_now(item)
            except FetchError as exc:
                self._ack(slot, item, "failed", str(exc))
                self._done(slot, item)
                return
        self._start(slot, item, path, None)

    def _fetch_now(self, item: Item) -> Path:
        return self.cache.fetch(item.url, item.sha256, self.opts.just_in_time_timeout)

    def _start(self, slot: Slot | None, item: Item, path: Path, command: Play | None) -> None:
        try:
            playing = self.player.start(path)
        except (OSError, LoaError) as exc:
            self._ack(slot, item, "failed", f"cannot start the player: {exc}", command)
            if slot:
                self._done(slot, item)
            return
        self.current = Current(slot, item, playing, command)
        self._ack(slot, item, "started", None, command)
        self._set_status("playing")

    def _end_current(self, event: str, detail: str | None) -> None:
        cur = self.current
        assert cur is not None
        cur.playing.stop()
        self.current = None
        self._ack(cur.slot, cur.item, event, detail, cur.command)
        if cur.slot:
            self._done(cur.slot, cur.item)

    def _done(self, slot: Slot, item: Item) -> None:
        self.state.done.setdefault(slot.id, set()).add(item.id)
        self.state.save()

    # --- reporting ----------------------------------------------------------------------------

    def _ack(self, slot: Slot | None, item: Item, event: str, detail: str | None, command: Play | None = None) -> None:
        payload = ack_payload(
            speaker=self.opts.speaker,
            station=self.opts.station,
            slot=slot.id if slot else None,
            item=item.id,
            notice=item.notice,
            event=event,
            at=self.clock(),
            detail=detail,
            command=command.key if command else None,
        )
        self.log.event(f"item.{event}", slot=payload["slot"], item=item.id, command=payload["command"], detail=detail)
        self.outbox.add(payload)
        self._flush()

    def _flush(self) -> None:
        if not self.connected or self.link is None:
            return
        flying = {seq for seq, _ in self.in_flight.values()}
        for entry in self.outbox.items:
            if entry["seq"] in flying:
                continue
            mid = self.link.publish(self.topic("ack"), entry["payload"], False)
            if mid is None:
                return
            self.in_flight[mid] = (entry["seq"], time.monotonic())

    def status_of(self, state: str) -> dict:
        return status_payload(
            speaker=self.opts.speaker,
            station=self.opts.station,
            state=state,
            at=self.clock(),
            clock_skew_ms=self.cache.clock_skew_ms,
            cache=self.cache.stats(),
            software=SOFTWARE,
        )

    def _set_status(self, state: str, force: bool = False) -> None:
        if not force and state == self.status_state and time.monotonic() - self.status_at < self.opts.heartbeat:
            return
        if not self.connected or self.link is None:
            return
        if self.link.publish(self.topic("status"), self.status_of(state), True) is not None:
            if state != self.status_state:
                self.log.event("status", state=state)
            self.status_state, self.status_at = state, time.monotonic()
            self.status_skew = self.cache.clock_skew_ms

    def _housekeeping(self) -> None:
        if not self.connected:
            return
        now = time.monotonic()
        stale = [mid for mid, (_, at) in self.in_flight.items() if now - at > self.opts.resend_after]
        for mid in stale:
            self.in_flight.pop(mid)
        if stale or len(self.in_flight) < len(self.outbox.items):
            self._flush()
        if self.status_state is None:
            self._set_status("playing" if self.current else "online")
        elif now - self.status_at >= self.opts.heartbeat or (
            self.status_skew is None and self.cache.clock_skew_ms is not None
        ):  # also as soon as the first clock reading exists
            self._set_status(self.status_state, force=True)

    # --- prefetch (its own thread: downloads never hold up the player) ------------------------

    def _prefetch_loop(self) -> None:
        # None, not 0.0: the monotonic clock counts from boot, so "0.0" read as "fetched at boot" and a
        # speaker started within an hour of booting (as a device does) never fetched the key from the site
        last_key_fetch: float | None = None
        while not self.stopping.is_set():
            if self.opts.site and (last_key_fetch is None or time.monotonic() - last_key_fetch > KEY_REFRESH_S):
                last_key_fetch = time.monotonic()
                self.fetch_site_key()
            self.prefetch_once()
            self.prefetch_wake.wait(self.opts.prefetch_every)
            self.prefetch_wake.clear()

    def prefetch_once(self) -> None:
        schedule, now = self.schedule, self.clock()
        for item in plan.to_prefetch(schedule, now):
            if self.stopping.is_set():
                return
            if self.cache.get(item.sha256):
                continue
            next_try, backoff = self.fetch_failures.get(item.sha256, (0.0, 0.0))
            if time.monotonic() < next_try:
                continue
            try:
                self.cache.fetch(item.url, item.sha256)
                self.fetch_failures.pop(item.sha256, None)
                self.log.event("prefetch.ok", item=item.id, sha256=item.sha256[:16])
            except FetchError as exc:
                backoff = min(600.0, max(10.0, backoff * 2))
                self.fetch_failures[item.sha256] = (time.monotonic() + backoff, backoff)
                self.log.event("prefetch.failed", item=item.id, reason=str(exc), retry_in=int(backoff))
        gone = self.cache.evict(plan.needed_hashes(schedule, now))
        if gone:
            self.log.event("cache.evicted", files=len(gone))
        known = plan.needed_hashes(schedule, now)
        for sha in [s for s in self.fetch_failures if s not in known]:
            self.fetch_failures.pop(sha, None)
