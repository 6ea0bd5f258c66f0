"""The store's tables (SQLAlchemy 2). The same code runs on SQLite and PostgreSQL.

A notice is one row per document; its versions are rows of notice_versions,
each with its own state, so an amended document can be drafted while the
previous version stays published. Every time is UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Index,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes timezone-aware times")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


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
    versions: Mapped[list["DocumentVersionRow"]] = relationship(
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
    document: Mapped[DocumentRow] = relationship(back_populates="versions")
    feed: Mapped[FeedRow | None] = relationship()


class NoticeRow(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions: Mapped[list["NoticeVersionRow"]] = relationship(
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    notice: Mapped[NoticeRow] = relationship(back_populates="versions")
    document_version: Mapped[DocumentVersionRow] = relationship()
    variants: Mapped[list["VariantRow"]] = relationship(back_populates="notice_version")
    actions: Mapped[list["ActionRow"]] = relationship(
        back_populates="notice_version", order_by="ActionRow.id"
    )


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
