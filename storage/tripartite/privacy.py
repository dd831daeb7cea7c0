"""What tripartite work holds about one person, and erasing it.

A task belongs to three people. Erasing the worker removes the worker's tasks (with their
sign-offs and notes), probations and absences: it is their employment record in this bot.
Erasing a line manager or peer supervisor keeps the task for the other two, who still need it:
that party is cleared (the task shows the place as not set up yet, and moves to whoever takes the
link next), their sign-offs keep the verdict without the person, and their notes keep the text
without the author, so the other two do not lose what was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tripartite.models import Absence, Probation, TaskComment, TaskSignoff, TripartiteTask


@dataclass(frozen=True)
class Held:
    as_worker: int  # tasks about them
    as_party: int  # tasks they are line manager or peer supervisor of
    absences: tuple[tuple[str, str, str], ...]  # (kind, first day away, first day back or "")
    probations: tuple[tuple[str, str], ...]  # (start, end)


async def held(db: AsyncSession, person_id: str) -> Held:
    as_worker = await db.scalar(select(func.count()).select_from(TripartiteTask)
                                .where(TripartiteTask.worker_id == person_id))
    as_party = await db.scalar(select(func.count()).select_from(TripartiteTask).where(
        or_(TripartiteTask.line_manager_id == person_id, TripartiteTask.peer_supervisor_id == person_id)))
    absences = (await db.execute(select(Absence.kind, Absence.started_on, Absence.returned_on)
                                 .where(Absence.worker_id == person_id).order_by(Absence.started_on))).all()
    probations = (await db.execute(select(Probation.starts_on, Probation.ends_on)
                                   .where(Probation.worker_id == person_id).order_by(Probation.starts_on))).all()
    return Held(as_worker or 0, as_party or 0,
                tuple((k, s.isoformat(), b.isoformat() if b else "") for k, s, b in absences),
                tuple((s.isoformat(), e.isoformat()) for s, e in probations))


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
