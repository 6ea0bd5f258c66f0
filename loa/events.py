"""Loa's event contract (DESIGN §3): names and resources. Plain data; Prefect sends them (flows/events.py)."""

from __future__ import annotations

DOCUMENT_INGESTED = "loa.document.ingested"
NOTICE_DRAFTED = "loa.notice.drafted"
NOTICE_APPROVED = "loa.notice.approved"
NOTICE_REJECTED = "loa.notice.rejected"
NOTICE_PUBLISHED = "loa.notice.published"
NOTICE_SCHEDULED = "loa.notice.scheduled"  # an embargoed approval: a dispatch run waits for publish_at
NOTICE_WITHDRAWN = "loa.notice.withdrawn"
DELIVERY_FAILED = "loa.delivery.failed"
BOARD_OFFLINE = "loa.board.offline"
BOARD_ONLINE = "loa.board.online"  # an offline board reports again (ends the "board offline" automation's wait)
SPEAKER_OFFLINE = "loa.speaker.offline"  # a loudspeaker dropped (its last will) or said it goes offline
SPEAKER_ONLINE = "loa.speaker.online"  # an offline speaker reports again
SPEAKER_FAILED = "loa.speaker.failed"  # a speaker could not play an item (its ack "failed")
SPEAKER_MISSED = "loa.speaker.missed"  # a speaker was offline when its station's slot was about to air
FEED_FAILED = "loa.feed.failed"
BROKER_DOWN = "loa.broker.down"  # Loa's own Mosquitto died under `loa run`; it is being restarted
BROKER_RESTARTED = "loa.broker.restarted"  # ... and runs again (retained state to be re-asserted)
RADIO_OVERFLOW = "loa.radio.overflow"  # a station's slot had more notices than fit its length


def resource(kind: str, ident: str | int, name: str | None = None, role: str | None = None) -> dict[str, str]:
    """A Prefect resource dict: the notice is `loa.notice.<id>`; feeds and channels are related resources."""
    res = {"prefect.resource.id": f"loa.{kind}.{ident}"}
    if name:
        res["prefect.resource.name"] = name
    if role:
        res["prefect.resource.role"] = role
    return res


def notice_resource(notice_id: int, title: str | None = None) -> dict[str, str]:
    return resource("notice", notice_id, title)
