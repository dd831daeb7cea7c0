"""Tables of the implementation-space sessions: series, sessions, registrations, subscriptions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow


class SessionStatus(StrEnum):
    """A session's life: scheduled -> registration_open -> registration_closed -> held, or
    cancelled at any point before it is held. Stored as the plain value (a StrEnum is a str)."""

    SCHEDULED = "scheduled"
    REGISTRATION_OPEN = "registration_open"
    REGISTRATION_CLOSED = "registration_closed"
    CANCELLED = "cancelled"
    HELD = "held"


class RegistrationStatus(StrEnum):
    """A person's place at a session; attendance is `Registration.attended_at`, not a status."""

    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


# A session that is over (nothing more to send or change) and a registration that holds a place or a
# waitlist spot. Tuples, so they go straight into `Column.in_` / `not_in`.
FINISHED = (SessionStatus.CANCELLED, SessionStatus.HELD)
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


class Series(Base):
    """A run of sessions, such as the quarterly Peer Support Implementation Space."""

    __tablename__ = "series"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    """One session of a series. Times are UTC; `time_zone` is the zone it is organised in."""

    __tablename__ = "space_sessions"
    __table_args__ = (Index("ix_space_sessions_series_start", "series_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(500), default="")
    presenters: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    joining_url: Mapped[str] = mapped_column(String(2000), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default=SessionStatus.SCHEDULED)
    # Bumped by every registration change: updating this row first serialises concurrent
    # registrations for one session on SQLite and PostgreSQL alike (no lost last place).
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Registration(Base):
    """A person's place (or waitlist spot) at a session, and whether they attended.

    Someone registered in Teams has a `user_id`; someone registered on the web page has no
    Teams identity, only `web_key`, an opaque random key behind their personal signed link.
    Exactly one of the two is set (both cleared once retention blanks a web registration).
    """

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_registrations_session_status", "session_id", "status", "registered_at"),
        Index("ix_registrations_web_key", "web_key", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("space_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    web_key: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")  # what brings them
    hopes: Mapped[str] = mapped_column(Text, default="")  # what they would most like from it
    access_needs: Mapped[str] = mapped_column(Text, default="")
    wants_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=RegistrationStatus.REGISTERED)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_marked_by: Mapped[str | None] = mapped_column(String(32))


class SeriesSubscription(Base):
    """Someone who asked to hear about new sessions of a series."""

    __tablename__ = "series_subscriptions"

    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
