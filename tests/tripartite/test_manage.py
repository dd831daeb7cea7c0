"""The Manage card through the bot: a line manager starts a probation, records its outcome (an
extension moves the reviews), records an absence and the return (the return-to-work task is due
that day and all three are told), plans an appraisal; bad input names the field and changes
nothing; nobody acts on someone who is not their report; only the worker chooses to pause.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from storage.models import OutboxMessage, User
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite.models import Absence, Probation, TripartiteTask
from tests.factories import ALICE, BOB, Person

SOL = Person("29:sol", "aad-sol", "Sol Supervisor")
CAROL = Person("29:carol", "aad-carol", "Carol Manager")
DAN = Person("29:dan", "aad-dan", "Dan Worker")
ADMIN = Person("29:admin", "aad-admin", "Ada Admin")
TODAY = date(2026, 11, 23)  # the harness clock


async def seen(harness, verb: str, data, person: Person) -> str:
    """Everything `person` is shown for pressing `verb`: the invoke's answer and any messages."""
    before = len(harness.connector.to(person.conversation_id))
    body = await harness.press(verb, data, person)
    sent = harness.connector.to(person.conversation_id)[before:]
    return json.dumps(body, ensure_ascii=False) + "".join(json.dumps(s.cards, ensure_ascii=False) + s.text
                                                          for s in sent)


async def setup(harness) -> dict[Person, str]:
    """Bob line-manages Alice, Sol is her peer supervisor; Carol line-manages Dan only."""
    for person in (ALICE, BOB, SOL, CAROL, DAN, ADMIN):
        await harness.say("hi", person)
    async with harness.components.services.db() as db, db.begin():
        ids = {}
        for person in (ALICE, BOB, SOL, CAROL, DAN, ADMIN):
            user = await db.scalar(select(User).where(User.teams_id == person.teams_id))
            ids[person] = (await people.ensure_person(db, user)).id
        for worker, other, kind in ((ALICE, BOB, LinkKind.LINE_MANAGER), (ALICE, SOL, LinkKind.PEER_SUPERVISOR),
                                    (DAN, CAROL, LinkKind.LINE_MANAGER)):
            await people.set_link(db, worker_id=ids[worker], other_id=ids[other], kind=kind,
                                  started_on=date(2026, 1, 5), set_by=None)
    harness.components.services.actors.clear()  # the links' roles apply at once
    return ids


async def rows(harness, model, **where):
    async with harness.components.services.db() as db:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return list(await db.scalars(query))


async def save(harness, person, form, worker_id, **values):
    return await seen(harness, "tripartite.form.save", {"form": form, "person": worker_id, **values}, person)


async def test_the_manager_sees_their_reports_with_buttons_named_with_the_person(harness):
    ids = await setup(harness)
    shown = (await seen(harness, "tripartite.manage", {}, BOB))
    assert "Start probation for Alice Example" in shown and "Record an absence for Alice Example" in shown
    assert "Plan an appraisal for Alice Example" in shown and "Dan Worker" not in shown
    form = (await seen(harness, "tripartite.form", {"form": "probation", "person": ids[ALICE]}, BOB))
    assert "Start date in role" in form


async def test_start_probation_good_bad_and_a_second_refused(harness):
    ids = await setup(harness)
    body = await save(harness, BOB, "probation", ids[ALICE], starts_on="not a date")
    assert "Start date in role: please choose a date" in body
    body = await save(harness, BOB, "probation", ids[ALICE], starts_on="2031-01-01")
    assert "Start date in role: please choose a date within 730 days" in body
    assert await rows(harness, Probation) == [] and await rows(harness, TripartiteTask) == []
    body = await save(harness, BOB, "probation", ids[ALICE], starts_on="2026-10-23")
    assert "Probation started for Alice Example, ending 2027-04-23" in body
    assert "Probation outcome for Alice Example" in body
    dues = sorted(t.due_on for t in await rows(harness, TripartiteTask))
    assert dues == [date(2026, 11, 23), date(2027, 1, 23), date(2027, 3, 23), date(2027, 4, 9)]
    body = await save(harness, BOB, "probation", ids[ALICE], starts_on="2026-11-01")
    assert "already has a probation running, until 2027-04-23" in body
    assert len(await rows(harness, Probation)) == 1 and len(await rows(harness, TripartiteTask)) == 4


async def test_an_extension_moves_the_reviews_and_bad_outcomes_change_nothing(harness):
    ids = await setup(harness)
    await save(harness, BOB, "probation", ids[ALICE], starts_on="2026-10-23")
    body = await save(harness, BOB, "outcome", ids[ALICE], outcome="maybe")
    assert "Outcome: please choose one of the options" in body
    body = await save(harness, BOB, "outcome", ids[ALICE], outcome="extended", new_end="2027-04-01")
    assert "New end date (only if extended): an extension needs a new end date after the current end, 2027-04-23" \
        in body
    (probation,) = await rows(harness, Probation)
    assert (probation.ends_on, probation.outcome) == (date(2027, 4, 23), None)
    body = await save(harness, BOB, "outcome", ids[ALICE], outcome="extended", new_end="2027-07-23")
    assert "extended to 2027-07-23" in body
    dues = {t.key.rsplit(":", 1)[1]: t.due_on for t in await rows(harness, TripartiteTask)}
    # Three months longer (91 days): the open reviews move by as much, the final keeps 14 days before the end.
    assert dues == {"month_1": date(2027, 2, 22), "month_3": date(2027, 4, 24), "month_5": date(2027, 6, 22),
                    "final": date(2027, 7, 9)}
    body = await save(harness, BOB, "outcome", ids[ALICE], outcome="passed")
    assert "Alice Example passed their probation" in body
    (probation,) = await rows(harness, Probation)
    assert probation.outcome == "passed"
    assert "Start probation for Alice Example" in body


async def test_absence_and_return_create_the_task_due_that_day_and_tell_all_three(harness):
    ids = await setup(harness)
    body = await save(harness, BOB, "absence", ids[ALICE], kind="flu", started_on="2026-11-02",
                      expected_return="2026-10-01")
    shown = body
    assert "Kind of absence: please choose" in shown
    body = await save(harness, BOB, "absence", ids[ALICE], kind="sickness", started_on="2026-11-02",
                      expected_return="2026-10-01")
    assert "Expected return (optional): cannot be before the first day away" in body
    assert await rows(harness, Absence) == []
    body = await save(harness, BOB, "absence", ids[ALICE], kind="sickness", started_on="2026-11-02")
    assert "Absence recorded for Alice Example from 2026-11-02" in body
    body = await save(harness, BOB, "return", ids[ALICE], returned_on="2026-11-01")
    assert "First day back: cannot be before the first day away (2026-11-02)" in body
    assert await rows(harness, TripartiteTask) == []
    body = await save(harness, BOB, "return", ids[ALICE], returned_on="2026-11-23")
    assert "return-to-work conversation is due on 2026-11-23" in body
    (task,) = await rows(harness, TripartiteTask)
    assert (task.kind, task.due_on, task.line_manager_id, task.peer_supervisor_id) == \
        ("return_to_work", date(2026, 11, 23), ids[BOB], ids[SOL])
    told = {m.user_id for m in await rows(harness, OutboxMessage, kind="tripartite.notice")
            if m.payload.get("event") == "created"}
    async with harness.components.services.db() as db:
        users = set(await db.scalars(select(User.id).where(User.teams_id.in_([p.teams_id for p in (ALICE, BOB, SOL)]))))
    assert told == users
    listing = (await seen(harness, "tripartite.mine", {}, ALICE))
    assert "Return-to-work conversation for Alice Example" in listing


async def test_appraisal_defaults_from_the_last_and_is_planned_once_a_year(harness):
    ids = await setup(harness)
    form = (await seen(harness, "tripartite.form", {"form": "appraisal", "person": ids[ALICE]}, BOB))
    assert "2027-11-23" in form  # a year from the start (none known: today)
    body = await save(harness, BOB, "appraisal", ids[ALICE], due_on="2027-03-01")
    assert "Appraisal planned for Alice Example, due 2027-03-01" in body
    body = await save(harness, BOB, "appraisal", ids[ALICE], due_on="2027-09-01")
    assert "already planned in 2027" in body
    (task,) = await rows(harness, TripartiteTask)
    assert (task.key, task.due_on) == ("appraisal:2027", date(2027, 3, 1))
    form = (await seen(harness, "tripartite.form", {"form": "appraisal", "person": ids[ALICE]}, BOB))
    assert "2028-03-01" in form


async def test_role_refusals_change_nothing(harness):
    ids = await setup(harness)
    refusals = [(ALICE, "probation", ids[ALICE], {"starts_on": "2026-11-01"}),  # a worker cannot start one
                (CAROL, "probation", ids[ALICE], {"starts_on": "2026-11-01"}),  # not her report
                (CAROL, "absence", ids[ALICE], {"kind": "sickness", "started_on": "2026-11-01"}),
                (SOL, "appraisal", ids[ALICE], {"due_on": "2027-01-01"}),  # a peer supervisor is not the manager
                (ALICE, "absence", ids[DAN], {"kind": "sickness", "started_on": "2026-11-01"})]
    for person, form, worker, values in refusals:
        body = await save(harness, person, form, worker, **values)
        assert "only open to" in body, (person, form)
        body = await seen(harness, "tripartite.form", {"form": form, "person": worker}, person)
        assert "only open to" in body
    assert "only open to" in (await seen(harness, "tripartite.manage", {}, ALICE))
    assert await rows(harness, Probation) == [] and await rows(harness, Absence) == []
    assert await rows(harness, TripartiteTask) == []
    # An administrator may act for any worker who has a line manager.
    body = await save(harness, ADMIN, "probation", ids[DAN], starts_on="2026-11-01")
    assert "Probation started for Dan Worker" in body


async def test_the_worker_records_their_own_absence_and_only_they_choose_the_pauses(harness):
    ids = await setup(harness)
    listing = (await seen(harness, "tripartite.mine", {}, ALICE))
    assert "Record my absence" in listing
    body = await save(harness, ALICE, "absence", ids[ALICE], kind="other", started_on="2026-11-20")
    shown = body
    assert "Pause my check-in prompts" in shown and "Absence recorded for Alice Example" in shown
    (absence,) = await rows(harness, Absence)
    assert "Pause my check-in prompts" not in (await seen(harness, "tripartite.manage", {}, BOB))
    for person in (BOB, SOL, CAROL):
        body = await seen(harness, "tripartite.pauses", {"absence": absence.id, "pause_checkins": "true",
                                                         "pause_supervision": "true"}, person)
        assert "only open to" in body
    (absence,) = await rows(harness, Absence)
    assert (absence.pause_checkins, absence.pause_supervision) == (False, False)
    body = await seen(harness, "tripartite.pauses", {"absence": absence.id, "pause_checkins": "true",
                                                     "pause_supervision": "false"}, ALICE)
    assert "Your choice is saved" in body
    (absence,) = await rows(harness, Absence)
    assert (absence.pause_checkins, absence.pause_supervision) == (True, False)
