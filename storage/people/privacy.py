"""A person's own people data for "my data", and erasing it.

Erasing keeps the other party's history minimal but honest:
- links where the person is the worker are deleted (they are the person's own record);
- pending requests naming them are deleted (they never took effect);
- an active link where they are the line manager or peer supervisor ends today, and, with any
  ended one, stays in the worker's history with its dates and kind, pointing at a person row with
  every detail blanked (shown as "someone whose details were deleted");
- supervision records where they were supervised are deleted; where they were the supervisor or
  the recorder, that column is emptied (the model allows it) and the worker's record stays;
- "set up by" and "added by" marks naming them are emptied;
- the person row is deleted when nothing points at it any more, else blanked; a blank row goes
  when the last worker whose history it served erases theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.people.models import LinkStatus, Person, PersonLink, SupervisionRecord
from storage.people.repository import person_of_user


_P, _L = Person.__table__, PersonLink.__table__


def _links(column: Any) -> Any:
    return select(func.count()).select_from(_L).where(column == _P.c.id).scalar_subquery()


# Built once: the person row's id, details and counts of links, as worker and as manager or supervisor.
_DESCRIBE = select(_P.c.id, _P.c.email, _P.c.team, _P.c.organisation, _P.c.start_date,
                   _links(_L.c.worker_id), _links(_L.c.other_id)).where(_P.c.user_id == bindparam("user_id"))


def held_statement(_dialect: str) -> Select:
    """For "my data" (storage/personal_data.py), bound by `user_id`: see `describe`."""
    return _DESCRIBE


def describe(row: Sequence[Any]) -> tuple[tuple[str, ...], dict[str, int]] | None:
    """From `held_statement`'s row: the person's details held (email, team, organisation, start
    date) and counts of links; None when the user is no person."""
    person, email, team, organisation, start, as_worker, as_other = row
    if person is None:
        return None
    details = tuple(v for v in (email, team, organisation, str(start) if start else "") if v)
    return details, {"as_worker": as_worker or 0, "as_other": as_other or 0}


async def erase(db: AsyncSession, user: User, today: date) -> None:
    person = await person_of_user(db, user.id)
    if person is None:
        return
    pid = person.id
    others = set((await db.scalars(select(PersonLink.other_id).where(PersonLink.worker_id == pid))).all())
    await db.execute(delete(PersonLink).where(PersonLink.worker_id == pid))
    await db.execute(delete(PersonLink).where(PersonLink.other_id == pid, PersonLink.status == LinkStatus.PENDING))
    await db.execute(update(PersonLink).where(PersonLink.other_id == pid, PersonLink.status == LinkStatus.ACTIVE)
                     .values(status=LinkStatus.ENDED, ended_on=today))
    await db.execute(delete(SupervisionRecord).where(SupervisionRecord.worker_id == pid))
    await db.execute(update(SupervisionRecord).where(SupervisionRecord.supervisor_id == pid).values(supervisor_id=None))
    await db.execute(update(SupervisionRecord).where(SupervisionRecord.recorded_by == pid).values(recorded_by=None))
    await db.execute(update(PersonLink).where(PersonLink.set_by == pid).values(set_by=None))
    await db.execute(update(Person).where(Person.added_by == pid).values(added_by=None))
    kept = await db.scalar(select(func.count()).select_from(PersonLink).where(
        or_(PersonLink.other_id == pid, PersonLink.worker_id == pid)))
    if kept:
        person.user_id = person.aad_object_id = person.email = person.added_by = person.start_date = None
        person.name = person.team = person.organisation = ""
    else:
        await db.delete(person)
    # A supervisor erased earlier was kept, blank, for this worker's history alone: now nobody's.
    await db.execute(delete(Person).where(
        Person.id.in_(others - {pid}), Person.user_id.is_(None), Person.aad_object_id.is_(None),
        Person.email.is_(None), ~select(PersonLink.id).where(PersonLink.other_id == Person.id).exists(),
        ~select(PersonLink.id).where(PersonLink.worker_id == Person.id).exists()))
    await db.flush()
