"""The store's side of CAP (issue 16): an editor's alert settings, and received alerts made into drafts.

A received alert is one document (identity `cap:<sender>:<identifier of the first alert>`); an Update
(found through its `references`) is a new version of that document and so a new draft version of the
same notice. A Cancel rejects a draft nobody approved yet, or, when the notice is already public,
drafts a "cancel" version that an approver must approve (or the approver withdraws the notice).
Each received message is kept as received in `cap_alerts`, with what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import EllipsisType

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loa.errors import InvalidTransition
from loa.model import LIVE_STATES, Classification, Entry, NoticeState, Priority
from loa.store import Store, ingest
from loa.store.desk import Change, _audit, _draft_row
from loa.store.schema import ActionRow, CapAlertRow, DocumentRow, NoticeVersionRow, utcnow

ALERT_STATUSES = ("actual", "exercise", "test")


def set_alert(
    store: Store,
    notice_id: int,
    version: int,
    actor: str,
    *,
    disaster_level: int | None | EllipsisType = ...,  # ...: leave it as it is
    alert_status: str | None = None,
    instruction: str | None = None,
) -> list[Change]:
    """An editor's CAP settings of a draft: risk level (1–5, None clears it), actual/exercise/test, instruction."""
    if isinstance(disaster_level, int) and not 1 <= disaster_level <= 5:
        raise InvalidTransition(
            f"notice {notice_id}: disaster risk level {disaster_level} is outside 1–5 (Decision 18/2021/QĐ-TTg)"
        )
    if alert_status is not None and alert_status not in ALERT_STATUSES:
        raise InvalidTransition(
            f"notice {notice_id}: alert status {alert_status!r} is not one of {', '.join(ALERT_STATUSES)}"
        )
    changes = []
    with store.session() as s:
        row = _draft_row(s, notice_id, version)
        for name, value in (
            ("disaster_level", disaster_level),
            ("alert_status", alert_status),
            ("instruction", instruction.strip() if isinstance(instruction, str) else instruction),
        ):
            if value is ... or (value is None and name != "disaster_level"):
                continue
            old = getattr(row, name)
            if old != value:
                changes.append(
                    Change(
                        f"set:{name}", name, None if old is None else str(old), None if value is None else str(value)
                    )
                )
                setattr(row, name, value)
        for change in changes:
            _audit(s, row, actor, change)
    return changes


@dataclass(frozen=True)
class Received:
    """A parsed CAP message and where it came from."""

    sender: str
    identifier: str
    sent: str  # as written in the alert
    msg_type: str
    references: tuple[tuple[str, str, str], ...]
    feed_url: str
    url: str | None
    xml: str


@dataclass(frozen=True)
class Outcome:
    status: str  # drafted | updated | cancelled_draft | cancel_drafted | cancel_unknown | already_seen | <skip reason>
    notice_id: int | None = None
    version: int | None = None


def seen(store: Store, msg: Received) -> bool:
    with store.reading() as s:
        return _row(s, msg) is not None


def _row(s: Session, msg: Received) -> CapAlertRow | None:
    return s.scalar(
        select(CapAlertRow).where(
            CapAlertRow.sender == msg.sender, CapAlertRow.identifier == msg.identifier, CapAlertRow.sent == msg.sent
        )
    )


def _referenced(s: Session, msg: Received) -> CapAlertRow | None:
    """The newest stored message this one references that made or changed a notice."""
    for sender, identifier, _sent in reversed(msg.references):
        row = s.scalar(
            select(CapAlertRow)
            .where(
                CapAlertRow.sender == sender, CapAlertRow.identifier == identifier, CapAlertRow.document_id.is_not(None)
            )
            .order_by(CapAlertRow.id.desc())
        )
        if row is not None:
            return row
    return None


def record_skipped(store: Store, msg: Received, reason: str) -> Outcome:
    """An alert that is not drafted (test, other province, expired…): kept, so it is reported once."""
    with store.session() as s:
        if _row(s, msg) is not None:
            return Outcome("already_seen")
        s.add(
            CapAlertRow(
                sender=msg.sender,
                identifier=msg.identifier,
                sent=msg.sent,
                msg_type=msg.msg_type,
                feed_url=msg.feed_url,
                url=msg.url,
                outcome=reason,
                xml=msg.xml,
                received_at=utcnow(),
            )
        )
    return Outcome(reason)


def record_alert(
    store: Store,
    msg: Received,
    entry: Entry,
    cls: Classification,
    variants: dict[str, str],
    *,
    areas: list[str],
    priority: Priority,
    expires_at: datetime | None,
    instruction: str,
) -> Outcome:
    """An Alert or Update as a draft: a new notice, or a new version of the notice it updates. One transaction."""
    with store.session() as s:
        if _row(s, msg) is not None:
            return Outcome("already_seen")
        earlier = _referenced(s, msg) if msg.msg_type == "Update" else None
        identity = (
            s.scalars(select(DocumentRow.identity).where(DocumentRow.id == earlier.document_id)).one()
            if earlier
            else f"cap:{msg.sender}:{msg.identifier}"
        )
        entry = Entry(identity, entry.title, entry.summary_html, entry.link, entry.published, entry.content_hash)
        feed = ingest.feed_id(s, msg.feed_url)
        change = ingest.record_entries(s, feed, [(entry, cls)])[0]
        notice_id, version = ingest.draft_notices(
            s, [ingest.Draft(change.document_version_id, areas, variants, priority)]
        )[0]
        s.execute(
            update(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version)
            .values(expires_at=expires_at, instruction=instruction or None)
        )
        status = "updated" if earlier else "drafted"
        s.add(
            CapAlertRow(
                sender=msg.sender,
                identifier=msg.identifier,
                sent=msg.sent,
                msg_type=msg.msg_type,
                feed_url=msg.feed_url,
                url=msg.url,
                document_id=change.document_id,
                notice_id=notice_id,
                notice_version=version,
                outcome=status,
                xml=msg.xml,
                received_at=utcnow(),
            )
        )
    return Outcome(status, notice_id, version)


def record_cancel(store: Store, msg: Received, make_cancel_draft) -> Outcome:
    """A Cancel: the draft it concerns is rejected; a public notice gets a "cancel" draft for an approver.
    `make_cancel_draft(title) -> (Entry, Classification, variants)` renders that draft's text."""
    with store.session() as s:
        if _row(s, msg) is not None:
            return Outcome("already_seen")
        earlier = _referenced(s, msg)
        row = CapAlertRow(
            sender=msg.sender,
            identifier=msg.identifier,
            sent=msg.sent,
            msg_type=msg.msg_type,
            feed_url=msg.feed_url,
            url=msg.url,
            xml=msg.xml,
            received_at=utcnow(),
            outcome="cancel_unknown",
        )
        s.add(row)
        if earlier is None:
            return Outcome("cancel_unknown")
        versions = s.scalars(
            select(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == earlier.notice_id)
            .order_by(NoticeVersionRow.version.desc())
        ).all()
        row.document_id, row.notice_id = earlier.document_id, earlier.notice_id
        public = next((v for v in versions if NoticeState(v.state) in LIVE_STATES), None)
        drafts = [v for v in versions if v.state == NoticeState.DRAFTED.value]
        reason = f"cảnh báo CAP đã bị hủy: {msg.sender} {msg.identifier} ({msg.sent})"
        for d in drafts:
            d.state = NoticeState.REJECTED.value
            s.add(ActionRow(notice_version_id=d.id, action="reject", actor="loa", reason=reason))
        if public is None:
            row.outcome, row.notice_version = "cancelled_draft", drafts[0].version if drafts else None
            return Outcome("cancelled_draft", earlier.notice_id, row.notice_version)
        identity = s.scalars(select(DocumentRow.identity).where(DocumentRow.id == earlier.document_id)).one()
        entry, cls, variants = make_cancel_draft(public.title)
        entry = Entry(identity, entry.title, entry.summary_html, entry.link, entry.published, entry.content_hash)
        change = ingest.record_entries(s, ingest.feed_id(s, msg.feed_url), [(entry, cls)])[0]
        notice_id, version = ingest.draft_notices(
            s, [ingest.Draft(change.document_version_id, list(public.areas), variants, Priority(public.priority))]
        )[0]
        # Approved, the cancellation replaces the alert on every channel (boards, radio, website, print) and
        # the CAP channel sends a Cancel; it then expires like any notice, a day on (the CAP feed shows a
        # Cancel as long), and leaves the boards, playlists and current lists. The approver may change it.
        s.execute(
            update(NoticeVersionRow)
            .where(NoticeVersionRow.notice_id == notice_id, NoticeVersionRow.version == version)
            .values(expires_at=_cancel_expiry(public.expires_at))
        )
        row.outcome, row.notice_version = "cancel_drafted", version
        return Outcome("cancel_drafted", notice_id, version)


CANCEL_SHOWN = timedelta(hours=24)


def _cancel_expiry(alert_expires: datetime | None) -> datetime:
    """A day from now; not past the cancelled alert's own expiry, unless that is already near."""
    day = utcnow() + CANCEL_SHOWN
    if alert_expires is None:
        return day
    return max(min(day, alert_expires), utcnow() + timedelta(hours=1))


def is_cancel(store: Store, notice_id: int, version: int) -> bool:
    """Whether this notice version is the "cancel" draft of an upstream CAP Cancel (its approval sends
    a CAP Cancel, not an Update)."""
    with store.reading() as s:
        found = s.scalar(
            select(CapAlertRow.id).where(
                CapAlertRow.notice_id == notice_id,
                CapAlertRow.notice_version == version,
                CapAlertRow.outcome == "cancel_drafted",
            )
        )
        return found is not None


@dataclass(frozen=True)
class CapOrigin:
    """A CAP message a notice came from, with the original XML."""

    id: int
    sender: str
    identifier: str
    sent: str  # the CAP <sent> text, as received
    msg_type: str
    feed_url: str
    url: str | None
    outcome: str
    version: int | None
    xml: str


def origin(store: Store, notice_id: int) -> list[CapOrigin]:
    """The CAP messages a notice came from, oldest first (the desk shows "from a CAP alert" with the original)."""
    with store.reading() as s:
        rows = s.scalars(select(CapAlertRow).where(CapAlertRow.notice_id == notice_id).order_by(CapAlertRow.id)).all()
        return [
            CapOrigin(
                r.id, r.sender, r.identifier, r.sent, r.msg_type, r.feed_url, r.url, r.outcome, r.notice_version, r.xml
            )
            for r in rows
        ]


__all__ = [
    "ALERT_STATUSES",
    "Outcome",
    "Received",
    "is_cancel",
    "origin",
    "record_alert",
    "record_cancel",
    "record_skipped",
    "seen",
    "set_alert",
]
