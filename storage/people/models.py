"""Tables of people, their working relationships and the supervision that happened.

- `people`: someone the organisation knows (picked in Teams, named by a worker, or imported from a
  roster), whether or not they have installed the app yet. `user_id` links the person to the User
  the bot can message; it stays empty until they install, and the person is reached from then on.
- `person_links`: a worker's line manager or peer supervisor, one active of each kind at a time.
  Links are never deleted when they end (records keep their history); a link a worker asked for
  waits, `pending`, until the named person confirms it.
- `supervision_records`: that a supervision or co-reflection took place (date, type, length,
  optional short agreed actions; never what was said), and whether the supervisee confirmed it.
  Only confirmed records count towards due dates.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow


class LinkKind(StrEnum):
    LINE_MANAGER = "line_manager"
    PEER_SUPERVISOR = "peer_supervisor"


class LinkStatus(StrEnum):
    PENDING = "pending"  # named by the worker, waiting for the other person to confirm
    ACTIVE = "active"
    ENDED = "ended"
    DECLINED = "declined"  # the named person said it is not right


class SupervisionType(StrEnum):
    """What took place. Cadences for each are settings in content/supervision/."""

    PEER = "peer_supervision"
    MANAGEMENT = "management_supervision"
    CO_REFLECTION = "co_reflection"
    CLINICAL = "clinical_supervision"


class RecordStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"  # the supervisee said "that's not right", with a reason


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        Index("ux_people_aad", "aad_object_id", unique=True),
        Index("ux_people_email", "email", unique=True),
        Index("ux_people_user", "user_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    aad_object_id: Mapped[str | None] = mapped_column(String(64))  # lower case
    email: Mapped[str | None] = mapped_column(String(254))  # lower case
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    team: Mapped[str] = mapped_column(String(200), default="")  # team or ward
    start_date: Mapped[date | None] = mapped_column(Date)  # start in role, for cadences and probation
    added_by: Mapped[str | None] = mapped_column(String(32))  # person id; told when this person is reached
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PersonLink(Base):
    __tablename__ = "person_links"
    __table_args__ = (
        # One active line manager and one active peer supervisor per worker, enforced by the database.
        Index("ux_person_links_active", "worker_id", "kind", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_person_links_other", "other_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    other_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # LinkKind
    status: Mapped[str] = mapped_column(String(10), default=LinkStatus.ACTIVE)  # LinkStatus
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    set_by: Mapped[str | None] = mapped_column(String(32))  # person id of who set it up
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SupervisionRecord(Base):
    __tablename__ = "supervision_records"
    __table_args__ = (
        Index("ix_supervision_worker", "worker_id", "type", "held_on"),
        Index("ix_supervision_supervisor", "supervisor_id", "held_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))  # the supervisee
    # Who gave it (empty for a co-reflection counted from attendance, or after that person is erased).
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(30))  # SupervisionType
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int | None] = mapped_column(SmallInteger)
    actions: Mapped[str | None] = mapped_column(String(500))  # agreed actions, short, scrubbed
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.UNCONFIRMED)
    dispute_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(64))  # e.g. a co-reflection occurrence id
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the one unconfirmed reminder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
