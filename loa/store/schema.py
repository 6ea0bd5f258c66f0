"""The store's tables (SQLAlchemy 2). The same code runs on SQLite and PostgreSQL.

A notice is one row per document; its versions are rows of notice_versions,
each with its own state, so an amended document can be drafted while the
previous version stays published. Every time is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from loa import clock

#: the column defaults' clock: loa.clock.now under the name the store modules use
utcnow = clock.now


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes timezone-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_naive_utc = self.process_bind_param

        def process(value):
            # The very text SQLAlchemy's SQLite DATETIME stores ("2026-11-29 08:00:00.000000"), made by
            # datetime.isoformat in C: a quarter of the cost of its %-formatting (ingest writes two per entry).
            value = to_naive_utc(value, dialect)
            return None if value is None else value.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str | None] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(1000))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_reason: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(2000), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions: Mapped[list[DocumentVersionRow]] = relationship(
        back_populates="document", order_by="DocumentVersionRow.version"
    )


class DocumentVersionRow(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int] = mapped_column(Integer)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    title: Mapped[str] = mapped_column(Text)
    summary_html: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    relevant: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    content_areas: Mapped[list] = mapped_column(JSON, default=list)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the linked article's main text when the feed gave a summary ("" when not fetched)
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    # {"url", "etag", "last_modified", "title", "attachments"} of the article fetch, for the next conditional GET
    article: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    warnings: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # shown to the editor
    document: Mapped[DocumentRow] = relationship(back_populates="versions")
    feed: Mapped[FeedRow | None] = relationship()


class NoticeRow(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions: Mapped[list[NoticeVersionRow]] = relationship(
        back_populates="notice", order_by="NoticeVersionRow.version"
    )


class NoticeVersionRow(Base):
    __tablename__ = "notice_versions"
    __table_args__ = (
        UniqueConstraint("notice_id", "version"),
        Index("ix_notice_versions_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    version: Mapped[int] = mapped_column(Integer)
    document_version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    state: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    title: Mapped[str] = mapped_column(Text)
    areas: Mapped[list] = mapped_column(JSON, default=list)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CAP (issue 16): the disaster risk level of Decision 18/2021/QĐ-TTg (1–5, set by an editor), whether the
    # notice is a real alert or an exercise/test, and what people must do (CAP <instruction>)
    disaster_level: Mapped[int | None] = mapped_column(Integer)
    alert_status: Mapped[str] = mapped_column(String(16), default="actual", server_default="actual")
    instruction: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    notice: Mapped[NoticeRow] = relationship(back_populates="versions")
    document_version: Mapped[DocumentVersionRow] = relationship()
    variants: Mapped[list[VariantRow]] = relationship(back_populates="notice_version")
    actions: Mapped[list[ActionRow]] = relationship(back_populates="notice_version", order_by="ActionRow.id")


class VariantRow(Base):
    """One channel's text of one notice version (web HTML, board text, radio script, print)."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("notice_version_id", "channel", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_version_id: Mapped[int] = mapped_column(ForeignKey("notice_versions.id"))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16), default="vi")
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    notice_version: Mapped[NoticeVersionRow] = relationship(back_populates="variants")


class ActionRow(Base):
    """The audit trail: approvals, rejections, withdrawals, edits — who and when. Never deleted."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_version_id: Mapped[int] = mapped_column(ForeignKey("notice_versions.id"))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    notice_version: Mapped[NoticeVersionRow] = relationship(back_populates="actions")


class DeliveryRow(Base):
    """One (notice, version, channel, target): the unit of exactly-once delivery."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notice_id", "version", "channel", "target", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), default="publish")  # publish | withdraw
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the claim taken before a send (loa.store.claims): who holds it and until when; a successor takes
    # it over once the lease ran out (or the holder's process is gone)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when a send that cannot be taken back (an emergency play command) was started: set before the
    # publish, so a row with it and no recorded outcome "might have been sent" (never sent again)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DispatchLeaseRow(Base):
    """One notice's dispatch or withdrawal in progress: at most one holder at a time, across processes."""

    __tablename__ = "dispatch_leases"
    notice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(16))  # dispatch | withdraw
    until: Mapped[datetime] = mapped_column(UTCDateTime)


# --- the editorial desk (issue 4): accounts, sessions, login attempts, edit details ----------


class UserRow(Base):
    """A desk account. Never deleted: a departed editor is disabled, so the audit trail keeps its name."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # editor | approver | admin
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeskSessionRow(Base):
    """A logged-in desk session. Only the SHA-256 of the cookie token is kept."""

    __tablename__ = "desk_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttemptRow(Base):
    """Login attempts, for rate limiting by account name and by client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_at", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    remote: Mapped[str] = mapped_column(String(100))
    ok: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionDetailRow(Base):
    """What an audited action changed: the field, before and after, and a text diff of each edit."""

    __tablename__ = "action_details"
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(64))  # "variant:boards", "priority", "areas", "publish_at", ...
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[str | None] = mapped_column(Text)


class SearchTextRow(Base):
    """Lowercase, diacritic-free text of a notice version, so 'ke hoach' finds 'Kế hoạch' on SQLite and PostgreSQL alike."""

    __tablename__ = "desk_search"
    notice_version_id: Mapped[int] = mapped_column(ForeignKey("notice_versions.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


# --- digital notice boards (issue 5): registry, online/offline history, acknowledgements --------


class BoardRow(Base):
    """A board registered with `loa boards add`. Its broker password lives only in Mosquitto's password file."""

    __tablename__ = "boards"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # = its broker user name
    area: Mapped[str] = mapped_column(String(500))
    name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # online | offline | unknown
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoardStatusRow(Base):
    """Each online/offline change a board reported (retained status, last will 'offline')."""

    __tablename__ = "board_status"
    __table_args__ = (Index("ix_board_status_board_at", "board_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id"))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class BoardAckRow(Base):
    """A board showed a notice version (its ack). One row per board and version however often it acks."""

    __tablename__ = "board_acks"
    __table_args__ = (
        UniqueConstraint("board_id", "notice_id", "version"),
        Index("ix_board_acks_notice", "notice_id", "version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id"))
    notice_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(500))
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- commune radio (issue 6): built playlists, airing history, audio files --------------------


class RadioSlotRow(Base):
    """One built playlist of one station: a daily slot, or an emergency playlist. Rebuilding a slot
    replaces its row (and its airings); what did not fit is kept as `overflow` and carried to the next slot."""

    __tablename__ = "radio_slots"
    __table_args__ = (
        UniqueConstraint("station", "kind", "starts_at"),
        Index("ix_radio_slots_station_starts", "station", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # slot | emergency
    slot_date: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    slot_time: Mapped[str] = mapped_column(String(5))  # local HH:MM
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_seconds: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)  # planned length, jingles included
    overflow: Mapped[list] = mapped_column(JSON, default=list)  # [[notice id, version, reason], ...]
    missing: Mapped[list] = mapped_column(JSON, default=list)  # [[notice id, version, language], ...]
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the playlist in airing order (jingles, opening, notices, bridges, closing): what the station schedule
    # message sends to speakers (loa.radio.schedule_msg); [] for a slot built before migration 0022
    programme: Mapped[list] = mapped_column(JSON, default=list)


class RadioAiringRow(Base):
    """A notice version in a built playlist: the airing history that quotas count."""

    __tablename__ = "radio_airings"
    __table_args__ = (
        Index("ix_radio_airings_station_notice", "station", "notice_id", "version"),
        Index("ix_radio_airings_slot", "slot_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("radio_slots.id", ondelete="CASCADE"))
    station: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the slot's start (copied: counting needs no join)
    notice_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(Float)


class RadioAudioRow(Base):
    """An audio file under LOA_HOME/radio/audio: what it was made from (so a new recording or voice remakes
    it) and its length and loudness (so a playlist build reads no audio)."""

    __tablename__ = "radio_audio"
    __table_args__ = (Index("ix_radio_audio_notice", "notice_id", "version"),)
    file: Mapped[str] = mapped_column(String(300), primary_key=True)
    notice_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # synthetic | recording
    source_key: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- CAP alerts received from feeds of kind `cap` (issue 16) ----------------------------------------


class CapAlertRow(Base):
    """One CAP message read from a feed, kept as received (the desk shows the original), and what became
    of it: the notice it drafted, updated or cancelled. (sender, identifier, sent) identifies a CAP message."""

    __tablename__ = "cap_alerts"
    __table_args__ = (UniqueConstraint("sender", "identifier", "sent"), Index("ix_cap_alerts_notice", "notice_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(500))
    identifier: Mapped[str] = mapped_column(String(500))
    sent: Mapped[str] = mapped_column(String(40))
    msg_type: Mapped[str] = mapped_column(String(16))
    feed_url: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(String(2000))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    notice_version: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    xml: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the 2025 map (issue 15): what the store migration moved ------------------------------------


class AreaRenameRow(Base):
    """One pre-2025 area path found in the store by migration 0010, and where it went (`new_paths`
    empty: no mapping file places it; the rows keep the old path)."""

    __tablename__ = "area_renames"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # "notice_versions.areas", "boards.area", "deliveries.boards", …
    old_path: Mapped[str] = mapped_column(String(500))
    new_paths: Mapped[list] = mapped_column(JSON, default=list)
    basis: Mapped[str] = mapped_column(String(32))  # code | name | merged-2020 | neighbour | district | unknown
    rows: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- loudspeakers (issue 19): accounts, status, acks of what aired -------------------------------


class SpeakerRow(Base):
    """A loudspeaker cluster or playout computer registered with `loa speakers add`: it follows one station's
    schedule. Its broker password lives only in Mosquitto's password file."""

    __tablename__ = "speakers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # = its broker user name
    station: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # online | playing | idle | offline | unknown
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_skew_ms: Mapped[int | None] = mapped_column(Integer)
    cache_items: Mapped[int | None] = mapped_column(Integer)
    cache_bytes: Mapped[int | None] = mapped_column(Integer)
    software: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpeakerStatusRow(Base):
    """Each state change a speaker reported (retained status; last will 'offline')."""

    __tablename__ = "speaker_status"
    __table_args__ = (Index("ix_speaker_status_speaker_at", "speaker_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[str] = mapped_column(ForeignKey("speakers.id"))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class SpeakerAckRow(Base):
    """What a speaker did with one item: started, finished, failed, interrupted or skipped it. A repeated ack
    (same speaker, slot, item, event) keeps its first row."""

    __tablename__ = "speaker_acks"
    __table_args__ = (
        UniqueConstraint("speaker_id", "slot", "item", "event", "command"),
        Index("ix_speaker_acks_notice", "notice_id", "version"),
        Index("ix_speaker_acks_station_at", "station", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[str] = mapped_column(ForeignKey("speakers.id"))
    station: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(100), default="")  # "" for an emergency play (no slot)
    item: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(16))  # the schedule item's kind, when the slot is known
    notice_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(16))  # started | finished | failed | interrupted | skipped
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the speaker says it happened
    seconds: Mapped[float | None] = mapped_column(Float)  # the item's planned length (from the schedule)
    detail: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str] = mapped_column(String(200), default="")  # an emergency play's idempotency key
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
