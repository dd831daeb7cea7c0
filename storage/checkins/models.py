"""Tables of the daily check-in. A person's check-ins are theirs alone (see repository.py).

- `checkin_plans`: one row per person who set up (or used) check-ins: whether to ask, when (local
  times per weekday, in the plan's own zone), pause and skip, retention and the weekly reflection.
- `checkins`: one row per check-in. The scale, the states and the needs are plain columns (their
  owner's "my check-ins" reads them); every word the person typed is in `sealed`, encrypted with
  AES-GCM under a key for that person derived from the deployment secret (sealing.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow

DEFAULT_RETENTION_DAYS = 90
RETENTION_CHOICES = (30, 90, 365)


class CheckinPlan(Base):
    __tablename__ = "checkin_plans"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)  # False: never asked, or stopped
    time_zone: Mapped[str] = mapped_column(String(64))
    # {"mon": "17:30", "sat": "08:15", ...}: local wall-clock times; a missing day is not asked.
    times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    paused_until: Mapped[date | None] = mapped_column(Date)  # first local date asked again
    skipped_on: Mapped[date | None] = mapped_column(Date)
    weekly_day: Mapped[int | None] = mapped_column(SmallInteger)  # 0 = Monday; None: no reflection
    retention_days: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_RETENTION_DAYS)
    # Prompts due before a change are not queued by it: a change applies from the next prompt.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_user_date", "user_id", "local_date"),
                      Index("ix_checkins_created", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    feeling: Mapped[int] = mapped_column(SmallInteger)  # 1 (lowest) to 5
    states: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    let_go: Mapped[bool] = mapped_column(Boolean, default=False)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # hard thing, went well, note
