"""Plans and check-ins. Every read takes the owner's id and returns that owner's rows only:
there is no query here over other people's check-ins, nor any aggregate of them, so no role
can be given one. The retention purge is the one statement across people, and it only deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkins.models import DEFAULT_RETENTION_DAYS, RETENTION_CHOICES, Checkin, CheckinPlan
from storage.checkins.prompts import CONTACT_KIND, KINDS, drop_pending
from storage.checkins.sealing import PrivateText, Sealer
from storage.dialect import rows_changed
from storage.models import new_id


@dataclass(frozen=True)
class CheckinView:
    """One of the owner's check-ins, opened."""

    id: str
    day: date
    created_at: datetime
    feeling: int
    states: tuple[str, ...]
    needs: tuple[str, ...]
    let_go: bool
    text: PrivateText


async def plan_of(db: AsyncSession, owner_id: str) -> CheckinPlan | None:
    return await db.get(CheckinPlan, owner_id)


async def ensure_plan(db: AsyncSession, owner_id: str, zone: str) -> CheckinPlan:
    plan = await db.get(CheckinPlan, owner_id)
    if plan is None:
        plan = CheckinPlan(user_id=owner_id, active=False, time_zone=zone, times={},
                           retention_days=DEFAULT_RETENTION_DAYS, version=0)
        db.add(plan)
        await db.flush()
    return plan


def changed(plan: CheckinPlan, now: datetime) -> None:
    """Mark a change of schedule: pending prompts carry the old version and are not sent."""
    plan.version = (plan.version or 0) + 1
    plan.changed_at = now


async def add_checkin(db: AsyncSession, sealer: Sealer, owner_id: str, day: date, at: datetime, *,
                      feeling: int, states: Sequence[str], needs: Sequence[str], let_go: bool,
                      text: PrivateText) -> str:
    checkin_id = new_id()
    db.add(Checkin(id=checkin_id, user_id=owner_id, local_date=day, created_at=at, feeling=feeling,
                   states=list(states),
                   needs=list(needs), let_go=let_go, sealed=sealer.seal(owner_id, checkin_id, text)))
    await db.flush()
    return checkin_id


async def checked_in_on(db: AsyncSession, owner_id: str, day: date) -> bool:
    found = await db.scalar(select(Checkin.id).where(Checkin.user_id == owner_id, Checkin.local_date == day)
                            .limit(1))
    return found is not None


async def history(db: AsyncSession, sealer: Sealer, owner_id: str, since: date | None = None) -> list[CheckinView]:
    """The owner's check-ins from `since` (all when None), oldest first, opened."""
    query = select(Checkin).where(Checkin.user_id == owner_id)
    if since is not None:
        query = query.where(Checkin.local_date >= since)
    rows = await db.scalars(query.order_by(Checkin.created_at, Checkin.id))
    return [CheckinView(r.id, r.local_date, r.created_at, r.feeling, tuple(r.states or ()), tuple(r.needs or ()),
                        bool(r.let_go), sealer.open(owner_id, r.id, r.sealed)) for r in rows]


async def count_of(db: AsyncSession, owner_id: str) -> tuple[int, date | None]:
    """How many check-ins the owner has, and the date of the oldest."""
    count, oldest = (await db.execute(select(func.count(), func.min(Checkin.local_date))
                                      .where(Checkin.user_id == owner_id))).one()
    return count or 0, oldest


_P, _C = CheckinPlan.__table__, Checkin.__table__


def _of_plan(column: Any) -> Any:
    return select(column).where(_P.c.user_id == bindparam("user_id")).scalar_subquery()


# Built once: the plan's active flag, times and retention (NULL without a plan) and the count.
_HELD = select(_of_plan(_P.c.active), _of_plan(_P.c.times), _of_plan(_P.c.retention_days),
               select(func.count()).select_from(_C).where(_C.c.user_id == bindparam("user_id")).scalar_subquery())


def held_statement(_dialect: str) -> Select:
    """For "my data" (storage/personal_data.py), bound by `user_id`: see `held`."""
    return _HELD


def held(row: Sequence[Any]) -> tuple[dict[str, str] | None, int, int]:
    """From `held_statement`'s row: the active plan's times (None without an active plan), the
    retention in days and how many check-ins are kept."""
    active, times, retention, count = row
    return (times if active else None), DEFAULT_RETENTION_DAYS if retention is None else retention, count or 0


async def delete_checkins(db: AsyncSession, owner_id: str) -> int:
    return await rows_changed(db, delete(Checkin).where(Checkin.user_id == owner_id))


async def erase(db: AsyncSession, owner_id: str) -> None:
    """Everything check-ins hold about a person: check-ins, plan, queued prompts."""
    await delete_checkins(db, owner_id)
    await drop_pending(db, owner_id, [*KINDS.values(), CONTACT_KIND])
    await db.execute(delete(CheckinPlan).where(CheckinPlan.user_id == owner_id))


async def purge_expired(db: AsyncSession, now: datetime) -> int:
    """Delete check-ins older than their owner's retention (the default for people without a plan)."""
    deleted = 0
    for days in RETENTION_CHOICES:
        owners = select(CheckinPlan.user_id).where(CheckinPlan.retention_days == days)
        if days == DEFAULT_RETENTION_DAYS:
            keepers = select(CheckinPlan.user_id).where(CheckinPlan.retention_days != days)
            who = Checkin.user_id.not_in(keepers)
        else:
            who = Checkin.user_id.in_(owners)
        deleted += await rows_changed(db, delete(Checkin).where(who, Checkin.created_at < now - timedelta(days=days)))
    return deleted
