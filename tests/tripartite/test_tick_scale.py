"""The hourly tripartite tick is set-based: planning appraisals and queueing reminders for a team
of 40 takes the same number of statements as for a team of 10 (no query per person or per task),
and queues the same reminders a second time round without adding any. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import event, func, select

from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, User
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite import repository as tri
from storage.tripartite.reminders import ReminderRules, queue_reminders
from storage.tripartite.rules import ProbationPlan, TaskKind

NOW = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
RULES, PLAN = ReminderRules(), ProbationPlan()


async def _team(db, size: int, tag: str) -> None:
    """A manager and a peer supervisor with `size` installed workers, each with an appraisal due
    within 60 days, a review due this week and a running probation near its end."""
    manager = await people.find_or_add_person(db, email=f"m-{tag}@trust.nhs.uk")
    supervisor = await people.find_or_add_person(db, email=f"s-{tag}@trust.nhs.uk")
    for n in range(size):
        user = User(teams_id=f"29:{tag}-{n}", time_zone=("Europe/London", "Asia/Kolkata", "America/Chicago")[n % 3])
        db.add(user)
        await db.flush()
        worker = await people.find_or_add_person(db, email=f"w{n}-{tag}@trust.nhs.uk")
        worker.user_id, worker.start_date = user.id, date(2020, 4, 1 + n % 20)
        for other, kind in ((manager, LinkKind.LINE_MANAGER), (supervisor, LinkKind.PEER_SUPERVISOR)):
            await people.set_link(db, worker_id=worker.id, other_id=other.id, kind=kind,
                                  started_on=date(2025, 1, 1), set_by=None)
        await tri.add_task(db, worker_id=worker.id, kind=TaskKind.PROBATION_REVIEW, key="review",
                           due_on=date(2026, 3, 1 + n % 7))
        await tri.start_probation(db, worker_id=worker.id, starts_on=date(2025, 9, 20), plan=PLAN, checklist=(),
                                  recorded_by=None)
    await db.flush()


async def _tick(db) -> int:
    await tri.plan_due_appraisals(db, today=NOW.date(), ahead_days=60, checklist=("objectives",))
    return await queue_reminders(db, NOW, RULES, PLAN, "Europe/London", None, kind="tripartite.notice")


async def _statements_for(db_url: str, size: int) -> tuple[int, int, int]:
    """(statements one tick ran, reminders due, rows queued after two ticks) for a team of `size`."""
    engine = create_engine(db_url)
    seen: list[str] = []
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            await _team(db, size, f"t{size}")
            event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
            due = await _tick(db)
            count = len(seen)
            assert await _tick(db) == due, "the second tick finds the same reminders"
            queued = await db.scalar(select(func.count()).select_from(OutboxMessage))
            await db.rollback()
    finally:
        await engine.dispose()
    return count, due, queued or 0


async def test_a_tick_costs_the_same_statements_for_ten_workers_or_forty(db_url):
    small, small_due, small_queued = await _statements_for(db_url, 10)
    large, large_due, large_queued = await _statements_for(db_url, 40)
    assert large_due > small_due > 0 and (small_queued, large_queued) == (small_due, large_due)
    assert large == small, f"{small} statements for 10 workers, {large} for 40: a query per person or task"
