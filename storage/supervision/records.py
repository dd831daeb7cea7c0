"""Supervision records: who may record one for whom, confirming or disputing it, attendance.

Rules (the README's "Recording supervision"):
- Peer supervision and clinical supervision are recorded by the worker or their current peer
  supervisor; management supervision by the worker or their current line manager. Nobody else.
- The other party confirms: the supervisee when someone else recorded it, the supervisor when
  the supervisee recorded it themselves. Only that person may confirm or dispute, once.
- Co-reflection records come from attendance only, already confirmed, one per occurrence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from functools import cache

from sqlalchemy import Select, and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, json_rows, rows_changed, rows_of
from storage.people.models import LinkKind, Person, RecordStatus, SupervisionRecord, SupervisionType
from storage.people.repository import current_other
from storage.models import new_id, utcnow

# The types a person records on the form, and whose link makes someone the other party.
KIND_FOR = {
    SupervisionType.PEER: LinkKind.PEER_SUPERVISOR,
    SupervisionType.CLINICAL: LinkKind.PEER_SUPERVISOR,
    SupervisionType.MANAGEMENT: LinkKind.LINE_MANAGER,
}
RECORDABLE = tuple(KIND_FOR)


class Refusal(StrEnum):
    """Why a record was not made; each is a content key under supervision.refused."""

    NOT_YOURS = "not_yours"  # the recorder is neither the worker nor their supervisor of that kind
    NO_SUPERVISOR = "no_supervisor"  # the worker has nobody of that kind to confirm it
    DUPLICATE = "duplicate"  # a record of that type on that day exists (confirmed, or waiting for an answer)


class Refused(Exception):
    def __init__(self, why: Refusal) -> None:
        super().__init__(why.value)
        self.why = why


@dataclass(frozen=True)
class Draft:
    """A validated form: the worker and type checked against the recorder by `add_record`."""

    worker_id: str
    type: SupervisionType
    held_on: date
    minutes: int
    actions: str | None  # already scrubbed and capped


async def other_party(db: AsyncSession, recorder: Person, worker_id: str, kind: SupervisionType) -> Person:
    """The supervisor a record by `recorder` names, or Refused. The worker names their current
    supervisor of that kind; a supervisor may record only for their own current supervisees."""
    current = await current_other(db, worker_id, KIND_FOR[kind])
    if recorder.id == worker_id:
        if current is None:
            raise Refused(Refusal.NO_SUPERVISOR)
        return current
    if current is None or current.id != recorder.id:
        raise Refused(Refusal.NOT_YOURS)
    return recorder


async def add_record(db: AsyncSession, recorder: Person, draft: Draft) -> SupervisionRecord:
    """Save a supervision as unconfirmed, after checking who may record it (or Refused)."""
    supervisor = await other_party(db, recorder, draft.worker_id, draft.type)
    clash = await db.scalar(select(SupervisionRecord.id).where(
        SupervisionRecord.worker_id == draft.worker_id, SupervisionRecord.type == draft.type,
        SupervisionRecord.held_on == draft.held_on,
        # An unconfirmed record whose supervisor was erased can never be confirmed: not a clash.
        or_(SupervisionRecord.status == RecordStatus.CONFIRMED,
            and_(SupervisionRecord.status == RecordStatus.UNCONFIRMED, SupervisionRecord.supervisor_id.is_not(None))),
    ).limit(1))
    if clash is not None:
        raise Refused(Refusal.DUPLICATE)
    record = SupervisionRecord(worker_id=draft.worker_id, supervisor_id=supervisor.id, type=draft.type,
                               held_on=draft.held_on, minutes=draft.minutes, actions=draft.actions,
                               status=RecordStatus.UNCONFIRMED, recorded_by=recorder.id)
    db.add(record)
    await db.flush()
    return record


def confirmer_of(record: SupervisionRecord) -> str | None:
    """The person id who confirms: the supervisee, unless they recorded it themselves."""
    return record.supervisor_id if record.recorded_by == record.worker_id else record.worker_id


class Answer(StrEnum):
    DONE = "done"
    ALREADY = "already"  # answered before (a second press, or another device): nothing changed
    NOT_YOURS = "not_yours"
    MISSING = "missing"


async def answer(db: AsyncSession, record_id: object, person_id: str, *, confirm: bool,
                 reason: str | None, now: datetime) -> tuple[Answer, SupervisionRecord | None]:
    """Confirm or dispute a record as the person asked to. One UPDATE guarded by the status, so two
    presses at once (or on two replicas) answer once."""
    record = await db.get(SupervisionRecord, record_id) if isinstance(record_id, str) and record_id else None
    if record is None:
        return Answer.MISSING, None
    if confirmer_of(record) != person_id:
        return Answer.NOT_YOURS, None
    values = ({"status": RecordStatus.CONFIRMED, "confirmed_at": now} if confirm
              else {"status": RecordStatus.DISPUTED, "dispute_reason": reason})
    changed = await rows_changed(db, update(SupervisionRecord).where(
        SupervisionRecord.id == record.id, SupervisionRecord.status == RecordStatus.UNCONFIRMED).values(**values))
    await db.refresh(record)
    return (Answer.DONE if changed else Answer.ALREADY), record


async def record_attendance(db: AsyncSession, worker_id: str, held_on: date, source: str,
                            minutes: int | None = None) -> bool:
    """A confirmed co-reflection record for a worker who attended (`source`: the occurrence id).
    Idempotent on source and worker; True when newly recorded."""
    stmt = insert_for(db, SupervisionRecord).values(
        id=new_id(), worker_id=worker_id, supervisor_id=None, type=SupervisionType.CO_REFLECTION,
        held_on=held_on, minutes=minutes, status=RecordStatus.CONFIRMED, source=source,
        confirmed_at=utcnow(), created_at=utcnow())
    return await rows_changed(db, stmt.on_conflict_do_nothing(index_elements=["worker_id", "source"])) == 1


async def withdraw_attendance(db: AsyncSession, worker_id: str, source: str) -> bool:
    """Attendance unmarked (or the occurrence cancelled): its record no longer counts."""
    return await rows_changed(db, delete(SupervisionRecord).where(
        SupervisionRecord.worker_id == worker_id, SupervisionRecord.source == source,
        SupervisionRecord.type == SupervisionType.CO_REFLECTION)) == 1


async def records_of(db: AsyncSession, worker_ids: Sequence[str]) -> Sequence[SupervisionRecord]:
    """The records of these workers, newest first."""
    if not worker_ids:
        return []
    return (await db.scalars(select(SupervisionRecord).where(SupervisionRecord.worker_id.in_(worker_ids))
                             .order_by(SupervisionRecord.held_on.desc(), SupervisionRecord.created_at.desc(),
                                       SupervisionRecord.id))).all()


async def given_by(db: AsyncSession, person_id: str) -> Sequence[SupervisionRecord]:
    """Records naming the person as supervisor or recorder (for "my data")."""
    return (await db.scalars(select(SupervisionRecord).where(
        (SupervisionRecord.supervisor_id == person_id) | (SupervisionRecord.recorded_by == person_id),
        SupervisionRecord.worker_id != person_id).order_by(SupervisionRecord.held_on.desc()))).all()


@cache
def _held(dialect: str) -> Select:
    """For "my data", one statement built once per database kind: the person's own records
    (held_on, type, status; newest first) and those they gave or recorded for others (the same
    and the worker's name), as storage/dialect.py json_rows lists."""
    r, p = SupervisionRecord.__table__, Person.__table__
    person = select(p.c.id).where(p.c.user_id == bindparam("user_id")).scalar_subquery()
    worker = p.alias("worker")
    received = select(r.c.held_on, r.c.type, r.c.status, r.c.created_at, r.c.id).where(r.c.worker_id == person)
    given = (select(r.c.held_on, r.c.type, r.c.status, worker.c.name, r.c.created_at, r.c.id)
             .select_from(r.outerjoin(worker, worker.c.id == r.c.worker_id))
             .where(or_(r.c.supervisor_id == person, r.c.recorded_by == person), r.c.worker_id != person))
    return select(json_rows(dialect, received, "-held_on", "-created_at", "id"),
                  json_rows(dialect, given, "-held_on", "-created_at", "id"))


held_statement = _held  # for "my data" (storage/personal_data.py), bound by `user_id`


def held_by_user(row: Sequence[Any]) -> tuple[list[tuple[date, str, str]], list[tuple[date, str, str, str | None]]]:
    """From `held_statement`'s row: the user's person's records (day, type, status), newest
    first, and those they gave or recorded for others (with the worker's name, None when
    unknown); empty for no person."""
    received, given = row
    return ([(date.fromisoformat(d), t, s) for d, t, s, *_ in rows_of(received)],
            [(date.fromisoformat(d), t, s, name) for d, t, s, name, *_ in rows_of(given)])


async def awaiting_answer(db: AsyncSession, since: datetime) -> Sequence[SupervisionRecord]:
    """Unconfirmed records made since `since` and not yet reminded: the job asks their confirmer
    (again idempotently), which reaches someone who installed the app after it was recorded."""
    return (await db.scalars(select(SupervisionRecord).where(
        SupervisionRecord.status == RecordStatus.UNCONFIRMED, SupervisionRecord.reminded_at.is_(None),
        SupervisionRecord.created_at >= since))).all()


async def mark_reminded(db: AsyncSession, record_id: str, now: datetime) -> bool:
    """The one reminder: True the first time only."""
    return await rows_changed(db, update(SupervisionRecord).where(
        SupervisionRecord.id == record_id, SupervisionRecord.reminded_at.is_(None),
        SupervisionRecord.status == RecordStatus.UNCONFIRMED).values(reminded_at=now)) == 1


async def erase_person(db: AsyncSession, person_id: str) -> None:
    """Forget someone: their records as supervisee go; where they gave or recorded someone else's
    supervision, their id is cleared and the record stays with the supervisee, whose record it is
    (agreed actions included)."""
    await db.execute(delete(SupervisionRecord).where(SupervisionRecord.worker_id == person_id))
    await db.execute(update(SupervisionRecord).where(SupervisionRecord.supervisor_id == person_id)
                     .values(supervisor_id=None))
    await db.execute(update(SupervisionRecord).where(SupervisionRecord.recorded_by == person_id)
                     .values(recorded_by=None))
