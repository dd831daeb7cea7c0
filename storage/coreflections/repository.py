"""Groups, members and occurrences of co-reflections. Plain rules; no SDK here.

Who may read what is decided here, from the person asking (never from card data): the group's
lead sees its register and attendance, members see its schedule and their own answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coreflections.models import (
    CoReflectionGroup, CoReflectionMember, CoReflectionOccurrence, CoReflectionResponse, OccurrenceStatus,
)
from storage.coreflections.recurrence import first_start, instants, local_to_utc
from storage.dialect import insert_for
from storage.models import new_id, utcnow
from storage.people.models import Person

LIVE = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED)


@dataclass(frozen=True)
class NewGroup:
    name: str
    joining_url: str
    rule: str  # RRULE value
    on_or_after: date
    at: time
    minutes: int
    zone: str


def start_time(group: CoReflectionGroup) -> time:
    return time.fromisoformat(group.start_time)


async def create_group(db: AsyncSession, new: NewGroup, *, lead_id: str, member_ids: Sequence[str]) -> CoReflectionGroup:
    """A group meeting by `new.rule` from its first instance on or after `new.on_or_after`;
    members in rota order."""
    first = first_start(new.rule, new.on_or_after, new.at)
    group = CoReflectionGroup(name=new.name, lead_id=lead_id, joining_url=new.joining_url, rrule=new.rule,
                              starts_on=first.date(), start_time=new.at.strftime("%H:%M"), minutes=new.minutes,
                              time_zone=new.zone)
    db.add(group)
    await db.flush()
    for position, person_id in enumerate(dict.fromkeys(member_ids)):
        db.add(CoReflectionMember(group_id=group.id, person_id=person_id, position=position))
    await db.flush()
    return group


async def get_group(db: AsyncSession, group_id: object) -> CoReflectionGroup | None:
    return await db.get(CoReflectionGroup, group_id) if isinstance(group_id, str) and group_id else None


async def get_occurrence(db: AsyncSession, occurrence_id: object) -> CoReflectionOccurrence | None:
    if not isinstance(occurrence_id, str) or not occurrence_id:
        return None
    return await db.get(CoReflectionOccurrence, occurrence_id)


async def members(db: AsyncSession, group_id: str) -> list[tuple[CoReflectionMember, Person]]:
    """The members with their people, in rota order."""
    rows = await db.execute(select(CoReflectionMember, Person).join(Person, Person.id == CoReflectionMember.person_id)
                            .where(CoReflectionMember.group_id == group_id).order_by(CoReflectionMember.position))
    return [(m, p) for m, p in rows.all()]


async def membership(db: AsyncSession, group_id: str, person_id: str | None) -> CoReflectionMember | None:
    if not person_id:
        return None
    return await db.scalar(select(CoReflectionMember).where(
        CoReflectionMember.group_id == group_id, CoReflectionMember.person_id == person_id))


async def groups_of_member(db: AsyncSession, person_id: str) -> Sequence[CoReflectionGroup]:
    return (await db.scalars(select(CoReflectionGroup).join(
        CoReflectionMember, CoReflectionMember.group_id == CoReflectionGroup.id).where(
        CoReflectionMember.person_id == person_id, CoReflectionGroup.active.is_(True))
        .order_by(CoReflectionGroup.name, CoReflectionGroup.id))).all()


async def groups_led_by(db: AsyncSession, person_id: str) -> Sequence[CoReflectionGroup]:
    return (await db.scalars(select(CoReflectionGroup).where(
        CoReflectionGroup.lead_id == person_id, CoReflectionGroup.active.is_(True))
        .order_by(CoReflectionGroup.name, CoReflectionGroup.id))).all()


async def ensure_occurrences(db: AsyncSession, group: CoReflectionGroup, begin: datetime,
                             end: datetime) -> None:
    """Make a row for every rule instant in [begin, end) (the rota's turn fixed on it); existing
    ones, moved or cancelled, are left as they are."""
    rota = [m.person_id for m, _ in await members(db, group.id)]
    rows = []
    for index, instant in instants(group.rrule, group.starts_on, start_time(group), group.time_zone, begin, end):
        rows.append({"id": new_id(), "group_id": group.id, "original_start": instant, "starts_at": instant,
                     "ends_at": instant + timedelta(minutes=group.minutes), "status": OccurrenceStatus.SCHEDULED,
                     "facilitator_id": rota[index % len(rota)] if rota else None, "version": 0,
                     "updated_at": utcnow()})
    if rows:
        await db.execute(insert_for(db, CoReflectionOccurrence).values(rows)
                         .on_conflict_do_nothing(index_elements=["group_id", "original_start"]))


async def occurrences(db: AsyncSession, group_id: str, begin: datetime, end: datetime, *,
                      live_only: bool = False) -> Sequence[CoReflectionOccurrence]:
    """Occurrences happening (or, cancelled, once due) in [begin, end), soonest first."""
    query = select(CoReflectionOccurrence).where(
        CoReflectionOccurrence.group_id == group_id, CoReflectionOccurrence.starts_at >= begin,
        CoReflectionOccurrence.starts_at < end)
    if live_only:
        query = query.where(CoReflectionOccurrence.status.in_(LIVE))
    return (await db.scalars(query.order_by(CoReflectionOccurrence.starts_at))).all()


async def exceptions(db: AsyncSession, group_id: str) -> Sequence[CoReflectionOccurrence]:
    """Cancelled and moved occurrences: the EXDATEs and RECURRENCE-ID overrides of the feed."""
    return (await db.scalars(select(CoReflectionOccurrence).where(
        CoReflectionOccurrence.group_id == group_id,
        CoReflectionOccurrence.status.in_((OccurrenceStatus.CANCELLED, OccurrenceStatus.MOVED)))
        .order_by(CoReflectionOccurrence.original_start))).all()


def move(occurrence: CoReflectionOccurrence, group: CoReflectionGroup, local: datetime) -> None:
    """One meeting to a new local start, the rest of the series untouched."""
    occurrence.starts_at = local_to_utc(local, group.time_zone)
    occurrence.ends_at = occurrence.starts_at + timedelta(minutes=group.minutes)
    occurrence.status = OccurrenceStatus.MOVED
    occurrence.version += 1


def cancel(occurrence: CoReflectionOccurrence) -> None:
    occurrence.status = OccurrenceStatus.CANCELLED
    occurrence.version += 1


async def response_of(db: AsyncSession, occurrence_id: str, person_id: str) -> CoReflectionResponse | None:
    return await db.scalar(select(CoReflectionResponse).where(
        CoReflectionResponse.occurrence_id == occurrence_id, CoReflectionResponse.person_id == person_id))


async def ensure_response(db: AsyncSession, occurrence_id: str, person_id: str) -> CoReflectionResponse:
    """The member's row for one meeting, made once however many replicas ask at the same moment."""
    await db.execute(insert_for(db, CoReflectionResponse).values(
        id=new_id(), occurrence_id=occurrence_id, person_id=person_id)
        .on_conflict_do_nothing(index_elements=["occurrence_id", "person_id"]))
    found = await response_of(db, occurrence_id, person_id)
    assert found is not None
    return found


async def responses(db: AsyncSession, occurrence_ids: Sequence[str],
                    person_id: str | None = None) -> Sequence[CoReflectionResponse]:
    """Answers and attendance for these meetings: everyone's (the lead's view) or one person's."""
    if not occurrence_ids:
        return []
    query = select(CoReflectionResponse).where(CoReflectionResponse.occurrence_id.in_(occurrence_ids))
    if person_id is not None:
        query = query.where(CoReflectionResponse.person_id == person_id)
    return (await db.scalars(query)).all()
