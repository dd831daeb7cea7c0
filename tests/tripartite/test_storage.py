"""Tripartite storage: probation planned once with its reviews, extension moves open reviews, the
return-to-work task on the first day back, pauses as the worker chose, sign-off by the three only,
stale cards refused, open tasks follow a change of line manager. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.absences import Pause
from storage.db import create_engine, create_sessionmaker
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite import repository as tri
from storage.tripartite.models import TaskSignoff, TripartiteTask
from storage.tripartite.pauses import Paused, paused
from storage.tripartite.rules import (
    NotAParty, ProbationOutcome, ProbationPlan, ReasonNeeded, TaskKind, TaskStatus, Verdict,
)

PLAN = ProbationPlan()
NOW = datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
CHECKLIST = ("objectives", "training", "supervision", "adjustments")


@pytest.fixture
async def db(db_url) -> AsyncIterator[AsyncSession]:
    engine = create_engine(db_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def _three(db: AsyncSession):
    worker = await people.find_or_add_person(db, email="w@trust.nhs.uk", name="Wren")
    manager = await people.find_or_add_person(db, email="m@trust.nhs.uk", name="Max")
    sup = await people.find_or_add_person(db, email="s@trust.nhs.uk", name="Sol")
    for other, kind in ((manager, LinkKind.LINE_MANAGER), (sup, LinkKind.PEER_SUPERVISOR)):
        await people.set_link(db, worker_id=worker.id, other_id=other.id, kind=kind,
                              started_on=date(2026, 1, 5), set_by=None)
    return worker, manager, sup


async def _tasks(db: AsyncSession, worker_id: str) -> dict[str, TripartiteTask]:
    rows = await db.scalars(select(TripartiteTask).where(TripartiteTask.worker_id == worker_id))
    return {t.key.rsplit(":", 1)[-1]: t for t in rows}


async def test_probation_reviews_are_planned_once_with_the_three_parties(db):
    worker, manager, sup = await _three(db)
    probation = await tri.start_probation(db, worker_id=worker.id, starts_on=date(2026, 1, 5), plan=PLAN,
                                          checklist=CHECKLIST, recorded_by=manager.id)
    tasks = await _tasks(db, worker.id)
    assert {k: t.due_on for k, t in tasks.items()} == {
        "month_1": date(2026, 2, 5), "month_3": date(2026, 4, 5), "month_5": date(2026, 6, 5),
        "final": date(2026, 6, 21)}
    assert all((t.line_manager_id, t.peer_supervisor_id) == (manager.id, sup.id) for t in tasks.values())
    assert tasks["final"].kind == TaskKind.PROBATION_FINAL and tasks["final"].checklist["objectives"] is False
    again = await tri.add_task(db, worker_id=worker.id, kind=TaskKind.PROBATION_REVIEW,
                               key=f"probation:{probation.id}:month_1", due_on=date(2030, 1, 1))
    assert again.id == tasks["month_1"].id and again.due_on == date(2026, 2, 5)


async def test_extension_moves_only_the_reviews_not_done(db):
    worker, manager, sup = await _three(db)
    probation = await tri.start_probation(db, worker_id=worker.id, starts_on=date(2026, 1, 5), plan=PLAN,
                                          checklist=(), recorded_by=manager.id)
    tasks = await _tasks(db, worker.id)
    for person in (worker, manager, sup):
        await tri.sign(db, tasks["month_1"], person_id=person.id, verdict=Verdict.AGREED, reason="",
                       version=tasks["month_1"].version, now=NOW)
    await tri.record_outcome(db, probation, ProbationOutcome.EXTENDED, on=date(2026, 6, 1), plan=PLAN,
                             new_end=date(2026, 9, 5))
    tasks = await _tasks(db, worker.id)
    assert tasks["month_1"].due_on == date(2026, 2, 5) and tasks["month_1"].status == TaskStatus.DONE
    assert tasks["month_5"].due_on == date(2026, 8, 6)  # moved by the 62 days the end moved
    assert tasks["final"].due_on == date(2026, 8, 22)
    assert probation.ends_on == date(2026, 9, 5) and probation.outcome is None
    await tri.record_outcome(db, probation, ProbationOutcome.PASSED, on=date(2026, 8, 30), plan=PLAN)
    assert (probation.outcome, probation.outcome_on) == (ProbationOutcome.PASSED, date(2026, 8, 30))


async def test_return_to_work_is_due_on_the_first_day_back_and_pauses_are_the_workers_choice(db):
    worker, manager, _sup = await _three(db)
    absence = await tri.start_absence(db, worker_id=worker.id, kind="sickness", started_on=date(2026, 3, 2),
                                      expected_return=date(2026, 3, 16), recorded_by=manager.id)
    assert await paused(db, Paused.CHECKINS, [worker.id]) == {}
    absence.pause_checkins = True
    await db.flush()
    assert await paused(db, Paused.CHECKINS, [worker.id]) == {worker.id: [Pause(date(2026, 3, 2), None)]}
    assert await paused(db, Paused.SUPERVISION, [worker.id]) == {}
    task = await tri.record_return(db, absence, returned_on=date(2026, 3, 18), checklist=("wellness_plan",))
    assert (task.kind, task.due_on) == (TaskKind.RETURN_TO_WORK, date(2026, 3, 18))
    # Paused up to the day before the first day back.
    assert await paused(db, Paused.CHECKINS, [worker.id]) == {worker.id: [Pause(date(2026, 3, 2), date(2026, 3, 17))]}
    with pytest.raises(ValueError):
        await tri.start_absence(db, worker_id=worker.id, kind="flu", started_on=date(2026, 3, 2),
                                expected_return=None, recorded_by=None)


async def test_sign_off_by_the_three_each_as_themselves_and_stale_cards_refused(db):
    worker, manager, sup = await _three(db)
    task = await tri.add_task(db, worker_id=worker.id, kind=TaskKind.APPRAISAL, key="appraisal:2026",
                              due_on=date(2026, 4, 1))
    stranger = await people.find_or_add_person(db, email="x@trust.nhs.uk")
    with pytest.raises(NotAParty):
        await tri.sign(db, task, person_id=stranger.id, verdict=Verdict.AGREED, reason="", version=task.version,
                       now=NOW)
    old = task.version
    await tri.sign(db, task, person_id=worker.id, verdict=Verdict.AGREED, reason="", version=old, now=NOW)
    with pytest.raises(tri.StaleTask):
        await tri.sign(db, task, person_id=manager.id, verdict=Verdict.AGREED, reason="", version=old, now=NOW)
    with pytest.raises(ReasonNeeded):
        await tri.sign(db, task, person_id=manager.id, verdict=Verdict.NOT_AGREED, reason="",
                       version=task.version, now=NOW)
    await tri.sign(db, task, person_id=manager.id, verdict=Verdict.AGREED, reason="", version=task.version, now=NOW)
    state = await tri.sign(db, task, person_id=sup.id, verdict=Verdict.AGREED, reason="", version=task.version,
                           now=NOW)
    assert state.complete and task.status == TaskStatus.DONE and task.completed_at == NOW
    state = await tri.sign(db, task, person_id=sup.id, verdict=Verdict.NOT_AGREED, reason="goals missing",
                           version=task.version, now=NOW)
    assert task.status == TaskStatus.OPEN and task.completed_at is None
    rows = (await db.execute(select(TaskSignoff.party, TaskSignoff.verdict).where(TaskSignoff.task_id == task.id))).all()
    assert rows == [("peer_supervisor", "not_agreed")]


async def test_open_tasks_follow_a_new_line_manager_and_clear_the_old_sign_off(db):
    worker, manager, sup = await _three(db)
    task = await tri.add_task(db, worker_id=worker.id, kind=TaskKind.APPRAISAL, key="appraisal:2026",
                              due_on=date(2026, 4, 1))
    await tri.sign(db, task, person_id=manager.id, verdict=Verdict.AGREED, reason="", version=task.version, now=NOW)
    new_manager = await people.find_or_add_person(db, email="n@trust.nhs.uk")
    await people.set_link(db, worker_id=worker.id, other_id=new_manager.id, kind=LinkKind.LINE_MANAGER,
                          started_on=date(2026, 3, 1), set_by=None)
    assert await tri.follow_links(db, worker.id) == 1
    await db.refresh(task)
    assert task.line_manager_id == new_manager.id and task.peer_supervisor_id == sup.id
    assert (await db.scalars(select(TaskSignoff).where(TaskSignoff.task_id == task.id))).all() == []
    assert await tri.follow_links(db, worker.id) == 0
    assert [t.id for t in await tri.tasks_of(db, new_manager.id)] == [task.id]
    assert await tri.tasks_of(db, manager.id) == []


async def test_supervision_pauses_are_only_the_absences_the_worker_chose_to_pause(db):
    from storage.tripartite.pauses import supervision_pauses
    worker, manager, _sup = await _three(db)
    other = await people.find_or_add_person(db, email="o@trust.nhs.uk")
    chosen = await tri.start_absence(db, worker_id=worker.id, kind="sickness", started_on=date(2026, 4, 5),
                                     expected_return=None, recorded_by=manager.id)
    chosen.pause_supervision = True
    await tri.start_absence(db, worker_id=other.id, kind="other", started_on=date(2026, 4, 1),
                            expected_return=None, recorded_by=None)  # not chosen: no pause
    await db.flush()
    assert await supervision_pauses(db, [worker.id, other.id], date(2026, 1, 1)) == {
        worker.id: [Pause(date(2026, 4, 5), None)]}
    await tri.record_return(db, chosen, returned_on=date(2026, 4, 15), checklist=())
    assert await supervision_pauses(db, [worker.id], date(2026, 1, 1)) == {
        worker.id: [Pause(date(2026, 4, 5), date(2026, 4, 14))]}
    assert await supervision_pauses(db, [worker.id], date(2026, 4, 15)) == {}


async def test_yearly_appraisals_are_planned_without_anyone_remembering(db):
    worker, manager, sup = await _three(db)
    worker.start_date = date(2025, 3, 10)
    stranger = await people.find_or_add_person(db, email="nolinks@trust.nhs.uk")
    stranger.start_date = date(2025, 3, 10)  # no line manager: nobody to hold the appraisal with
    await db.flush()
    plan = dict(ahead_days=60, checklist=("wellbeing_conversation",))
    assert await tri.plan_due_appraisals(db, today=date(2026, 1, 8), **plan) == 0  # 61 days ahead
    assert await tri.plan_due_appraisals(db, today=date(2026, 1, 9), **plan) == 1
    assert await tri.plan_due_appraisals(db, today=date(2026, 1, 9), **plan) == 0  # once
    (task,) = await tri.tasks_of(db, worker.id)
    assert (task.kind, task.due_on, task.key) == (TaskKind.APPRAISAL, date(2026, 3, 10), "appraisal:2026")
    assert (task.line_manager_id, task.peer_supervisor_id) == (manager.id, sup.id)
    # The next one comes a year after the last, whatever happened to this one.
    assert await tri.plan_due_appraisals(db, today=date(2027, 1, 9), **plan) == 1
    assert sorted(t.due_on for t in await tri.tasks_of(db, worker.id)) == [date(2026, 3, 10), date(2027, 3, 10)]


async def test_a_long_serving_worker_is_not_given_an_appraisal_years_overdue(db):
    worker, _manager, _sup = await _three(db)
    worker.start_date = date(2019, 2, 1)
    await db.flush()
    assert await tri.plan_due_appraisals(db, today=date(2026, 1, 20), ahead_days=60, checklist=()) == 1
    (task,) = await tri.tasks_of(db, worker.id)
    assert task.due_on == date(2026, 2, 1)
