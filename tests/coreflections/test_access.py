"""Who sees what: a group's lead sees its attendance; members see its schedule and their own
answers and attendance; nobody else sees or changes anything, whatever the card data names.
Every read and write path is pressed by each role that must be refused: another peer lead, a
worker outside the group, a line manager, a facilitator, an administrator who does not lead it,
and (for the lead's paths) a member."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from storage.coreflections.models import CoReflectionOccurrence, CoReflectionResponse
from storage.models import OutboxMessage, RoleGrant, User
from storage.people.models import SupervisionRecord
from storage.people.repository import ensure_person, person_of_user
from tests.coreflections.helpers import (
    LEAD, OTHER_LEAD, grant, group_row, make_group, occurrences, person_id, text_of, user_id,
)
from tests.factories import ALICE, BOB, FACILITATOR, Person

ADMIN = Person("29:ada", "aad-admin", "Ada Admin")  # named in the test settings' admin ids
WORKER = Person("29:wren", "aad-wren", "Wren Worker")
MANAGER = Person("29:max", "aad-max", "Max Manager")
MEMBER_VERBS = ("coreflections.group", "coreflections.rsvp", "coreflections.here")
LEAD_VERBS = ("coreflections.register", "coreflections.register.save", "coreflections.occurrence",
              "coreflections.move", "coreflections.cancel", "coreflections.cancel.confirm")


async def _outsiders(harness, clock) -> list[Person]:
    """People the bot knows (each has a person row), none of them in Lena's group."""
    await grant(harness, OTHER_LEAD, "peer_lead")
    body = await harness.press("coreflections.create", {  # Omar leads a group of his own
        "name": "South ward", "members": WORKER.aad, "joining_url": "https://teams.example/south",
        "frequency": "weekly", "weekday": "WE", "starts_on": clock.now().date().isoformat(), "start": "12:00",
        "minutes": "60", "zone": "Europe/London"}, OTHER_LEAD)
    assert "South ward" in text_of(body)
    await grant(harness, WORKER, "worker")
    await grant(harness, MANAGER, "line_manager")
    await harness.say("hi", FACILITATOR)
    await harness.say("hi", ADMIN)
    async with harness.components.services.db() as db, db.begin():
        for person in (WORKER, MANAGER, FACILITATOR, ADMIN):
            await ensure_person(db, await db.scalar(select(User).where(User.teams_id == person.teams_id)))
    return [OTHER_LEAD, WORKER, MANAGER, FACILITATOR, ADMIN]


async def _state(harness) -> tuple:
    async with harness.components.services.db() as db:
        occurrences = tuple((o.id, o.status, o.starts_at) for o in await db.scalars(
            select(CoReflectionOccurrence).order_by(CoReflectionOccurrence.id)))
        answers = tuple((r.person_id, r.answer, r.attended_at) for r in await db.scalars(
            select(CoReflectionResponse).order_by(CoReflectionResponse.id)))
        counts = (await db.scalar(select(func.count()).select_from(SupervisionRecord)),
                  await db.scalar(select(func.count()).select_from(OutboxMessage)))
    return occurrences, answers, counts


async def test_nobody_outside_the_group_sees_or_changes_anything(harness, clock):
    await make_group(harness)
    group = await group_row(harness)
    north = [o for o in await occurrences(harness) if o.group_id == group.id]
    alice, bob = await person_id(harness, ALICE), await person_id(harness, BOB)
    # Alice was there at the first meeting: that is what the outsiders must not learn.
    clock.set(north[0].starts_at + timedelta(minutes=5))
    await harness.press("coreflections.here", {"occurrence_id": north[0].id}, ALICE)
    outsiders = await _outsiders(harness, clock)
    before = await _state(harness)
    crafted = {"group_id": group.id, "occurrence_id": north[0].id, "answer": "going", "attended": f"{alice},{bob}",
               "date": "2027-02-10", "time": "10:00", "person_id": alice}
    links = harness.components.services.links
    for person in outsiders:
        seen = [text_of(await harness.press(verb, crafted, person)) for verb in MEMBER_VERBS + LEAD_VERBS]
        seen.append(text_of(await harness.press("coreflections.home", crafted, person)))
        seen += [text_of(s.cards) + s.text for s in harness.connector.to(person.conversation_id)]
        everything = "\n".join(seen)
        for secret in ("North ward", "Alice Example", "Bob Example", "You were there", "of the last",
                       "teams.microsoft.com/l/meetup-join/abc"):
            assert secret not in everything, (person.name, secret)
        # A feed link made for themselves (or forged for the group) opens nothing either.
        async with harness.components.services.db() as db:
            own = await person_of_user(db, await user_id(harness, person))
        assert own is not None
        for subject in (f"{group.id}:{own.id}", group.id):
            token = links.token("coreflection_ics", subject)
            assert (await harness.client.get(f"/calendar/coreflection/{token}.ics")).status == 404, person.name
    assert await _state(harness) == before


async def test_a_member_sees_the_schedule_and_only_their_own_attendance(harness, clock):
    await make_group(harness)
    group = await group_row(harness)
    first = (await occurrences(harness))[0]
    clock.set(first.starts_at + timedelta(minutes=5))
    await harness.press("coreflections.here", {"occurrence_id": first.id}, ALICE)
    clock.set(first.starts_at + timedelta(days=1))
    bob_view = text_of(await harness.press("coreflections.group", {"group_id": group.id}, BOB))
    assert "North ward co-reflection" in bob_view and "The first Tuesday of each month" in bob_view
    assert "Your attendance" in bob_view and "Not recorded" in bob_view
    assert "of the last" not in bob_view and "Attendance at recent meetings" not in bob_view
    assert "1 of 3 there" not in bob_view
    alice_view = text_of(await harness.press("coreflections.group", {"group_id": group.id}, ALICE))
    assert "You were there" in alice_view and "of the last" not in alice_view
    # The lead sees everyone's attendance.
    lead_view = text_of(await harness.press("coreflections.group", {"group_id": group.id}, LEAD))
    assert "1 of 3 there" in lead_view and "Alice Example" in lead_view and "1 of the last 1" in lead_view
    # A member pressing the lead's buttons is refused (no lead role) and changes nothing.
    before = await _state(harness)
    for verb in LEAD_VERBS:
        body = text_of(await harness.press(verb, {"occurrence_id": first.id, "attended": "", "date": "2027-02-10",
                                                  "time": "10:00"}, BOB))
        assert "Alice Example" not in body
    assert await _state(harness) == before


async def test_a_lead_who_loses_the_role_no_longer_sees_the_register(harness, clock):
    await make_group(harness)
    group = await group_row(harness)
    first = (await occurrences(harness))[0]
    async with harness.components.services.db() as db, db.begin():
        await db.execute(delete(RoleGrant).where(RoleGrant.aad_object_id == LEAD.aad))
    harness.components.services.actors.clear()
    body = text_of(await harness.press("coreflections.group", {"group_id": group.id}, LEAD))
    assert "Attendance at recent meetings" not in body and "Alice Example" not in body
    body = text_of(await harness.press("coreflections.register", {"occurrence_id": first.id}, LEAD))
    assert "Alice Example" not in body
