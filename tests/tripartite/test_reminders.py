"""Tripartite reminders: due soon, due and overdue to each of the three at their own local time,
once each; the probation warning when no final review is signed off; HR escalation with metadata
only; the dispute and completion notices; nothing sent to someone no longer a party."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from storage.models import OutboxMessage, User
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite import repository as tri
from storage.tripartite.rules import ProbationPlan, TaskKind
from tests.factories import ALICE, BOB, Person
from tests.tripartite.test_flow import SOL, _setup

UTC = timezone.utc
CAROL = Person("29:carol", "aad-carol", "Carol Stranger")


def _texts(connector) -> list[str]:
    return [json.dumps(c, ensure_ascii=False) for c in connector.all_cards()]


async def _queued(harness) -> list[OutboxMessage]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tripartite.notice")
                                     .order_by(OutboxMessage.due_at, OutboxMessage.idempotency_key)))


async def _tick(harness) -> None:
    from tests.checkins.helpers import run_job
    await run_job(harness, "tripartite.reminders")


async def test_due_soon_due_and_overdue_once_each_at_local_nine(harness, clock):
    await _setup(harness)  # a review due 2026-02-05
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(User).where(User.teams_id == BOB.teams_id).values(time_zone="America/New_York"))
    clock.set(datetime(2026, 1, 29, 6, tzinfo=UTC))  # 7 days before, before 09:00 in London
    await _tick(harness)
    await _tick(harness)
    rows = await _queued(harness)
    assert len(rows) == 3 and {r.payload["event"] for r in rows} == {"due_soon"}
    dues = sorted(r.due_at for r in rows)
    assert dues[0] == datetime(2026, 1, 29, 9, tzinfo=UTC)  # London, 09:00 GMT
    assert dues[-1] == datetime(2026, 1, 29, 14, tzinfo=UTC)  # New York, 09:00 EST
    clock.set(datetime(2026, 1, 29, 15, tzinfo=UTC))
    stats = await harness.components.dispatcher.drain()
    assert stats.sent == 3
    assert sum("is due on 2026-02-05" in t for t in _texts(harness.connector)) == 3
    clock.set(datetime(2026, 2, 5, 10, tzinfo=UTC))
    await _tick(harness)
    clock.set(datetime(2026, 2, 6, 10, tzinfo=UTC))
    await _tick(harness)
    clock.set(datetime(2026, 2, 9, 10, tzinfo=UTC))
    await _tick(harness)  # still the first overdue week: nothing new
    events = [r.payload["event"] for r in await _queued(harness)]
    assert events.count("due") == 3 and events.count("overdue") == 3
    clock.set(datetime(2026, 2, 13, 10, tzinfo=UTC))
    await _tick(harness)
    assert [r.payload["event"] for r in await _queued(harness)].count("overdue") == 6


async def test_no_reminder_once_done_and_none_to_a_former_party(harness, clock):
    task_id = await _setup(harness)
    clock.set(datetime(2026, 2, 5, 10, tzinfo=UTC))
    await _tick(harness)
    async with harness.components.services.db() as db, db.begin():
        alice = await people.ensure_person(db, await db.scalar(select(User).where(User.teams_id == ALICE.teams_id)))
        carol = await people.ensure_person(db, await db.scalar(select(User).where(User.teams_id == CAROL.teams_id)))
        await people.set_link(db, worker_id=alice.id, other_id=carol.id, kind=LinkKind.LINE_MANAGER,
                              started_on=date(2026, 2, 5), set_by=None)
        await tri.follow_links(db, alice.id)
    stats = await harness.components.dispatcher.drain()
    assert stats.sent == 2, "Bob is no longer Alice's line manager: his reminder is not sent"
    notices = [t for t in _texts(harness.connector) if "is due today" in t]
    assert len(notices) == 2 and all(task_id in t for t in notices)


async def test_a_dispute_tells_the_other_two_with_the_reason_read_from_the_record(harness, clock):
    task_id = await _setup(harness)
    clock.set(datetime(2026, 1, 10, 10, tzinfo=UTC))
    await harness.press("tripartite.disagree", {"task": task_id, "version": "0", "reason": "Dates wrong"}, SOL)
    assert (await harness.components.dispatcher.drain()).sent == 2
    texts = _texts(harness.connector)
    assert sum("Peer supervisor did not agree" in t and "Dates wrong" in t for t in texts) == 2
    for person in (ALICE, BOB):
        await harness.press("tripartite.agree", {"task": task_id, "version": "1"} if person == ALICE else
                            {"task": task_id, "version": "2"}, person)
    await harness.press("tripartite.agree", {"task": task_id, "version": "3"}, SOL)
    assert (await harness.components.dispatcher.drain()).sent == 2
    assert sum("is signed off by all three" in t for t in _texts(harness.connector)) == 2


async def test_probation_warning_to_all_three_when_no_final_review(harness, clock):
    await _setup(harness)
    async with harness.components.services.db() as db, db.begin():
        alice = await people.ensure_person(db, await db.scalar(select(User).where(User.teams_id == ALICE.teams_id)))
        probation = await tri.start_probation(db, worker_id=alice.id, starts_on=date(2026, 1, 5),
                                              plan=ProbationPlan(), checklist=(), recorded_by=None)
    clock.set(datetime(2026, 6, 6, 10, tzinfo=UTC))  # 29 days before the end on 5 July
    await _tick(harness)
    assert [r for r in await _queued(harness) if r.payload["event"] == "warning"] == []
    clock.set(datetime(2026, 6, 7, 10, tzinfo=UTC))
    await _tick(harness)
    warnings = [r for r in await _queued(harness) if r.payload["event"] == "warning"]
    assert len(warnings) == 3 and all(r.payload["probation"] == probation.id for r in warnings)
    harness.connector.sent.clear()
    await harness.components.dispatcher.drain()
    assert sum("probation ends on 2026-07-05" in t for t in _texts(harness.connector)) == 3


async def test_hr_escalation_is_metadata_only_and_off_by_default(harness, clock):
    task_id = await _setup(harness)
    clock.set(datetime(2026, 3, 30, 10, tzinfo=UTC))
    await _tick(harness)
    assert not [r for r in await _queued(harness) if r.payload["event"] == "escalation"]
    from dataclasses import replace

    from dialogs.tripartite.delivery import TripartiteDelivery
    job = harness.components.scheduler.job("tripartite.reminders")
    delivery: TripartiteDelivery = job.__self__
    delivery.config = replace(delivery.config, hr_contact="aad-carol",
                              reminders=replace(delivery.config.reminders, escalate_after_days=30))
    await _tick(harness)
    (row,) = [r for r in await _queued(harness) if r.payload["event"] == "escalation"]
    harness.connector.sent.clear()
    await harness.components.dispatcher.drain()
    (card,) = [t for t in _texts(harness.connector) if "HR contact" in t]
    assert "Probation review for Alice Example" in card and task_id not in card, "no way into the task"
