"""Attendance at a co-reflection, and the confirmed supervision record it counts as.

Being there is the confirmation (the lead saw them, or they pressed "I'm here" during the
meeting), so the record is written CONFIRMED, type co_reflection, with the occurrence id as its
`source`: it counts towards the member's co-reflection cadence like any confirmed record. It is
written once per worker and occurrence: only the statement that turns `attended_at` from empty
to set writes it, and a row lock makes a second press (or a second replica) find it set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence, CoReflectionResponse
from storage.coreflections.repository import ensure_response
from storage.dialect import rows_changed
from storage.people.models import RecordStatus, SupervisionRecord, SupervisionType
from storage.sessions.recurrence import in_zone


async def record_co_reflection(db: AsyncSession, *, worker_id: str, source: str, held_on_at: datetime, zone: str,
                               minutes: int, recorded_by: str | None, now: datetime) -> bool:
    """A confirmed co-reflection record for `worker_id` from `source`, unless one exists. True if written."""
    exists = await db.scalar(select(SupervisionRecord.id).where(
        SupervisionRecord.worker_id == worker_id, SupervisionRecord.source == source,
        SupervisionRecord.type == SupervisionType.CO_REFLECTION).limit(1))
    if exists is not None:
        return False
    db.add(SupervisionRecord(worker_id=worker_id, supervisor_id=None, type=SupervisionType.CO_REFLECTION,
                             held_on=in_zone(held_on_at, zone).date(), minutes=minutes,
                             status=RecordStatus.CONFIRMED, recorded_by=recorded_by, source=source,
                             confirmed_at=now))
    await db.flush()
    return True


async def mark_attended(db: AsyncSession, occurrence: CoReflectionOccurrence, group: CoReflectionGroup,
                        person_id: str, *, marked_by: str, now: datetime) -> bool:
    """Mark a member present; True when this call marked them (and wrote their record)."""
    await ensure_response(db, occurrence.id, person_id)
    changed = await rows_changed(db, update(CoReflectionResponse).where(
        CoReflectionResponse.occurrence_id == occurrence.id, CoReflectionResponse.person_id == person_id,
        CoReflectionResponse.attended_at.is_(None)).values(attended_at=now, marked_by=marked_by))
    if changed != 1:
        return False
    await record_co_reflection(db, worker_id=person_id, source=occurrence.id, held_on_at=occurrence.starts_at,
                               zone=group.time_zone, minutes=group.minutes, recorded_by=marked_by, now=now)
    return True


async def unmark_attended(db: AsyncSession, occurrence_id: str, person_id: str) -> bool:
    """The lead takes back a mistaken mark: the record it wrote goes too."""
    changed = await rows_changed(db, update(CoReflectionResponse).where(
        CoReflectionResponse.occurrence_id == occurrence_id, CoReflectionResponse.person_id == person_id,
        CoReflectionResponse.attended_at.is_not(None)).values(attended_at=None, marked_by=None))
    if changed:
        await db.execute(delete(SupervisionRecord).where(
            SupervisionRecord.worker_id == person_id, SupervisionRecord.source == occurrence_id,
            SupervisionRecord.type == SupervisionType.CO_REFLECTION))
    return bool(changed)
