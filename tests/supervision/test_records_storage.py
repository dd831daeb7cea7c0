"""storage/supervision without the bot: attendance records (idempotent on occurrence and worker,
also when two sessions race), the rules of who may record and who answers, erasure. Both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine, create_sessionmaker
from storage.people import repository as people
from storage.people.models import LinkKind, Person, RecordStatus, SupervisionRecord, SupervisionType
from storage.supervision import records as repo
from storage.supervision.access import recordable_for, supported_by

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def open_db(db_url) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _people(db: AsyncSession) -> tuple[Person, Person, Person]:
    worker, sup, manager = [await people.find_or_add_person(db, aad_object_id=f"aad-{n}", name=n)
                            for n in ("Wren", "Sam", "Max")]
    await people.set_link(db, worker_id=worker.id, other_id=sup.id, kind=LinkKind.PEER_SUPERVISOR,
                          started_on=date(2026, 1, 1), set_by=None)
    await people.set_link(db, worker_id=worker.id, other_id=manager.id, kind=LinkKind.LINE_MANAGER,
                          started_on=date(2026, 1, 1), set_by=None)
    return worker, sup, manager


async def _count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(SupervisionRecord)) or 0


async def test_attendance_is_recorded_once_per_occurrence_confirmed_and_withdrawn(open_db):
    async with open_db() as db, db.begin():
        worker, _, _ = await _people(db)
        assert await repo.record_attendance(db, worker.id, date(2026, 11, 3), "occ-1", minutes=60)
        assert not await repo.record_attendance(db, worker.id, date(2026, 11, 3), "occ-1")
        assert await repo.record_attendance(db, worker.id, date(2026, 12, 1), "occ-2")
    async with open_db() as db:
        rows = list(await db.scalars(select(SupervisionRecord).order_by(SupervisionRecord.held_on)))
    assert [(r.type, r.status, r.source, r.supervisor_id) for r in rows] == [
        (SupervisionType.CO_REFLECTION, RecordStatus.CONFIRMED, "occ-1", None),
        (SupervisionType.CO_REFLECTION, RecordStatus.CONFIRMED, "occ-2", None)]
    async with open_db() as db, db.begin():
        assert await repo.withdraw_attendance(db, worker.id, "occ-1")
        assert not await repo.withdraw_attendance(db, worker.id, "occ-1")
        assert await _count(db) == 1


async def test_two_sessions_marking_the_same_attendance_at_once_make_one_record(open_db):
    async with open_db() as db, db.begin():
        worker, _, _ = await _people(db)

    async def mark() -> bool:
        async with open_db() as db, db.begin():
            return await repo.record_attendance(db, worker.id, date(2026, 11, 3), "occ-race")

    results = await asyncio.gather(*(mark() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    async with open_db() as db:
        assert await _count(db) == 1


async def test_who_records_names_the_other_party_and_who_answers(open_db):
    async with open_db() as db, db.begin():
        worker, sup, manager = await _people(db)
        draft = repo.Draft(worker.id, SupervisionType.CLINICAL, date(2026, 11, 20), 45, None)
        with pytest.raises(repo.Refused) as refused:
            await repo.add_record(db, manager, draft)
        assert refused.value.why is repo.Refusal.NOT_YOURS
        mine = await repo.add_record(db, worker, draft)
        assert (mine.supervisor_id, repo.confirmer_of(mine)) == (sup.id, sup.id)
        with pytest.raises(repo.Refused) as refused:
            await repo.add_record(db, sup, draft)
        assert refused.value.why is repo.Refusal.DUPLICATE
        given = await repo.add_record(db, manager, repo.Draft(worker.id, SupervisionType.MANAGEMENT,
                                                              date(2026, 11, 20), 30, "Plan leave"))
        assert repo.confirmer_of(given) == worker.id
        assert (await repo.answer(db, given.id, manager.id, confirm=True, reason=None, now=NOW))[0] \
            is repo.Answer.NOT_YOURS
        assert (await repo.answer(db, "nope", worker.id, confirm=True, reason=None, now=NOW))[0] is repo.Answer.MISSING
        assert (await repo.answer(db, given.id, worker.id, confirm=True, reason=None, now=NOW))[0] is repo.Answer.DONE
        assert (await repo.answer(db, given.id, worker.id, confirm=False, reason="x", now=NOW))[0] \
            is repo.Answer.ALREADY
        # Someone with no supervisor of a kind cannot record that kind for themselves.
        loner = await people.find_or_add_person(db, aad_object_id="aad-lone", name="Lone")
        with pytest.raises(repo.Refused) as refused:
            await repo.add_record(db, loner, repo.Draft(loner.id, SupervisionType.PEER, date(2026, 11, 20), 30, None))
        assert refused.value.why is repo.Refusal.NO_SUPERVISOR
        assert await recordable_for(db, loner) == []
        assert [(p.id, t) for p, t in await recordable_for(db, sup)] == \
            [(worker.id, (SupervisionType.PEER, SupervisionType.CLINICAL))]
        assert [s.full for s in await supported_by(db, manager.id)] == [frozenset({"management_supervision"})]


async def test_erasing_a_supervisor_keeps_the_record_and_unblocks_recording_again(open_db):
    async with open_db() as db, db.begin():
        worker, sup, _ = await _people(db)
        draft = repo.Draft(worker.id, SupervisionType.PEER, date(2026, 11, 20), 45, "Read the policy")
        waiting = await repo.add_record(db, worker, draft)
        await repo.erase_person(db, sup.id)
        await db.refresh(waiting)
        assert (waiting.supervisor_id, waiting.actions, waiting.status) == \
            (None, "Read the policy", RecordStatus.UNCONFIRMED)
        new_sup = await people.find_or_add_person(db, aad_object_id="aad-new", name="New")
        await people.set_link(db, worker_id=worker.id, other_id=new_sup.id, kind=LinkKind.PEER_SUPERVISOR,
                              started_on=date(2026, 11, 21), set_by=None)
        # Nobody could ever confirm the first one, so it does not block the same day's record.
        again = await repo.add_record(db, worker, draft)
        assert again.supervisor_id == new_sup.id
        await repo.erase_person(db, worker.id)
        assert await _count(db) == 0
