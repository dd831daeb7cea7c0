"""What tripartite work holds about one person, and erasing it.

A task belongs to three people. Erasing the worker removes the worker's tasks (with their
sign-offs and notes), probations and absences: it is their employment record in this bot.
Erasing a line manager or peer supervisor keeps the task for the other two, who still need it:
that party is cleared (the task shows the place as not set up yet, and moves to whoever takes the
link next), their sign-offs keep the verdict without the person, and their notes keep the text
without the author, so the other two do not lose what was agreed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import json_rows, rows_of
from storage.people.models import Person
from storage.tripartite.models import Absence, Probation, TaskComment, TaskSignoff, TripartiteTask


@dataclass(frozen=True)
class Held:
    as_worker: int  # tasks about them
    as_party: int  # tasks they are line manager or peer supervisor of
    absences: tuple[tuple[str, str, str], ...]  # (kind, first day away, first day back or "")
    probations: tuple[tuple[str, str], ...]  # (start, end)


_T, _A, _P = TripartiteTask.__table__, Absence.__table__, Probation.__table__


@cache
def _held(dialect: str) -> Select:
    """`held` in one statement, built once per database kind (lists: storage/dialect.py json_rows)."""
    person = select(Person.__table__.c.id).where(Person.__table__.c.user_id == bindparam("user_id")).scalar_subquery()
    return select(
        person,
        select(func.count()).select_from(_T).where(_T.c.worker_id == person).scalar_subquery(),
        select(func.count()).select_from(_T).where(
            or_(_T.c.line_manager_id == person, _T.c.peer_supervisor_id == person)).scalar_subquery(),
        json_rows(dialect, select(_A.c.kind, _A.c.started_on, _A.c.returned_on).where(_A.c.worker_id == person),
                  "started_on"),
        json_rows(dialect, select(_P.c.starts_on, _P.c.ends_on).where(_P.c.worker_id == person), "starts_on"),
    )


held_statement = _held  # for "my data" (storage/personal_data.py), bound by `user_id`


def held(row: Sequence[Any]) -> Held | None:
    """From `held_statement`'s row: what tripartite work holds about the user's person (None when
    the user is no person)."""
    person, as_worker, as_party, absences, probations = row
    if person is None:
        return None
    # Dates come as ISO text on both engines, as the card shows them.
    return Held(as_worker or 0, as_party or 0, tuple((k, s, b or "") for k, s, b in rows_of(absences)),
                tuple((s, e) for s, e in rows_of(probations)))


async def erase_person(db: AsyncSession, person_id: str) -> None:
    """See the module docstring. Sign-offs and notes of the worker's tasks go with the tasks."""
    await db.execute(delete(TripartiteTask).where(TripartiteTask.worker_id == person_id))
    await db.execute(delete(Probation).where(Probation.worker_id == person_id))
    await db.execute(delete(Absence).where(Absence.worker_id == person_id))
    for column in (TripartiteTask.line_manager_id, TripartiteTask.peer_supervisor_id):
        await db.execute(update(TripartiteTask).where(column == person_id)
                         .values({column: None, TripartiteTask.version: TripartiteTask.version + 1}))
    await db.execute(update(TaskSignoff).where(TaskSignoff.person_id == person_id).values(person_id=None))
    await db.execute(update(TaskComment).where(TaskComment.author_id == person_id).values(author_id=None))
    await db.execute(update(Probation).where(Probation.recorded_by == person_id).values(recorded_by=None))
    await db.execute(update(Absence).where(Absence.recorded_by == person_id).values(recorded_by=None))
    await db.flush()
