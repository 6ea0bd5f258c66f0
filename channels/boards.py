"""Digital public notice boards over MQTT v5 (DESIGN §4).

Each approved notice is one retained QoS-1 message per target area on
loa/v1/areas/<area path>/notices/<notice id>; a newer version replaces it on
the same topic; an empty retained payload withdraws it. Payloads are signed
(loa.signing) so a board can reject what Loa did not send.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from loa.config import Config
from loa.model import DeliveryResult, NoticeView
from loa.signing import Signer
from loa.store import Store

from channels.base import failure, register
from channels.mqtt import BrokerUnavailable, Publisher

SCHEMA = "loa.notice"
SCHEMA_VERSION = 1


def notice_topic(cfg: Config, area: str, notice_id: int) -> str:
    return f"{cfg.mqtt_topic_prefix}/areas/{area}/notices/{notice_id}"


def key_topic(cfg: Config) -> str:
    return f"{cfg.mqtt_topic_prefix}/keys/notices"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


@register
class Boards:
    name = "boards"

    def __init__(self, cfg: Config, store: Store):
        self.cfg, self.store = cfg, store
        self.signer = Signer.load_or_create(cfg.home / "keys" / "notice-signing.pem")

    def targets(self, notice: NoticeView) -> list[str]:
        return list(notice.areas)

    def payload(self, notice: NoticeView, area: str) -> dict:
        return self.signer.sign({
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "id": notice.id, "version": notice.version, "priority": notice.priority.value,
            "title": notice.title, "body": notice.variants.get("boards", ""),
            "url": f"{self.cfg.site_url}/notices/{notice.id}.html",
            "area": area, "area_name": self.cfg.area_name(area),
            "document_number": notice.meta.number,
            "approved_at": _iso(notice.approved_at), "expires_at": _iso(notice.expires_at),
        })

    def _expiry(self, notice: NoticeView) -> int | None:
        if notice.expires_at is None:
            return None
        return int((notice.expires_at - datetime.now(timezone.utc)).total_seconds())

    def _send(self, notice: NoticeView, targets: list[str], withdraw: bool) -> list[DeliveryResult]:
        results = []
        try:
            with Publisher(self.cfg.mqtt, client_id=f"loa-dispatch-{notice.id}-{notice.version}") as pub:
                pub.publish(key_topic(self.cfg), json.dumps(self.signer.public_key_document()).encode())
                for area in targets:
                    topic = notice_topic(self.cfg, area, notice.id)
                    if withdraw:
                        pub.publish(topic, b"")  # empty retained payload clears the board's copy
                    else:
                        expiry = self._expiry(notice)
                        if expiry is not None and expiry <= 0:
                            results.append(DeliveryResult(self.name, area, True, f"{topic}: already expired, not sent"))
                            continue
                        body = json.dumps(self.payload(notice, area), ensure_ascii=False).encode("utf-8")
                        pub.publish(topic, body, expiry=expiry,
                                    user={"schema": f"{SCHEMA}/{SCHEMA_VERSION}"})
                    results.append(DeliveryResult(self.name, area, True, topic))
        except BrokerUnavailable as exc:
            done = {r.target for r in results}
            return results + failure(self.name, [t for t in targets if t not in done],
                                     f"{exc}; the delivery stays pending and is retried")
        return results

    def dispatch(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._send(notice, targets, withdraw=False)

    def withdraw(self, notice: NoticeView, targets: list[str]) -> list[DeliveryResult]:
        return self._send(notice, targets, withdraw=True)

    def describe(self) -> dict:
        return {"channel": self.name, "broker": self.cfg.mqtt.masked(), "key_id": self.signer.key_id}
