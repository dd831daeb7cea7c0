"""Tripartite tasks through the bot: each of the three signs in their own chat, nobody else sees
or signs, "not agreed" reopens with its reason, stale cards change nothing, notes are scrubbed of
other people's names and shown to the three only. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from storage.models import User
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite import repository as tri
from storage.tripartite.models import TaskComment, TaskSignoff, TripartiteTask
from storage.tripartite.rules import TaskKind, TaskStatus
from tests.factories import ALICE, BOB, FACILITATOR, Person

SOL = Person("29:sol", "aad-sol", "Sol Supervisor")
CAROL = Person("29:carol", "aad-carol", "Carol Stranger")
CHECKLIST = ("objectives", "training")


def text_of(card) -> str:
    return json.dumps(card, ensure_ascii=False)


async def _setup(harness) -> str:
    """Alice works; Bob is her line manager; Sol her peer supervisor; a review is due."""
    for person in (ALICE, BOB, SOL, CAROL, FACILITATOR):
        await harness.say("hi", person)
    async with harness.components.services.db() as db, db.begin():
        ids = {}
        for person in (ALICE, BOB, SOL, CAROL):
            user = await db.scalar(select(User).where(User.teams_id == person.teams_id))
            ids[person] = (await people.ensure_person(db, user)).id
        for other, kind in ((BOB, LinkKind.LINE_MANAGER), (SOL, LinkKind.PEER_SUPERVISOR)):
            await people.set_link(db, worker_id=ids[ALICE], other_id=ids[other], kind=kind,
                                  started_on=date(2026, 1, 5), set_by=None)
        task = await tri.add_task(db, worker_id=ids[ALICE], kind=TaskKind.PROBATION_REVIEW, key="probation:x:month_1",
                                  due_on=date(2026, 2, 5), checklist=CHECKLIST)
        return task.id


async def _version(harness, task_id: str) -> str:
    async with harness.components.services.db() as db:
        return str((await db.get(TripartiteTask, task_id)).version)


async def test_each_party_signs_in_their_own_chat_and_the_task_completes(harness):
    task_id = await _setup(harness)
    for person in (ALICE, BOB, SOL):
        listing = await harness.press("tripartite.mine", {}, person)
        assert "Probation review for Alice Example" in text_of(listing["value"])
        assert task_id in text_of(listing["value"])
    for person in (ALICE, BOB):
        body = await harness.press("tripartite.agree", {"task": task_id, "version": await _version(harness, task_id)},
                                   person)
        assert "your agreement is recorded" in text_of(body["value"])
    async with harness.components.services.db() as db:
        assert (await db.get(TripartiteTask, task_id)).status == TaskStatus.OPEN
    body = await harness.press("tripartite.agree", {"task": task_id, "version": await _version(harness, task_id)}, SOL)
    assert "All three of you have signed this off" in text_of(body["value"])
    async with harness.components.services.db() as db:
        assert (await db.get(TripartiteTask, task_id)).status == TaskStatus.DONE
    listing = await harness.press("tripartite.mine", {}, ALICE)
    assert task_id not in text_of(listing["value"])
    listing = await harness.press("tripartite.mine", {"all": "1"}, ALICE)
    assert task_id in text_of(listing["value"])


async def test_nobody_else_sees_or_signs_and_nothing_changes(harness):
    task_id = await _setup(harness)
    for person in (CAROL, FACILITATOR):
        listing = await harness.press("tripartite.mine", {}, person)
        assert task_id not in text_of(listing["value"])
        for verb, data in (("tripartite.task", {}), ("tripartite.agree", {"version": "0"}),
                           ("tripartite.disagree", {"version": "0", "reason": "no"}),
                           ("tripartite.comment", {"comment": "hello"}),
                           ("tripartite.tick", {"version": "0", "item_objectives": "true"})):
            body = await harness.press(verb, {"task": task_id, **data}, person)
            shown = text_of(body["value"])
            assert "not one of yours" in shown and "Alice Example" not in shown
    async with harness.components.services.db() as db:
        task = await db.get(TripartiteTask, task_id)
        assert (task.version, task.checklist) == (0, {"objectives": False, "training": False})
        assert (await db.scalars(select(TaskSignoff))).all() == []
        assert (await db.scalars(select(TaskComment))).all() == []


async def test_not_agreed_needs_a_reason_reopens_and_is_shown_to_the_others(harness):
    task_id = await _setup(harness)
    await harness.press("tripartite.agree", {"task": task_id, "version": "0"}, ALICE)
    body = await harness.press("tripartite.disagree", {"task": task_id, "version": "1", "reason": " "}, BOB)
    assert "needs a reason" in text_of(body["value"])
    assert await _version(harness, task_id) == "1"
    await harness.press("tripartite.disagree", {"task": task_id, "version": "1", "reason": "Training not booked"}, BOB)
    seen = text_of((await harness.press("tripartite.task", {"task": task_id}, SOL))["value"])
    assert "not agreed: Training not booked" in seen
    async with harness.components.services.db() as db:
        rows = (await db.execute(select(TaskSignoff.party, TaskSignoff.verdict))).all()
    assert rows == [("line_manager", "not_agreed")], "Alice's agreement is cleared when Bob disputes"


async def test_a_stale_card_changes_nothing_and_shows_the_task_as_it_is(harness):
    task_id = await _setup(harness)
    await harness.press("tripartite.tick", {"task": task_id, "version": "0", "item_objectives": "true"}, BOB)
    body = await harness.press("tripartite.agree", {"task": task_id, "version": "0"}, SOL)
    assert "changed since this card was sent" in text_of(body["value"])
    async with harness.components.services.db() as db:
        task = await db.get(TripartiteTask, task_id)
        assert task.checklist == {"objectives": True, "training": False}
        assert (await db.scalars(select(TaskSignoff))).all() == []


async def test_notes_are_scrubbed_of_other_people_and_too_long_is_refused(harness):
    task_id = await _setup(harness)
    body = await harness.press("tripartite.comment", {"task": task_id, "comment": "x" * 501}, ALICE)
    assert "longer than 500 characters" in text_of(body["value"])
    await harness.press("tripartite.comment", {"task": task_id, "comment":
                                               "Bob and Sol agreed; Carol Stranger covered my shift, 07700 900123"},
                        ALICE)
    async with harness.components.services.db() as db:
        (stored,) = (await db.scalars(select(TaskComment.text))).all()
    assert "Carol" not in stored and "07700" not in stored
    shown = text_of((await harness.press("tripartite.task", {"task": task_id}, SOL))["value"])
    assert "name\\\\]" in shown and "Carol" not in shown  # the placeholder, Markdown-escaped
