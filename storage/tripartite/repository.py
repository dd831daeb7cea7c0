"""Tripartite tasks over the tables in models.py: planning them, absences, sign-off, comments.

Role checks about *who may ask* live in the feature's dialogs; the rules that protect the record
itself live here, so no path can skip them: only a task's parties sign it, each only as themselves,
and a stale card (an older `version`) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.dialect import insert_for
from storage.models import new_id, utcnow
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from storage.people.repository import current_other
from storage.tripartite.models import Absence, Probation, TaskComment, TaskSignoff, TripartiteTask
from storage.tripartite.rules import (
    Parties, Party, PlannedReview, ProbationOutcome, ProbationPlan, SignOffs, TaskKind, TaskStatus, Verdict,
    extended_dues, next_appraisal, probation_end, probation_reviews,
)


class StaleTask(Exception):
    """The task changed since the card was sent: show it again rather than overwrite."""


class MissingParty(ValueError):
    """A task can be signed off only when it has a worker, a line manager and a peer supervisor."""


async def current_parties(db: AsyncSession, worker_id: str) -> tuple[str | None, str | None]:
    """The worker's line manager and peer supervisor now (person ids), either possibly missing."""
    manager = await current_other(db, worker_id, LinkKind.LINE_MANAGER)
    supervisor = await current_other(db, worker_id, LinkKind.PEER_SUPERVISOR)
    return (manager.id if manager else None, supervisor.id if supervisor else None)


def parties_of(task: TripartiteTask) -> Parties:
    if not task.line_manager_id or not task.peer_supervisor_id:
        raise MissingParty(task.id)
    return Parties(task.worker_id, task.line_manager_id, task.peer_supervisor_id)


def party_ids(task: TripartiteTask) -> set[str]:
    return {p for p in (task.worker_id, task.line_manager_id, task.peer_supervisor_id) if p}


async def add_task(db: AsyncSession, *, worker_id: str, kind: TaskKind, key: str, due_on: date,
                   checklist: Sequence[str] = ()) -> TripartiteTask:
    """The task with this key for this worker, made once however often it is planned."""
    task = await db.scalar(select(TripartiteTask).where(TripartiteTask.worker_id == worker_id,
                                                        TripartiteTask.key == key))
    if task is not None:
        return task
    manager, supervisor = await current_parties(db, worker_id)
    task = TripartiteTask(worker_id=worker_id, line_manager_id=manager, peer_supervisor_id=supervisor,
                          kind=kind, key=key, due_on=due_on, checklist={item: False for item in checklist})
    db.add(task)
    await db.flush()
    return task


async def has_task(db: AsyncSession, worker_id: str, key: str) -> bool:
    return await db.scalar(select(TripartiteTask.id).where(TripartiteTask.worker_id == worker_id,
                                                           TripartiteTask.key == key)) is not None


async def start_probation(db: AsyncSession, *, worker_id: str, starts_on: date, plan: ProbationPlan,
                          checklist: Sequence[str], recorded_by: str | None) -> Probation:
    probation = Probation(worker_id=worker_id, starts_on=starts_on, ends_on=probation_end(starts_on, plan),
                          recorded_by=recorded_by)
    db.add(probation)
    await db.flush()
    for review in probation_reviews(starts_on, plan):
        await add_task(db, worker_id=worker_id, kind=review.kind, key=_review_key(probation, review),
                       due_on=review.due, checklist=checklist)
    return probation


def _review_key(probation: Probation, review: PlannedReview) -> str:
    return f"probation:{probation.id}:{review.key}"


async def record_outcome(db: AsyncSession, probation: Probation, outcome: ProbationOutcome, *, on: date,
                         plan: ProbationPlan, new_end: date | None = None) -> None:
    """The line manager's outcome. An extension moves the reviews not yet done with the new end."""
    if outcome == ProbationOutcome.EXTENDED:
        if new_end is None:
            raise ValueError("an extension needs a new end date")
        prefix = f"probation:{probation.id}:"
        open_tasks = (await db.scalars(select(TripartiteTask).where(
            TripartiteTask.worker_id == probation.worker_id, TripartiteTask.key.startswith(prefix),
            TripartiteTask.status != TaskStatus.DONE))).all()
        moved = extended_dues({t.key.removeprefix(prefix): t.due_on for t in open_tasks},
                              probation.ends_on, new_end, plan)
        for task in open_tasks:
            task.due_on = moved[task.key.removeprefix(prefix)]
            task.version += 1
        probation.ends_on = new_end
        probation.outcome, probation.outcome_on = None, None  # still running, to the new end
    else:
        probation.outcome, probation.outcome_on = outcome, on
    await db.flush()


async def start_absence(db: AsyncSession, *, worker_id: str, kind: str, started_on: date,
                        expected_return: date | None, recorded_by: str | None) -> Absence:
    if kind not in ("sickness", "other"):
        raise ValueError(kind)
    if expected_return is not None and expected_return < started_on:
        raise ValueError("the expected return is before the start")
    absence = Absence(worker_id=worker_id, kind=kind, started_on=started_on, expected_return=expected_return,
                      recorded_by=recorded_by)
    db.add(absence)
    await db.flush()
    return absence


async def record_return(db: AsyncSession, absence: Absence, *, returned_on: date,
                        checklist: Sequence[str]) -> TripartiteTask:
    """The first day back: the return-to-work conversation is due that day."""
    if returned_on < absence.started_on:
        raise ValueError("the return is before the absence started")
    absence.returned_on = returned_on
    return await add_task(db, worker_id=absence.worker_id, kind=TaskKind.RETURN_TO_WORK,
                          key=f"return:{absence.id}", due_on=returned_on, checklist=checklist)


async def running_probation(db: AsyncSession, worker_id: str) -> Probation | None:
    """The worker's probation with no outcome yet, if any (at most one runs at a time)."""
    return await db.scalar(select(Probation).where(Probation.worker_id == worker_id, Probation.outcome.is_(None))
                           .order_by(Probation.starts_on.desc()).limit(1))


async def open_absence(db: AsyncSession, worker_id: str) -> Absence | None:
    """The worker's absence with no return recorded yet, if any."""
    return await db.scalar(select(Absence).where(Absence.worker_id == worker_id, Absence.returned_on.is_(None))
                           .order_by(Absence.started_on.desc()).limit(1))


async def last_appraisal(db: AsyncSession, worker_id: str) -> date | None:
    """The due day of the worker's latest planned appraisal, if any."""
    return await db.scalar(select(TripartiteTask.due_on).where(
        TripartiteTask.worker_id == worker_id, TripartiteTask.kind == TaskKind.APPRAISAL)
        .order_by(TripartiteTask.due_on.desc()).limit(1))


async def sign(db: AsyncSession, task: TripartiteTask, *, person_id: str, verdict: Verdict, reason: str,
               version: int, now: datetime) -> SignOffs:
    """One party's sign-off. Raises NotAParty, ReasonNeeded, MissingParty or StaleTask, changing nothing."""
    if version != task.version:
        raise StaleTask(task.id)
    parties = parties_of(task)
    rows = await db.execute(select(TaskSignoff.party, TaskSignoff.verdict, TaskSignoff.reason)
                            .where(TaskSignoff.task_id == task.id))
    after = SignOffs.of((party, verdict, reason or "") for party, verdict, reason in rows).sign(parties, person_id, verdict, reason)
    await db.execute(delete(TaskSignoff).where(TaskSignoff.task_id == task.id))
    db.add_all(TaskSignoff(task_id=task.id, party=party, verdict=s.verdict, reason=s.reason or None,
                           person_id=getattr(parties, party.value), signed_at=now)
               for party, s in after.by.items())
    if after.complete:
        task.status, task.completed_at = TaskStatus.DONE, now
    elif task.status == TaskStatus.DONE or after.disputed:
        task.status = TaskStatus.SCHEDULED if task.meeting_at else TaskStatus.OPEN
        task.completed_at = None
    task.version += 1
    await db.flush()
    return after


class TaskDone(ValueError):
    """A task signed off by all three has nothing left to book."""


async def book(db: AsyncSession, task: TripartiteTask, *, at: datetime, version: int) -> None:
    """Book (or move) the three parties' meeting; `at` is UTC. Raises StaleTask or TaskDone."""
    if version != task.version:
        raise StaleTask(task.id)
    if task.status == TaskStatus.DONE:
        raise TaskDone(task.id)
    task.meeting_at, task.status = at, TaskStatus.SCHEDULED
    task.version += 1
    await db.flush()


async def team_tasks(db: AsyncSession, worker_ids: Sequence[str], *, until: date,
                     limit: int) -> Sequence[TripartiteTask]:
    """Open tasks of these workers due by `until` (so every overdue one too), soonest first."""
    if not worker_ids:
        return []
    return (await db.scalars(select(TripartiteTask).where(
        TripartiteTask.worker_id.in_(worker_ids), TripartiteTask.status != TaskStatus.DONE,
        TripartiteTask.due_on <= until).order_by(TripartiteTask.due_on, TripartiteTask.id).limit(limit))).all()


async def add_comment(db: AsyncSession, task: TripartiteTask, *, person_id: str, scrubbed_text: str,
                      now: datetime) -> TaskComment:
    party = parties_of(task).party_of(person_id)
    comment = TaskComment(task_id=task.id, author_id=person_id, author_party=party, text=scrubbed_text,
                          created_at=now)
    db.add(comment)
    await db.flush()
    return comment


async def tasks_of(db: AsyncSession, person_id: str, *, include_done: bool = False) -> Sequence[TripartiteTask]:
    """Every task a person is a party to, soonest first."""
    query = select(TripartiteTask).where(or_(TripartiteTask.worker_id == person_id,
                                             TripartiteTask.line_manager_id == person_id,
                                             TripartiteTask.peer_supervisor_id == person_id))
    if not include_done:
        query = query.where(TripartiteTask.status != TaskStatus.DONE)
    return (await db.scalars(query.order_by(TripartiteTask.due_on, TripartiteTask.id))).all()


async def follow_links(db: AsyncSession, worker_id: str) -> int:
    """When a worker's line manager or peer supervisor changes, their open tasks move to the new
    person (who then signs), and sign-offs given by the one who left are cleared."""
    manager, supervisor = await current_parties(db, worker_id)
    changed = 0
    for party, person, column in ((Party.LINE_MANAGER, manager, TripartiteTask.line_manager_id),
                                  (Party.PEER_SUPERVISOR, supervisor, TripartiteTask.peer_supervisor_id)):
        ids = (await db.scalars(select(TripartiteTask.id).where(
            TripartiteTask.worker_id == worker_id, TripartiteTask.status != TaskStatus.DONE,
            or_(column.is_(None), column != person) if person else column.is_not(None)))).all()
        if not ids:
            continue
        await db.execute(update(TripartiteTask).where(TripartiteTask.id.in_(ids))
                         .values({column: person, TripartiteTask.version: TripartiteTask.version + 1}))
        await db.execute(delete(TaskSignoff).where(TaskSignoff.task_id.in_(ids), TaskSignoff.party == party))
        changed += len(ids)
    return changed


async def plan_due_appraisals(db: AsyncSession, *, today: date, ahead_days: int, checklist: Sequence[str],
                              chunk: int = 1000) -> int:
    """Make the yearly appraisal task of every worker whose next appraisal (a year from the start in
    role, or from the last appraisal) falls within `ahead_days`, so nobody's appraisal depends on
    someone remembering to plan it. Workers need a start date and a line manager. Returns how many.

    Set-based, a thousand workers at a time: the workers with their current parties, their
    appraisals so far, and one INSERT of the new tasks (a key made by another replica meanwhile
    is skipped)."""
    manager, supervisor = aliased(PersonLink), aliased(PersonLink)
    workers = select(Person.id, Person.start_date, manager.other_id, supervisor.other_id) \
        .join(manager, and_(manager.worker_id == Person.id, manager.kind == LinkKind.LINE_MANAGER,
                            manager.status == LinkStatus.ACTIVE)) \
        .outerjoin(supervisor, and_(supervisor.worker_id == Person.id, supervisor.kind == LinkKind.PEER_SUPERVISOR,
                                    supervisor.status == LinkStatus.ACTIVE)) \
        .where(Person.start_date.is_not(None)).order_by(Person.id).limit(chunk)
    conn, after, made, created = await db.connection(), "", 0, utcnow()
    while True:
        found = (await conn.execute(workers.where(Person.id > after))).all()
        if not found:
            return made
        last: dict[str, date] = {}
        keys: set[tuple[str, str]] = set()
        for worker_id, key, due_on in await conn.execute(select(
                TripartiteTask.worker_id, TripartiteTask.key, TripartiteTask.due_on).where(
                TripartiteTask.worker_id >= found[0][0], TripartiteTask.worker_id <= found[-1][0],
                TripartiteTask.kind == TaskKind.APPRAISAL)):
            keys.add((worker_id, key))
            last[worker_id] = max(due_on, last.get(worker_id, due_on))
        rows = []
        for worker_id, start, manager_id, supervisor_id in found:
            if start is None:  # excluded by the query; said again for the type checker
                continue
            due = next_appraisal(start, last.get(worker_id))
            if last.get(worker_id) is None:
                # First appraisal planned by PeerSpace: the start's anniversary from about now on, not one
                # years overdue for someone who was in role long before the bot came.
                while due < today - timedelta(days=30):
                    due = next_appraisal(start, due)
            key = f"appraisal:{due.year}"
            if due <= today + timedelta(days=ahead_days) and (worker_id, key) not in keys:
                rows.append({"id": new_id(), "worker_id": worker_id, "line_manager_id": manager_id,
                             "peer_supervisor_id": supervisor_id, "kind": TaskKind.APPRAISAL, "key": key,
                             "owner": Party.LINE_MANAGER, "due_on": due, "status": TaskStatus.OPEN,
                             "checklist": {item: False for item in checklist}, "version": 0,
                             "created_at": created, "updated_at": created})
        if rows:
            await db.execute(insert_for(db, TripartiteTask.__table__).on_conflict_do_nothing(
                index_elements=["worker_id", "key"]), rows)
            made += len(rows)
        if len(found) < chunk:
            return made
        after = found[-1][0]
