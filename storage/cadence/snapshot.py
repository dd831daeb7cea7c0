"""Everyone's due dates, read set-based: a thousand workers at a time, three queries a chunk.

A chunk is the workers (people with an active line manager or peer supervisor, with their User's
zone), their active links (with each other person's User and zone), and the date of their last
confirmed record of each type (one GROUP BY). Absences come from the seam in storage/absences.py,
also for the whole chunk. Nothing here is asked once per worker, so the hourly job, the
compliance views and the digest cost the same few statements whatever the organisation's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from storage.absences import AbsenceDirectory, Pause
from storage.cadence.rules import Rules, State, next_due, state
from storage.models import User
from storage.people.models import LinkStatus, Person, PersonLink, RecordStatus, SupervisionRecord

CHUNK = 1000
# Absences ending longer ago than this are not asked for: they cannot move a due date still to come.
LOOKBACK = timedelta(days=400)


class WorkerRow(NamedTuple):
    id: str
    user_id: str | None
    name: str
    organisation: str
    team: str
    start_date: date | None
    zone: str | None


class LinkRow(NamedTuple):
    kind: str
    other_id: str
    other_user_id: str | None
    other_name: str
    other_zone: str | None
    started_on: date | None


class Item(NamedTuple):
    """One worker and one type: when it is next due and where they stand today. Rows of a tick
    are tuples: a frozen dataclass costs several times as much to make, 30,000 times a tick."""

    worker: WorkerRow
    type: str
    due: date | None
    last_held: date | None
    state: State
    supervisor: LinkRow | None  # the other party reminded with the worker, if the type has one


@dataclass
class Chunk:
    workers: list[WorkerRow]
    links: dict[str, dict[str, LinkRow]] = field(default_factory=dict)
    last: dict[tuple[str, str], date] = field(default_factory=dict)
    pauses: dict[str, list[Pause]] = field(default_factory=dict)


def is_worker() -> ColumnElement[bool]:
    """People with an active line manager or peer supervisor: those supervision is due for."""
    return Person.id.in_(select(PersonLink.worker_id).where(PersonLink.status == LinkStatus.ACTIVE))


async def chunks(db: AsyncSession, absences: AbsenceDirectory, since: date, *,
                 scope: ColumnElement[bool] | None = None, size: int = CHUNK) -> AsyncIterator[Chunk]:
    """The workers matching `scope` (all of them when None), in id order, `size` at a time, with
    their absences ending on or after `since`."""
    after = ""
    # Core rows on the session's connection: the ORM's per-row work buys nothing for plain columns.
    conn = await db.connection()
    while True:
        rows = (await conn.execute(
            select(Person.id, Person.user_id, Person.name, Person.organisation, Person.team, Person.start_date,
                   User.time_zone)
            .outerjoin(User, User.id == Person.user_id)
            .where(is_worker(), scope if scope is not None else true(), Person.id > after)
            .order_by(Person.id).limit(size))).all()
        if not rows:
            return
        chunk = Chunk([WorkerRow(*row) for row in rows])
        ids = [w.id for w in chunk.workers]
        await _fill(conn, chunk, ids, whole=scope is None)
        chunk.pauses = await absences.pauses(db, ids, since)
        yield chunk
        if len(rows) < size:
            return
        after = rows[-1].id


def _among(column: Any, ids: list[str], whole: bool) -> ColumnElement[bool]:
    """Rows of the chunk's workers. Everyone's chunk is an id range, read along the indexes by
    worker (a subquery or a thousand bound ids made PostgreSQL scan whole tables, or cost more to
    compile than to run); a scoped view's workers are few, and named."""
    in_range = and_(column >= ids[0], column <= ids[-1])
    return in_range if whole else and_(in_range, column.in_(ids))


async def _fill(conn: AsyncConnection, chunk: Chunk, ids: list[str], *, whole: bool) -> None:
    other, other_user = aliased(Person), aliased(User)
    links = await conn.execute(
        select(PersonLink.worker_id, PersonLink.kind, PersonLink.other_id, other.user_id, other.name,
               other_user.time_zone, PersonLink.started_on)
        .join(other, other.id == PersonLink.other_id)
        .outerjoin(other_user, other_user.id == other.user_id)
        .where(_among(PersonLink.worker_id, ids, whole), PersonLink.status == LinkStatus.ACTIVE))
    for worker_id, kind, other_id, user_id, name, zone, started_on in links.all():
        chunk.links.setdefault(worker_id, {})[kind] = LinkRow(kind, other_id, user_id, name, zone, started_on)
    last = await conn.execute(
        select(SupervisionRecord.worker_id, SupervisionRecord.type, func.max(SupervisionRecord.held_on))
        .where(_among(SupervisionRecord.worker_id, ids, whole), SupervisionRecord.status == RecordStatus.CONFIRMED)
        .group_by(SupervisionRecord.worker_id, SupervisionRecord.type))
    chunk.last = {(worker_id, kind): held for worker_id, kind, held in last.all()}


def items(chunk: Chunk, rules: Rules, today: date) -> list[Item]:
    """Each worker's due date and state for every enabled type."""
    out = []
    for worker in chunk.workers:
        links = chunk.links.get(worker.id, {})
        pauses = chunk.pauses.get(worker.id, [])
        for kind, cadence in rules.cadences.items():
            supervisor = links.get(cadence.supervisor) if cadence.supervisor else None
            last = chunk.last.get((worker.id, kind))
            # No start date in role: count from the day the supervision relationship began.
            start = worker.start_date or _link_start(links, supervisor)
            due = next_due(cadence, last_held=last, start_date=start, pauses=pauses)
            out.append(Item(worker, kind, due, last, state(due, today, pauses, rules.thresholds), supervisor))
    return out


def _link_start(links: dict[str, LinkRow], supervisor: LinkRow | None) -> date | None:
    if supervisor is not None and supervisor.started_on is not None:
        return supervisor.started_on
    starts = [link.started_on for link in links.values() if link.started_on is not None]
    return min(starts) if starts else None


async def items_of(db: AsyncSession, absences: AbsenceDirectory, rules: Rules, today: date,
                   scope: ColumnElement[bool] | None = None) -> list[Item]:
    """Every item of the workers in `scope`, for views of a bounded set of people."""
    return [item async for chunk in chunks(db, absences, today - LOOKBACK, scope=scope) for item in items(chunk, rules, today)]
