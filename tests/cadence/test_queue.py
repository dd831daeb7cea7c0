"""The hourly job on SQLite and PostgreSQL: reminders to both parties a week before and on the day
at 09:00 local time, once however often it runs; people who have not installed skipped and
counted; escalation to the peer lead or line manager after 14 days and to the named contact after
30; the weekly digest instead of single reminders, and what it lists; pauses through the seam."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.absences import AbsenceDirectory, Pause
from storage.cadence import queue
from storage.cadence.models import CadencePreference
from storage.models import OutboxMessage
from storage.people.models import LinkKind
from tests.cadence.helpers import config, grant, link, person, record
from tests.people.test_people_storage import db  # noqa: F401  (a session on each engine)

PEER, MANAGEMENT, CO = "peer_supervision", "management_supervision", "co_reflection"
NOBODY_AWAY = AbsenceDirectory()


def rules(**changes):
    return dataclasses.replace(config().rules, **changes)


async def rows(db: AsyncSession) -> list[OutboxMessage]:
    return list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.idempotency_key)))


async def tick(db, now: datetime, *, r=None, absences=NOBODY_AWAY, chunk: int = 1000) -> queue.TickResult:
    return await queue.queue(db, r or rules(), absences, now, "Europe/London", chunk=chunk)


async def team(db):
    """A worker with a peer supervisor and a line manager, peer supervision last on 28 February 2026."""
    worker = await person(db, "Wren", start=date(2024, 1, 1))
    supervisor = await person(db, "Sam", zone="America/New_York")
    manager = await person(db, "Max")
    await link(db, worker, supervisor, LinkKind.PEER_SUPERVISOR)
    await link(db, worker, manager, LinkKind.LINE_MANAGER)
    await record(db, worker, PEER, date(2026, 2, 28), supervisor=supervisor)  # due 28 March 2026
    await record(db, worker, MANAGEMENT, date(2026, 3, 1))  # due 1 April 2026
    await record(db, worker, CO, date(2026, 3, 1))
    return worker, supervisor, manager


async def test_reminders_go_to_both_parties_at_nine_local_time_once(db):
    worker, supervisor, manager = await team(db)
    # An unconfirmed later record does not count.
    await record(db, worker, PEER, date(2026, 3, 20), confirmed=False)
    now = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)  # peer reminder "a week before" is 21 March
    result = await tick(db, now)
    found = [(r.user_id, r.payload["type"], r.payload["level"], r.payload["role"], r.due_at) for r in await rows(db)]
    assert found == [
        (worker.user_id, PEER, 7, "worker", datetime(2026, 3, 21, 9, tzinfo=timezone.utc)),
        (supervisor.user_id, PEER, 7, "supervisor", datetime(2026, 3, 21, 13, tzinfo=timezone.utc)),  # 09:00 EDT
    ]
    assert all(r.payload["due"] == "2026-03-28" for r in await rows(db))
    assert result.workers == 1 and result.messages == 2
    again = await tick(db, now)
    assert again.messages == 2 and len(await rows(db)) == 2  # already queued: nothing new
    # On the due day (28 March, the day before the clocks change): 09:00 GMT.
    await tick(db, datetime(2026, 3, 27, 12, tzinfo=timezone.utc))
    on_day = [r for r in await rows(db) if r.payload["level"] == 0]
    assert {(r.user_id, r.due_at) for r in on_day} == {
        (worker.user_id, datetime(2026, 3, 28, 9, tzinfo=timezone.utc)),
        (supervisor.user_id, datetime(2026, 3, 28, 13, tzinfo=timezone.utc))}
    # Management supervision is due 1 April (after the change): 09:00 BST is 08:00 UTC; the manager too.
    await tick(db, datetime(2026, 3, 31, 12, tzinfo=timezone.utc))
    april = {(r.user_id, r.due_at) for r in await rows(db) if r.payload["type"] == MANAGEMENT and r.payload["level"] == 0}
    assert april == {(worker.user_id, datetime(2026, 4, 1, 8, tzinfo=timezone.utc)),
                     (manager.user_id, datetime(2026, 4, 1, 8, tzinfo=timezone.utc))}


async def test_october_clock_change_and_keys_are_per_recipient_worker_type_due_and_kind(db):
    worker = await person(db, "Wren", start=date(2024, 1, 1))
    manager = await person(db, "Max")
    await link(db, worker, manager, LinkKind.LINE_MANAGER)
    await record(db, worker, MANAGEMENT, date(2026, 9, 25))  # due 25 October, the day clocks go back
    await tick(db, datetime(2026, 10, 24, 12, tzinfo=timezone.utc))
    due_day = [r for r in await rows(db) if r.payload["type"] == MANAGEMENT and r.payload["level"] == 0]
    assert {r.due_at for r in due_day} == {datetime(2026, 10, 25, 9, tzinfo=timezone.utc)}  # 09:00 GMT
    assert sorted(r.idempotency_key for r in due_day) == sorted(
        f"cadence:{p.id}:{worker.id}:{MANAGEMENT}:2026-10-25:remind0" for p in (worker, manager))


async def test_people_who_have_not_installed_are_skipped_and_counted(db):
    worker = await person(db, "Wren", start=date(2024, 1, 1))
    supervisor = await person(db, "Sam", installed=False)
    await link(db, worker, supervisor, LinkKind.PEER_SUPERVISOR)
    await record(db, worker, PEER, date(2026, 2, 28))
    result = await tick(db, datetime(2026, 3, 20, 12, tzinfo=timezone.utc))
    assert [r.user_id for r in await rows(db) if r.payload["type"] == PEER] == [worker.user_id]
    assert result.not_installed == 1


async def test_escalation_on_the_fourteenth_and_thirtieth_day_overdue(db):
    worker, supervisor, manager = await team(db)
    lead = await person(db, "Lee")
    await grant(db, lead, "peer_lead")
    other_team_lead = await person(db, "Lou", team="Ward B")
    await grant(db, other_team_lead, "peer_lead")
    contact = await person(db, "Cat", installed=True)
    r = rules(escalation_contact="aad-cat")

    def escalations(found, level):
        return sorted((m.user_id, m.payload["type"], m.due_at) for m in found
                      if m.kind == queue.ESCALATION and m.payload["level"] == level)

    # Peer supervision due 28 March: day 13 overdue (10 April) brings nothing yet.
    await tick(db, datetime(2026, 4, 9, 12, tzinfo=timezone.utc), r=r)
    assert escalations(await rows(db), 1) == []
    # The evening before day 14 (11 April), the job queues it for 09:00 BST that day, to the team's lead.
    await tick(db, datetime(2026, 4, 10, 12, tzinfo=timezone.utc), r=r)
    assert escalations(await rows(db), 1) == [(lead.user_id, PEER, datetime(2026, 4, 11, 8, tzinfo=timezone.utc))]
    # Management supervision (due 1 April) goes to the line manager on 15 April; co-reflection to the lead.
    await tick(db, datetime(2026, 4, 14, 12, tzinfo=timezone.utc), r=r)
    assert escalations(await rows(db), 1) == sorted([
        (lead.user_id, PEER, datetime(2026, 4, 11, 8, tzinfo=timezone.utc)),
        (manager.user_id, MANAGEMENT, datetime(2026, 4, 15, 8, tzinfo=timezone.utc)),
        (lead.user_id, CO, datetime(2026, 4, 15, 8, tzinfo=timezone.utc))])
    # Day 30 (27 April for peer supervision): the named contact.
    await tick(db, datetime(2026, 4, 26, 12, tzinfo=timezone.utc), r=r)
    assert escalations(await rows(db), 2) == [(contact.user_id, PEER, datetime(2026, 4, 27, 8, tzinfo=timezone.utc))]
    # Without a team lead, the organisation's leads hear.
    await grant(db, supervisor, "peer_lead")
    people = await queue.directory(db, r)
    assert {p.person_id for p in people.leads_for("Trust", "Ward Z", worker.id)} == {
        lead.id, other_team_lead.id, supervisor.id}


async def test_a_new_confirmed_record_moves_the_due_date_and_pauses_come_through_the_seam(db):
    worker, supervisor, _ = await team(db)
    await tick(db, datetime(2026, 3, 20, 12, tzinfo=timezone.utc))
    assert {r.payload["due"] for r in await rows(db)} == {"2026-03-28"}
    await db.execute(delete(OutboxMessage))
    await record(db, worker, PEER, date(2026, 3, 18))  # confirmed: next due 18 April
    await tick(db, datetime(2026, 3, 20, 12, tzinfo=timezone.utc))
    assert [r.payload for r in await rows(db)] == []
    # Away 5-14 April (10 days): peer supervision now due 28 April.
    away = AbsenceDirectory()
    asked: list[tuple[list[str], date]] = []

    async def lookup(_db, ids, since):
        asked.append((list(ids), since))
        return {worker.id: [Pause(date(2026, 4, 5), date(2026, 4, 14))]}

    away.provide(lookup)
    await tick(db, datetime(2026, 4, 20, 12, tzinfo=timezone.utc), absences=away)
    assert {(r.payload["type"], r.payload["due"]) for r in await rows(db) if r.payload["type"] == PEER} == {
        (PEER, "2026-04-28")}
    assert len(asked) == 1 and set(asked[0][0]) == {worker.id, }  # one call for the whole chunk
    # While away today: nothing at all.
    await db.execute(delete(OutboxMessage))
    await tick(db, datetime(2026, 4, 10, 12, tzinfo=timezone.utc), absences=away)
    assert await rows(db) == []


async def test_a_digest_replaces_single_reminders_for_those_who_choose_it(db):
    worker, supervisor, manager = await team(db)
    db.add(CadencePreference(person_id=supervisor.id, weekly_digest=True))
    await db.flush()
    # Friday 20 March: the supervisor's single reminder is left to the digest; the worker's stays.
    result = await tick(db, datetime(2026, 3, 20, 12, tzinfo=timezone.utc))
    assert [(r.user_id, r.kind) for r in await rows(db)] == [(worker.user_id, queue.REMINDER)]
    assert result.digested == 1
    # Sunday 22 March: Monday's digest is queued for 09:00 New York time, once a week.
    await tick(db, datetime(2026, 3, 22, 20, tzinfo=timezone.utc))
    await tick(db, datetime(2026, 3, 22, 21, tzinfo=timezone.utc))
    digests = [r for r in await rows(db) if r.kind == queue.DIGEST]
    assert [(r.user_id, r.due_at, r.idempotency_key) for r in digests] == [
        (supervisor.user_id, datetime(2026, 3, 23, 13, tzinfo=timezone.utc), f"cadence-digest:{supervisor.id}:2026-W13")]


async def test_chunks_cover_everyone_once(db):
    manager = await person(db, "Max")
    workers = [await person(db, f"W{i:02d}", start=date(2026, 2, 20)) for i in range(7)]
    for w in workers:
        await link(db, w, manager, LinkKind.LINE_MANAGER)
    # Started 20 February: management supervision first due 20 March; a week before is 13 March.
    result = await tick(db, datetime(2026, 3, 12, 12, tzinfo=timezone.utc), chunk=3)
    assert result.workers == 7
    found = [r for r in await rows(db) if r.payload["type"] == MANAGEMENT]
    assert sorted(r.payload["worker"] for r in found if r.payload["role"] == "worker") == sorted(w.id for w in workers)
    assert sum(r.user_id == manager.user_id for r in found) == 7
