"""Views of other people's tasks through the bot, on SQLite and PostgreSQL: the line manager's,
peer supervisor's and peer lead's "team" views and the administrators' metadata view and CSV.
Every read path is tried by every role that must be refused, and no note, checklist item or
sign-off reason appears in any of them.

Alice (Ward A) works; Bob line-manages her, Sol supervises her; Dan line-manages Eve (Ward B);
Lee leads Ward A's peer workers, Lou Ward B's; Carol and Fran (facilitator) have nothing to do with
Alice; Admin is a configured administrator. Clock: 23 November 2026.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from storage.models import RoleGrant, User
from storage.people import repository as people
from storage.people.models import LinkKind
from storage.tripartite import repository as tri
from storage.tripartite.models import TaskComment, TaskSignoff
from storage.tripartite.rules import TaskKind
from tests.factories import ALICE, BOB, FACILITATOR, Person
from tests.tripartite.test_flow import CAROL, SOL

DAN = Person("29:dan", "aad-dan", "Dan Manager")
EVE = Person("29:eve", "aad-eve", "Eve Worker")
LEE = Person("29:lee", "aad-lee", "Lee Lead")
LOU = Person("29:lou", "aad-lou", "Lou Lead")
ADMIN = Person("29:admin", "aad-admin", "Ada Admin")
EVERYONE = (ALICE, BOB, SOL, CAROL, FACILITATOR, DAN, EVE, LEE, LOU, ADMIN)
TEAM = {ALICE: "Ward A", LEE: "Ward A", EVE: "Ward B", LOU: "Ward B"}
SECRETS = ("Secret note about the review", "Secret reason to object", "Objectives agreed", "Training booked")
REFUSED = "only open to"


async def _org(harness) -> dict[str, str]:
    """Alice's tasks: one overdue, one due in 10 days, one in 40 (outside the view); Eve's one."""
    for person in EVERYONE:
        await harness.say("hi", person)
    async with harness.components.services.db() as db, db.begin():
        ids = {}
        for person in EVERYONE:
            user = await db.scalar(select(User).where(User.teams_id == person.teams_id))
            row = await people.ensure_person(db, user)
            row.team, row.organisation = TEAM.get(person, ""), "Trust"
            ids[person] = row.id
        for worker, other, kind in ((ALICE, BOB, LinkKind.LINE_MANAGER), (ALICE, SOL, LinkKind.PEER_SUPERVISOR),
                                    (EVE, DAN, LinkKind.LINE_MANAGER)):
            await people.set_link(db, worker_id=ids[worker], other_id=ids[other], kind=kind,
                                  started_on=date(2026, 1, 5), set_by=None)
        for lead in (LEE, LOU):
            db.add(RoleGrant(aad_object_id=lead.aad, role="peer_lead", granted_by="aad-admin"))
        tasks = {}
        for key, days in (("overdue", -30), ("soon", 10), ("later", 40)):
            task = await tri.add_task(db, worker_id=ids[ALICE], kind=TaskKind.APPRAISAL, key=key,
                                      due_on=date(2026, 11, 23) + timedelta(days=days),
                                      checklist=("objectives", "training"))
            tasks[key] = task.id
        tasks["eve"] = (await tri.add_task(db, worker_id=ids[EVE], kind=TaskKind.RETURN_TO_WORK, key="eve",
                                           due_on=date(2026, 11, 1))).id
        db.add(TaskComment(task_id=tasks["overdue"], author_id=ids[BOB], author_party="line_manager",
                           text=SECRETS[0]))
        db.add(TaskSignoff(task_id=tasks["overdue"], party="worker", person_id=ids[ALICE], verdict="not_agreed",
                           reason=SECRETS[1]))
    harness.components.services.actors.clear()  # links imply roles made after the first turn
    return tasks


def shown(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False)


async def _press(harness, verb: str, data: dict, person: Person) -> str:
    before = len(harness.connector.sent)
    body = await harness.press(verb, data, person)
    return shown(body) + " ".join(s.text for s in harness.connector.sent[before:])


def _opens(text: str) -> int:
    """Buttons that open a task (each also carries a Submit fallback, not counted)."""
    return text.count('"type": "Action.Execute", "title": "Open:')


async def test_each_view_lists_only_its_people_and_opens_only_for_parties(harness):
    tasks = await _org(harness)
    expected = {(BOB, None): "Alice", (BOB, "reports"): "Alice", (SOL, None): "Alice", (SOL, "supervisees"): "Alice",
                (LEE, None): "Alice", (LEE, "team"): "Alice", (DAN, None): "Eve", (LOU, None): "Eve"}
    for (person, scope), worker in expected.items():
        text = await _press(harness, "tripartite.team", {} if scope is None else {"scope": scope}, person)
        assert REFUSED not in text, (person.name, scope)
        other = "Eve" if worker == "Alice" else "Alice"
        assert f"for {worker}" in text and f"for {other}" not in text, (person.name, scope)
        assert not any(secret in text for secret in SECRETS), person.name
        if worker == "Alice":
            assert "2026-10-24" in text and "2026-12-03" in text and "2027-01-02" not in text
            assert (tasks["overdue"] in text) == (person != LEE) and tasks["later"] not in text
            assert text.index("2026-10-24") < text.index("2026-12-03")  # soonest first
            # Parties may open (two rows); the peer lead is not a party and may not.
            assert _opens(text) == (0 if person == LEE else 2), person.name
    # Refused: no role at all, or a view of a role not held.
    for person, scope in ((ALICE, None), (CAROL, None), (FACILITATOR, None), (EVE, None), (ADMIN, None),
                          (BOB, "team"), (BOB, "supervisees"), (LEE, "reports"), (SOL, "reports")):
        text = await _press(harness, "tripartite.team", {} if scope is None else {"scope": scope}, person)
        assert REFUSED in text and "for Alice" not in text and "for Eve" not in text, (person.name, scope)
    # The details stay behind the party check, whatever the view showed.
    for person in (LEE, LOU, DAN, CAROL, FACILITATOR, ADMIN, EVE):
        text = await _press(harness, "tripartite.task", {"task": tasks["overdue"]}, person)
        assert "not one of yours" in text and not any(s in text for s in SECRETS), person.name


async def _csv_path(harness, person: Person = ADMIN) -> str:
    body = await harness.press("tripartite.admin", {}, person)
    url = next(a["url"] for a in body["value"]["actions"] if a["type"] == "Action.OpenUrl")
    return urlsplit(url).path


async def test_admin_sees_metadata_only_and_everyone_else_is_refused(harness, clock):
    await _org(harness)
    text = await _press(harness, "tripartite.admin", {}, ADMIN)
    assert "open 2, meeting booked 0, overdue 1, signed off 0" in text  # appraisals: soon and later open
    assert "Appraisal and wellbeing conversation (Ward A): due 2026-10-24, overdue" in text
    assert "Return-to-work conversation (Ward B): due 2026-11-01, overdue" in text
    for secret in SECRETS + ("Alice", "Eve", "Bob", "Sol"):
        assert secret not in text, secret
    for person in (ALICE, BOB, SOL, DAN, LEE, LOU, CAROL, FACILITATOR):
        text = await _press(harness, "tripartite.admin", {}, person)
        assert REFUSED in text and "Ward A" not in text, person.name

    path = await _csv_path(harness)
    resp = await harness.client.get(path)
    assert resp.status == 200
    body = await resp.text()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["section", "type", "status", "count", "team", "due"]
    assert ["counts", "Appraisal and wellbeing conversation", "open", "2", "", ""] in rows
    assert {(r[1], r[4], r[5]) for r in rows if r[0] == "overdue"} == {
        ("Appraisal and wellbeing conversation", "Ward A", "2026-10-24"), ("Return-to-work conversation", "Ward B", "2026-11-01")}
    for secret in SECRETS + ("Alice", "Eve", "Bob", "Sol"):
        assert secret not in body, secret
    assert (await harness.client.get(path.replace(".csv", "x.csv"))).status == 404  # tampered
    clock.advance(timedelta(minutes=16))
    assert (await harness.client.get(path)).status == 404  # expired


async def test_csv_link_rechecks_the_admin_role(harness):
    await _org(harness)
    ann = Person("29:ann", "aad-ann", "Ann Granted")
    await harness.say("hi", ann)
    async with harness.components.services.db() as db, db.begin():
        db.add(RoleGrant(aad_object_id=ann.aad, role="admin", granted_by="aad-admin"))
    harness.components.services.actors.clear()
    path = await _csv_path(harness, ann)
    assert (await harness.client.get(path)).status == 200
    async with harness.components.services.db() as db, db.begin():
        await db.execute(delete(RoleGrant).where(RoleGrant.aad_object_id == ann.aad))
    resp = await harness.client.get(path)
    assert resp.status == 403 and "Ward" not in await resp.text()
