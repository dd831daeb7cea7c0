"""Tables of co-reflection groups.

- `coreflection_groups`: a group a peer lead runs: name, joining link, and when it meets, as an
  RFC 5545 RRULE (`rrule`) from a first local start (`starts_on` + `start_time` in `time_zone`).
- `coreflection_members`: who belongs, in rota order (`position`); `invited_at` stays empty until
  the person has installed the app and the invitation is queued (until then it is pending).
- `coreflection_occurrences`: one meeting of the series, made when it comes within reach (or is
  moved, cancelled or answered). `original_start` is the rule's instant (the RECURRENCE-ID of a
  moved one); `starts_at`/`ends_at` are when it actually happens. Its id is the `source` of the
  supervision records its attendance writes.
- `coreflection_responses`: a member's answer (going / not going) and attendance for one meeting.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow


class OccurrenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    GOING = "going"
    NOT_GOING = "not_going"


class CoReflectionGroup(Base):
    __tablename__ = "coreflection_groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    joining_url: Mapped[str] = mapped_column(String(2000))
    rrule: Mapped[str] = mapped_column(String(200))  # the RRULE value, e.g. FREQ=MONTHLY;BYDAY=+1TU
    starts_on: Mapped[date] = mapped_column(Date)  # local date of the first meeting (DTSTART)
    start_time: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    minutes: Mapped[int] = mapped_column(SmallInteger)
    time_zone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CoReflectionMember(Base):
    __tablename__ = "coreflection_members"
    __table_args__ = (UniqueConstraint("group_id", "person_id", name="ux_coreflection_member"),
                      Index("ix_coreflection_members_person", "person_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    group_id: Mapped[str] = mapped_column(ForeignKey("coreflection_groups.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # rota order, from 0
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # empty: pending until they install
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoReflectionOccurrence(Base):
    __tablename__ = "coreflection_occurrences"
    __table_args__ = (UniqueConstraint("group_id", "original_start", name="ux_coreflection_occurrence"),
                      Index("ix_coreflection_occurrences_start", "starts_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    group_id: Mapped[str] = mapped_column(ForeignKey("coreflection_groups.id", ondelete="CASCADE"))
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=OccurrenceStatus.SCHEDULED)
    facilitator_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=0)  # SEQUENCE in the calendar feed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CoReflectionResponse(Base):
    __tablename__ = "coreflection_responses"
    __table_args__ = (UniqueConstraint("occurrence_id", "person_id", name="ux_coreflection_response"),
                      Index("ix_coreflection_responses_person", "person_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    occurrence_id: Mapped[str] = mapped_column(ForeignKey("coreflection_occurrences.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    answer: Mapped[str | None] = mapped_column(String(10))  # Answer
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marked_by: Mapped[str | None] = mapped_column(String(32))  # person id: the lead, or the member ("I'm here")
