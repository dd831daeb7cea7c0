"""The absences during which workers chose to pause something: one set-based query, used by
check-in prompts (by user id), the supervision due dates (the `storage/absences.py` seam, by
person id) and the worker's own view of an absence.

A pause runs from the first day away to the day before the first day back (both ends included,
as `storage.absences.Pause`); the end is None while the worker is still away.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.absences import Pause
from storage.people.models import Person
from storage.tripartite.models import Absence


class Paused(StrEnum):
    CHECKINS = "checkins"
    SUPERVISION = "supervision"


async def paused(db: AsyncSession, what: Paused, ids: Sequence[str], *, by_user: bool = False,
                 since: date | None = None) -> dict[str, list[Pause]]:
    """Each of these people's pauses of `what`, soonest first, keyed as asked: person ids, or user
    ids with `by_user`. With `since`, only pauses ending on or after that day (or still going)."""
    if not ids:
        return {}
    chosen = Absence.pause_checkins if what == Paused.CHECKINS else Absence.pause_supervision
    key = Person.user_id if by_user else Absence.worker_id
    ordered = sorted(ids)
    # A range along the index by worker (or user) narrows the read; IN keeps it exact. Callers
    # ask for a chunk of ids in order, so the range is tight.
    query = select(key, Absence.started_on, Absence.returned_on).select_from(Absence).where(
        chosen.is_(True), and_(key >= ordered[0], key <= ordered[-1]), key.in_(ordered))
    if by_user:
        query = query.join(Person, Person.id == Absence.worker_id)
    if since is not None:
        query = query.where(or_(Absence.returned_on.is_(None), Absence.returned_on > since))
    found: dict[str, list[Pause]] = {}
    for owner, start, back in await db.execute(query.order_by(Absence.started_on, Absence.id)):
        if owner is None:  # never, by the IN; said again for the type checker
            continue
        found.setdefault(owner, []).append(Pause(start, back - timedelta(days=1) if back else None))
    return found


async def supervision_pauses(db: AsyncSession, worker_ids: Sequence[str], since: date) -> dict[str, list[Pause]]:
    """The `storage/absences.py` lookup: pauses of supervision due dates, by worker person id."""
    return await paused(db, Paused.SUPERVISION, worker_ids, since=since)
