"""Tables of tripartite work. Only the three parties of a task ever read its details.

- `probations`: a worker's probation in a role (start, end, outcome by the line manager).
- `absences`: that a worker is away (sickness or other long absence), the expected and actual
  return, and whether the worker chose to pause check-in prompts and supervision due dates.
  No medical detail: there is no column for it.
- `tripartite_tasks`: one review, return-to-work conversation or appraisal, with its three parties
  (copied from the worker's links when it is made, and moved with them while it is open), a due
  day, an optional booked meeting, and its checklist.
- `task_signoffs`: each party's "agreed" or "not agreed" (with a reason), one row per party.
- `task_comments`: short notes, scrubbed of other people's identifiers, visible to the three only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow
from storage.tripartite.rules import TaskStatus


class Probation(Base):
    __tablename__ = "probations"
    __table_args__ = (Index("ix_probations_worker", "worker_id", "starts_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(12))  # ProbationOutcome; None while running
    outcome_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Absence(Base):
    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_worker", "worker_id", "started_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # "sickness" or "other"
    started_on: Mapped[date] = mapped_column(Date)
    expected_return: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)  # the first day back
    pause_checkins: Mapped[bool] = mapped_column(Boolean, default=False)  # the worker's own choice
    pause_supervision: Mapped[bool] = mapped_column(Boolean, default=False)  # the worker's own choice
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TripartiteTask(Base):
    __tablename__ = "tripartite_tasks"
    __table_args__ = (
        Index("ux_tripartite_tasks_key", "worker_id", "key", unique=True),  # made once, however often planned
        Index("ix_tripartite_tasks_due", "status", "due_on"),
        Index("ix_tripartite_tasks_manager", "line_manager_id", "due_on"),
        Index("ix_tripartite_tasks_supervisor", "peer_supervisor_id", "due_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    line_manager_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    peer_supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # TaskKind
    key: Mapped[str] = mapped_column(String(80))  # "probation:<id>:month_1", "return:<absence id>", ...
    owner: Mapped[str] = mapped_column(String(20), default="line_manager")  # Party who leads it
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.OPEN)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item key -> done
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)  # a stale card cannot overwrite a newer state
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaskSignoff(Base):
    __tablename__ = "task_signoffs"

    task_id: Mapped[str] = mapped_column(ForeignKey("tripartite_tasks.id", ondelete="CASCADE"), primary_key=True)
    party: Mapped[str] = mapped_column(String(20), primary_key=True)  # Party
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(12))  # Verdict
    reason: Mapped[str | None] = mapped_column(String(500))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskComment(Base):
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task", "task_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("tripartite_tasks.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    author_party: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))  # scrubbed of other people's identifiers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
