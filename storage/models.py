"""Tables of the foundation. Feature modules add their own models on the same `Base`."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, and mixing kinds breaks comparisons."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    # Every model maps one Table (none maps a join or a select); DeclarativeBase types __table__
    # as any FromClause, which update() and delete() do not take.
    __table__: ClassVar[Table]


class User(Base):
    """A person the bot has met in Teams."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    teams_id: Mapped[str] = mapped_column(String(200), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    locale: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Conversation(Base):
    """Where the bot can write: a stored conversation reference for proactive messages."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    conversation_type: Mapped[str] = mapped_column(String(20), default="personal")
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(100))
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoleGrant(Base):
    """A role granted by an admin; admins and facilitators named in settings need no row."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("aad_object_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(30))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotStateItem(Base):
    """One botbuilder storage key (conversation or user state) with its optimistic-concurrency eTag."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    etag: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProcessedActivity(Base):
    """Activities taken, so a redelivered one (Teams retries) is processed once. Nothing of the
    activity's content is kept: an invoke's answer can hold what a person typed."""

    __tablename__ = "processed_activities"

    conversation_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # While the turn runs, until when its process holds the claim (it renews it); None once done.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str] = mapped_column(String(32), default="", server_default="")  # the running turn's token


class OutboxStatus(StrEnum):
    """Where an outbox row stands (storage/outbox.py moves it): pending -> sending -> sent, expired
    or failed; a pending row can be cancelled, and a failed attempt goes back to pending. Stored as
    the plain value (a StrEnum is a str)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    EXPIRED = "expired"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    """A proactive message to deliver: the only way anything in the bot schedules a message."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR conversation_id IS NOT NULL", name="outbox_has_recipient"),
        # Shaped for `outbox.claim_due`: pending rows in the order they are claimed, so a claim
        # reads its batch off the front of the index however many rows are due (a backlog after
        # downtime) or pending for later (a full schedule); rows whose lease lapsed by their own
        # small index. Partial, so settled rows (most of the table) cost nothing in either.
        Index("ix_outbox_pending_due", "due_at", "id", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        Index("ix_outbox_sending_lease", "claimed_until", postgresql_where=text("status = 'sending'"),
              sqlite_where=text("status = 'sending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activity_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
