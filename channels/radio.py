"""Commune loudspeaker radio: audio per notice version and language, station playlists, emergency commands.

dispatch(): makes the notice's audio (the website's file with the stations.yaml defaults, and each
target station's, a human recording beating the synthetic voice), then rebuilds each target station's
next-slot playlist (loa.radio.build: quotas, order, overflow). An emergency also gets each station's
immediate playlist and a signed MQTT command on loa/v1/radio/<station>/play (QoS 1, not retained,
expiring: loa.radio.command); a station's delivery is done when the broker acknowledged it.
withdraw(): rebuilds every future playlist of the stations without the notice (and, for an emergency,
sends a signed stop command). The slot flow (flows/radio_slots.py) builds each slot before it airs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from channels.base import failure
from channels.mqtt import BrokerUnavailable, Publisher
from loa import clock, sendguard
from loa.config import Config
from loa.model import DeliveryResult, DeliveryStatus, NoticeView, Priority
from loa.radio import command
from loa.radio.audio import BROKEN
from loa.radio.build import Builder, BuildReport, in_area
from loa.speech.tts import AudioError
from loa.store import Store

if TYPE_CHECKING:
    from loa.signing import Signer

log = logging.getLogger(__name__)


class Radio:
    name = "radio"
    after: tuple[str, ...] = ()
    broker = True  # emergency commands: under the broker publish limit
    #: an emergency play command sounds an alarm: sent at most once per (notice, version, station); a
    #: dispatch that died mid-send is not repeated (the command's idempotency_key lets speakers dedupe)
    idempotent = False

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.stations = {s.id: s for s in cfg.stations}
        self.builder = Builder(cfg, store)
        self._signer: Signer | None = None

    @property
    def signer(self):
        from loa.signing import Signer

        if self._signer is None:  # only emergencies sign: no key file for a plain dispatch
            self._signer = Signer.load_or_create(self.cfg.layout.signing_key)
        return self._signer

    def targets(self, notice: NoticeView) -> list[str]:
        return [s.id for s in self.cfg.stations if in_area(s, notice)]

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        known = [t for t in targets if t in self.stations]
        gone = failure(
            self.name,
            [t for t in targets if t not in self.stations],
            "station no longer in stations.yaml; nothing to deliver",
            transient=False,
        )
        now = clock.now()
        languages = tuple(dict.fromkeys(lang for s in self.cfg.stations for lang in s.languages))
        website = replace(self.cfg.radio.defaults, languages=languages)
        try:
            made = self.builder.maker.tracks([(website, notice)] + [(self.stations[t], notice) for t in known])
        except (AudioError, OSError) as exc:
            return gone + failure(
                self.name,
                known,
                f"audio for notice {notice.id} v{notice.version}: {exc}",
                transient=isinstance(exc, OSError) and not isinstance(exc, AudioError),
            )
        broken = {
            sid: "; ".join(
                f"{lang}: {why}"
                for lang, why in made[(sid, notice.id, notice.version)][1].items()
                if why.startswith(BROKEN)
            )
            for sid in [website.id, *known]
        }
        # a station fails on its own languages only: a damaged Tày recording does not stop Vietnamese elsewhere
        gone += [DeliveryResult(self.name, t, False, broken[t], transient=False) for t in known if broken[t]]
        known = [t for t in known if not broken[t]]
        emergency = notice.priority == Priority.EMERGENCY
        try:
            reports = (self.builder.emergency(known, now) if emergency else []) + self.builder.next(known, now)
            if stale := self._stale_stations(notice, targets):
                self.builder.future(stale, now)  # an older version aired there; this one does not
        except (AudioError, OSError, ValueError) as exc:
            return gone + failure(self.name, known, f"playlists: {exc}", transient=isinstance(exc, OSError))
        site = f"; website audio not made: {broken[website.id]}" if broken[website.id] else ""
        results = {t: DeliveryResult(self.name, t, True, self._detail(t, notice, reports, made) + site) for t in known}
        if emergency:
            results.update(self._command(notice, known, made, now, results))
        return gone + [results[t] for t in known]

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        known = [t for t in targets if t in self.stations]
        results = {
            t: DeliveryResult(self.name, t, True, f"notice {notice.id} removed (station no longer configured)")
            for t in targets
            if t not in self.stations
        }
        now = clock.now()
        try:
            self.builder.future(known, now)
        except (AudioError, OSError, ValueError) as exc:
            return [
                results.get(t)
                or DeliveryResult(self.name, t, False, f"playlists for station {t}: {exc}", isinstance(exc, OSError))
                for t in targets
            ]
        for t in known:
            results[t] = DeliveryResult(self.name, t, True, f"notice {notice.id} removed from every future playlist")
        if notice.priority == Priority.EMERGENCY and known:
            results.update(self._stop(notice, known, now))
        return [results[t] for t in targets]

    def describe(self) -> dict:
        return {
            "channel": self.name,
            "stations": sorted(self.stations),
            "root": str(self.cfg.layout.radio),
            "command_topic": command.play_topic(self.cfg.mqtt_topic_prefix, "<station>"),
        }

    # --- internals ----------------------------------------------------------------------------

    def _stale_stations(self, notice: NoticeView, targets: list[str]) -> list[str]:
        """Stations an older version was delivered to that this version no longer targets."""
        if notice.version == 1:
            return []
        older = {
            d.target
            for d in self.store.deliveries(notice.id, channel=self.name, kind="publish")
            if d.version < notice.version and d.status == DeliveryStatus.DELIVERED.value
        }
        return sorted(t for t in older - set(self.targets(notice)) - set(targets) if t in self.stations)

    def _detail(self, station: str, notice: NoticeView, reports: list[BuildReport], made: dict) -> str:
        tracks, missing = made.get((station, notice.id, notice.version), ([], {}))
        slot = next((r for r in reports if r.station == station and r.kind == "slot"), None)
        where = f"stations/{station}.m3u8"
        if slot is not None:
            keys = [(e["notice_id"], e["version"]) for e in slot.scheduled]
            if (notice.id, notice.version) in keys:
                where += f" (slot {slot.slot}, #{keys.index((notice.id, notice.version)) + 1})"
            elif any((e["notice_id"], e["version"]) == (notice.id, notice.version) for e in slot.overflow):
                where += f" (slot {slot.slot} is full: carried to the next slot)"
        plays = f"plays {', '.join(t.file for t in tracks)}" if tracks else "no audio in the station's languages"
        gaps = f"; not in {', '.join(missing)}: no human recording yet" if missing else ""
        return f"{where}: {plays}{gaps}"

    def _command(
        self, notice: NoticeView, stations: list[str], made: dict, now: datetime, results: dict[str, DeliveryResult]
    ) -> dict[str, DeliveryResult]:
        out = {}
        try:
            with Publisher(self.cfg.mqtt, client_id=f"loa-radio-{notice.id}-{notice.version}") as pub:
                for sid in stations:
                    tracks = made.get((sid, notice.id, notice.version), ([], {}))[0]
                    if not tracks:
                        continue  # nothing it can play: its playlist report says why
                    # right before the alarm: the notice still public (a withdrawal wins), the start recorded
                    if not sendguard.allowed(self.name, [sid]):
                        out[sid] = DeliveryResult(
                            self.name,
                            sid,
                            False,
                            f"emergency command not sent: notice {notice.id} v{notice.version} was withdrawn or "
                            "replaced during the dispatch",
                            transient=False,
                        )
                        continue
                    topic = command.play_topic(self.cfg.mqtt_topic_prefix, sid)
                    payload = self.signer.sign(
                        command.play_payload(
                            site_url=self.cfg.site_url,
                            station=sid,
                            notice=notice,
                            tracks=tracks,
                            radio_root=self.cfg.layout.radio,
                            now=now,
                        )
                    )
                    pub.publish(
                        topic,
                        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                        retain=False,
                        expiry=command.ttl(notice, now),
                        user={"schema": f"{command.PLAY_SCHEMA}/{command.SCHEMA_VERSION}"},
                    )
                    sendguard.sent(self.name)
                    # an alarm went out: the one record of when, to which station, in the dispatch's log
                    log.info("emergency play command for notice %s v%s sent to %s", notice.id, notice.version, sid)
                    out[sid] = DeliveryResult(
                        self.name, sid, True, f"{results[sid].detail}; emergency command on {topic}"
                    )
        except BrokerUnavailable as exc:
            for sid in stations:
                if sid not in out:
                    out[sid] = DeliveryResult(
                        self.name, sid, False, f"emergency playlist built, command not sent: {exc}", transient=True
                    )
        return out

    def _stop(self, notice: NoticeView, stations: list[str], now: datetime) -> dict[str, DeliveryResult]:
        out = {}
        try:
            with Publisher(self.cfg.mqtt, client_id=f"loa-radio-stop-{notice.id}-{notice.version}") as pub:
                for sid in stations:
                    topic = command.stop_topic(self.cfg.mqtt_topic_prefix, sid)
                    payload = self.signer.sign(command.stop_payload(station=sid, notice=notice, now=now))
                    pub.publish(
                        topic,
                        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                        retain=False,
                        expiry=command.COMMAND_TTL_SECONDS,
                        user={"schema": f"{command.STOP_SCHEMA}/{command.SCHEMA_VERSION}"},
                    )
                    log.info("stop command for notice %s v%s sent to %s", notice.id, notice.version, sid)
                    out[sid] = DeliveryResult(
                        self.name,
                        sid,
                        True,
                        f"notice {notice.id} removed from every future playlist; stop sent on {topic}",
                    )
        except BrokerUnavailable as exc:
            for sid in stations:
                if sid not in out:
                    out[sid] = DeliveryResult(self.name, sid, False, f"playlists rebuilt, stop command not sent: {exc}")
        return out
