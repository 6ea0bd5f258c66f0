"""Digital public notice boards over MQTT v5 (docs/boards.md).

Each approved notice is one retained QoS-1 message per target area on
loa/v1/areas/<area path>/notices/<notice id>; a newer version replaces it on
the same topic; an empty retained payload withdraws it. Payloads follow the
loa.notice schema (loa.board_protocol) and are signed (loa.signing) so a board
can reject what Loa did not send.
"""

from __future__ import annotations

import json
import logging
import time

from channels.base import failed, failure
from channels.mqtt import BrokerUnavailable, Publisher
from loa import clock, sendguard
from loa.board_protocol import CONTENT_TYPE, NOTICE_SCHEMA, SCHEMA_VERSION, notice_payload
from loa.board_protocol import key_topic as _key_topic
from loa.board_protocol import notice_topic as _notice_topic
from loa.config import Config
from loa.layout import notice_page
from loa.model import DeliveryResult, DeliveryStatus, NoticeView
from loa.signing import Signer
from loa.store import Store

log = logging.getLogger(__name__)

# one user property names the schema and its version: each property costs every subscriber a decode
USER_PROPERTIES = {"schema": f"{NOTICE_SCHEMA}/{SCHEMA_VERSION}"}


def notice_topic(cfg: Config, area: str, notice_id: int) -> str:
    return _notice_topic(cfg.mqtt_topic_prefix, area, notice_id)


def key_topic(cfg: Config) -> str:
    return _key_topic(cfg.mqtt_topic_prefix)


class Boards:
    name = "boards"
    after: tuple[str, ...] = ()
    broker = True
    idempotent = True  # a retained message on the notice's own topic: sending it again changes nothing
    retained = True  # keeps state on the broker: re-asserted after a broker restart (reassert)

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.signer = Signer.load_or_create(cfg.layout.signing_key)

    def targets(self, notice: NoticeView) -> list[str]:
        return list(notice.areas)

    def url(self, notice: NoticeView) -> str:
        return f"{self.cfg.site_url}/{notice_page(notice.id)}"

    def payload(self, notice: NoticeView, area: str) -> dict:
        return self.signer.sign(
            notice_payload(
                notice,
                area=area,
                area_name=self.cfg.area_name(area),
                area_code=self.cfg.area_code(area),
                url=self.url(notice),
                profiles=self.cfg.boards.profiles,
            )
        )

    def _expiry(self, notice: NoticeView) -> int | None:
        if notice.expires_at is None:
            return None
        return int((notice.expires_at - clock.now()).total_seconds())

    def _stale_areas(self, notice: NoticeView) -> list[str]:
        """Areas an older version was published to that this version no longer targets: cleared on dispatch."""
        older = {
            d.target
            for d in self.store.deliveries(notice.id, channel=self.name, kind="publish")
            if d.version < notice.version and d.status == DeliveryStatus.DELIVERED.value
        }
        return sorted(older - set(notice.areas))

    def _send(self, notice: NoticeView, targets: list[str], withdraw: bool) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        retry = "the delivery stays pending and is retried"
        kind = "withdraw" if withdraw else "dispatch"
        allowed = set(sendguard.allowed(self.name, targets))
        results += [
            DeliveryResult(
                self.name,
                t,
                False,
                f"notice {notice.id} v{notice.version} withdrawn or replaced during the dispatch; not sent",
                transient=False,
            )
            for t in targets
            if t not in allowed
        ]
        targets = [t for t in targets if t in allowed]
        if not targets:
            return results
        try:
            with Publisher(self.cfg.mqtt, client_id=f"loa-{kind}-{notice.id}-{notice.version}") as pub:
                key = json.dumps(self.signer.public_key_document()).encode()
                if pub.retained(key_topic(self.cfg)) != key:  # republishing would wake every board for nothing
                    pub.publish(key_topic(self.cfg), key)
                if not withdraw:
                    for area in self._stale_areas(notice):
                        pub.publish(notice_topic(self.cfg, area, notice.id), b"")
                expiry, sent = self._expiry(notice), []
                for area in targets:  # all in flight at once, then each PUBACK (a notice for many communes)
                    topic = notice_topic(self.cfg, area, notice.id)
                    if withdraw:
                        sent.append((area, topic, pub.send(topic, b"")))  # empty retained payload clears it
                    elif expiry is not None and expiry <= 0:
                        results.append(DeliveryResult(self.name, area, True, f"{topic}: already expired, not sent"))
                    else:
                        body = json.dumps(self.payload(notice, area), ensure_ascii=False).encode("utf-8")
                        sent.append(
                            (
                                area,
                                topic,
                                pub.send(topic, body, expiry=expiry, content_type=CONTENT_TYPE, user=USER_PROPERTIES),
                            )
                        )
                deadline = time.monotonic() + pub.timeout
                for area, topic, info in sent:
                    try:
                        pub.confirm(info, topic, deadline)
                        sendguard.sent(self.name)
                        results.append(DeliveryResult(self.name, area, True, topic))
                    except BrokerUnavailable as exc:  # only this target is in doubt: it is sent again
                        results.append(failed(self.name, area, f"{exc}; {retry}"))
        except BrokerUnavailable as exc:
            done = {r.target for r in results}
            return results + failure(self.name, [t for t in targets if t not in done], f"{exc}; {retry}")
        return results

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._send(notice, targets, withdraw=False)

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._send(notice, targets, withdraw=True)

    def reassert(self, notice: NoticeView, targets: list[str], withdraw: bool = False) -> list[DeliveryResult]:
        """After a broker restart: publish again each delivered notice the broker no longer retains (and
        clear each withdrawn one it brought back from an old save), and the key; one result per message
        sent (nothing sent where the broker has it right, so boards are not woken for nothing)."""
        results: list[DeliveryResult] = []
        try:
            with Publisher(self.cfg.mqtt, client_id=f"loa-reassert-{notice.id}-{notice.version}") as pub:
                key = json.dumps(self.signer.public_key_document()).encode()
                if pub.retained(key_topic(self.cfg)) != key:
                    pub.publish(key_topic(self.cfg), key)
                    results.append(DeliveryResult(self.name, "key", True, key_topic(self.cfg)))
                expiry = self._expiry(notice)
                for area in targets:
                    topic = notice_topic(self.cfg, area, notice.id)
                    held = pub.retained(topic)
                    if withdraw and held:
                        pub.publish(topic, b"")
                    elif not withdraw and held is None and (expiry is None or expiry > 0):
                        body = json.dumps(self.payload(notice, area), ensure_ascii=False).encode("utf-8")
                        pub.publish(topic, body, expiry=expiry, content_type=CONTENT_TYPE, user=USER_PROPERTIES)
                    else:
                        continue
                    results.append(DeliveryResult(self.name, area, True, f"{topic}: re-asserted"))
        except BrokerUnavailable as exc:
            results.append(DeliveryResult(self.name, "*", False, f"re-asserting notice {notice.id}: {exc}"))
        return results

    def describe(self) -> dict:
        return {
            "channel": self.name,
            "broker": self.cfg.mqtt.masked(),
            "key_id": self.signer.key_id,
            "profiles": {p.id: f"{p.lines} × {p.width}" for p in self.cfg.boards.profiles},
        }
