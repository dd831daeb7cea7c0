"""The worker's pause of check-in prompts while away (only when they chose it, resumed on the first
day back), "my data" for tripartite work, and the samples. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dialogs.samples import VERB
from dialogs.shared.samples import SamplesRefused
from storage.models import OutboxMessage
from storage.people.models import Person as PersonRow
from storage.tripartite import repository as tri
from storage.tripartite.models import Absence, Probation, TaskComment, TripartiteTask
from storage.tripartite.rules import TaskKind
from tests.checkins.helpers import set_up, tick
from tests.factories import ALICE, BOB
from tests.tripartite.test_manage import SOL, TODAY, rows, seen, setup


async def prompt_days(harness) -> set[str]:
    return {m.payload["day"] for m in await rows(harness, OutboxMessage, kind="checkin_prompt")}


async def away(harness, ids) -> str:
    async with harness.components.services.db() as db, db.begin():
        absence = await tri.start_absence(db, worker_id=ids[ALICE], kind="sickness", started_on=TODAY,
                                          expected_return=None, recorded_by=ids[BOB])
        return absence.id


@pytest.mark.parametrize("pause", [True, False], ids=["paused", "not-chosen"])
async def test_checkin_prompts_stop_while_paused_and_resume_on_return(harness, clock, pause):
    ids = await setup(harness)
    await set_up(harness, ALICE)  # weekdays at 17:30; today is Monday 23 November
    assert TODAY.isoformat() in await prompt_days(harness)
    absence_id = await away(harness, ids)
    await seen(harness, "tripartite.pauses", {"absence": absence_id, "pause_checkins": "true" if pause else "false",
                                              "pause_supervision": "false"}, ALICE)
    await tick(harness)
    assert (TODAY.isoformat() in await prompt_days(harness)) is not pause
    clock.advance(timedelta(days=1))
    await tick(harness)
    assert ((TODAY + timedelta(days=1)).isoformat() in await prompt_days(harness)) is not pause
    await seen(harness, "tripartite.form.save", {"form": "return", "person": ids[ALICE],
                                                 "returned_on": (TODAY + timedelta(days=2)).isoformat()}, BOB)
    clock.advance(timedelta(days=1))
    await tick(harness)
    assert (TODAY + timedelta(days=2)).isoformat() in await prompt_days(harness)


async def test_my_data_lists_and_erases_the_workers_record_and_keeps_the_others_copy(harness):
    ids = await setup(harness)
    await seen(harness, "tripartite.form.save", {"form": "probation", "person": ids[ALICE],
                                                 "starts_on": "2026-10-23"}, BOB)
    await seen(harness, "tripartite.form.save", {"form": "absence", "person": ids[ALICE], "kind": "sickness",
                                                 "started_on": "2026-11-02"}, BOB)
    task = (await rows(harness, TripartiteTask))[0]
    await seen(harness, "tripartite.comment", {"task": task.id, "comment": "Objectives agreed"}, BOB)
    shown = await seen(harness, "my_data.show", {}, ALICE)
    assert "4 about you, 0 where you are line manager or peer supervisor" in shown
    assert "Sickness absence from 2026-11-02, not back yet" in shown and "2026-10-23 to 2027-04-23" in shown
    assert "0 about you, 4 where you are line manager" in await seen(harness, "my_data.show", {}, BOB)
    # The line manager erases: the tasks stay with Alice and Sol, his place empty, his note kept without him.
    await harness.press("my_data.delete", {}, BOB)
    await harness.press("my_data.delete.confirm", {}, BOB)
    tasks = await rows(harness, TripartiteTask)
    assert len(tasks) == 4 and {t.line_manager_id for t in tasks} == {None}
    assert {t.peer_supervisor_id for t in tasks} == {ids[SOL]}
    (note,) = await rows(harness, TaskComment)
    assert (note.author_id, note.text) == (None, "Objectives agreed")
    assert "not set up yet" in await seen(harness, "tripartite.task", {"task": task.id}, SOL)
    # The worker erases: her tasks, probation and absence go.
    await harness.press("my_data.show", {}, ALICE)
    await harness.press("my_data.delete", {}, ALICE)
    await harness.press("my_data.delete.confirm", {}, ALICE)
    assert await rows(harness, TripartiteTask) == [] and await rows(harness, Probation) == []
    assert await rows(harness, Absence) == [] and await rows(harness, TaskComment) == []


async def samples_state(harness):
    async with harness.components.services.db() as db:
        people = set(await db.scalars(select(PersonRow.email).where(PersonRow.email.like("%.invalid"))))
    tasks = sorted((t.kind, t.due_on) for t in await rows(harness, TripartiteTask))
    return people, tasks, len(await rows(harness, Probation)), len(await rows(harness, Absence))


async def test_samples_make_a_due_review_and_a_return_today_once(harness):
    await harness.say("hi", ALICE)
    await seen(harness, VERB, {}, ALICE)
    first = await samples_state(harness)
    people, tasks, probations, absences = first
    assert {"riley.sample@example.invalid", "jordan.sample@example.invalid"} <= people
    assert (probations, absences) == (1, 1)
    assert (TaskKind.RETURN_TO_WORK, TODAY) in tasks and (TaskKind.PROBATION_REVIEW, TODAY) in tasks
    harness.components.services.actors.clear()
    shown = await seen(harness, "tripartite.manage", {}, ALICE)
    assert "Probation outcome for Riley Sample" in shown and "Plan an appraisal for Riley Sample" in shown
    assert "already there" in await seen(harness, VERB, {}, ALICE)
    assert await samples_state(harness) == first


async def test_samples_are_refused_outside_development_mode(harness, clock):
    """The registry is built disabled outside development mode (bot/app.py); the request changes nothing."""
    harness.components.services.sample_data.enabled = False
    await harness.say("hi", ALICE)
    await seen(harness, VERB, {}, ALICE)
    assert await samples_state(harness) == (set(), [], 0, 0)
    async with harness.components.services.db() as db:
        with pytest.raises(SamplesRefused):
            await harness.components.services.sample_data.add_all(db, None, clock)
    assert await samples_state(harness) == (set(), [], 0, 0)
