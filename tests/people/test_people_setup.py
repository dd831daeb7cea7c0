"""Setting up who supports whom on a card (administrators and peer leads), with the people picker's
values (AAD ids) and the fallback list's; validation naming each field; people reached when they
install and the setter told; check-in signposting naming the supervisor. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import update

from storage.people.models import LinkKind, LinkStatus, Person
from tests.checkins.helpers import check_in
from tests.factories import ALICE, BOB, Person as Teams
from tests.people.helpers import (ADMIN, CARL, LEAD, choice_values, delivered, grant_lead, links, outbox, person,
                                  text_of)

MO = Teams("29:mo", "aad-mo", "Mo Manager")


async def _meet(harness, *people: Teams) -> None:
    for who in people:
        await harness.say("hi", who)


async def test_admin_sets_up_with_picker_and_fallback_values_and_everyone_is_reached(harness):
    await _meet(harness, ADMIN, ALICE, BOB)
    form = (await harness.press("people.setup", {}, ADMIN))["value"]
    # One card shape for both clients: Teams' directory picker, and the people we know as choices.
    assert '"dataset": "graph.microsoft.com/users"' in text_of(form)
    fallback = choice_values(form, "peer_supervisor")
    assert fallback["Bob Example"] == "aad-bob" and "Alice Example" in fallback
    body = await harness.press("people.setup.save", {
        "worker": "aad-alice",               # what the Teams picker sends: an AAD object id
        "peer_supervisor": fallback["Bob Example"],  # what the fallback list sends
        "line_manager": "aad-mo",            # picked in the directory; has not installed yet
        "start_date": "2026-01-05", "team": "Ward 3", "organisation": "Trust A"}, ADMIN)
    card = text_of(body["value"])
    assert "Bob Example is now Alice Example's peer supervisor" in card
    assert "Not using PeerSpace yet" in card
    alice, mo = await person(harness, "aad-alice"), await person(harness, "aad-mo")
    assert (alice.team, alice.organisation, str(alice.start_date)) == ("Ward 3", "Trust A", "2026-01-05")
    assert mo.user_id is None
    assert sorted((l.kind, l.status) for l in await links(harness)) == [
        (LinkKind.LINE_MANAGER, LinkStatus.ACTIVE), (LinkKind.PEER_SUPERVISOR, LinkStatus.ACTIVE)]
    assert "You have been set up as Alice Example's peer supervisor" in await delivered(harness, BOB)
    assert "Bob Example is now your peer supervisor" in await delivered(harness, ALICE)

    # Check-in signposting now names the peer supervisor (the seam this feature provides).
    reply = await check_in(harness, ALICE, feeling="1")
    assert "Your peer supervisor, Bob Example" in text_of(reply["value"])

    # The line manager installs: linked, told, and the administrator who set it up is told.
    await harness.install(MO)
    assert (await person(harness, "aad-mo")).user_id is not None
    assert "You have been set up as Alice Example's line manager" in await delivered(harness, MO)
    told = await delivered(harness, ADMIN)
    assert "Mo Manager has now opened PeerSpace and has been told they are Alice Example's line manager" in told
    # Once each: appearing again (another turn) sends nothing more.
    count = len(await outbox(harness))
    await harness.say("hi", MO)
    assert len(await outbox(harness)) == count


async def test_bad_input_names_each_field_and_saves_nothing(harness):
    await _meet(harness, ADMIN, ALICE)
    before = await links(harness), await person(harness, "aad-new")
    body = await harness.press("people.setup.save", {
        "worker": "", "line_manager": "not an id!", "peer_supervisor": "aad-new",
        "start_date": "2026-13-45", "team": "Ward\x013", "organisation": "x" * 201}, ADMIN)
    card = text_of(body["value"])
    for field in ("Worker:", "Line manager:", "Start date in role:", "Team or ward:", "Organisation:", "Nothing was saved"):
        assert field in card, field
    body = await harness.press("people.setup.save", {"worker": "aad-alice", "peer_supervisor": "aad-alice"}, ADMIN)
    assert "cannot be their own peer supervisor" in text_of(body["value"])
    body = await harness.press("people.setup.save", {"worker": "aad-alice"}, ADMIN)
    assert "Choose a line manager, a peer supervisor, or both" in text_of(body["value"])
    # A fallback value naming nobody we know is refused after lookup, and the whole form rolls back.
    body = await harness.press("people.setup.save", {"worker": "aad-someone-new", "peer_supervisor": "person:nope"},
                               ADMIN)
    assert "Peer supervisor: choose someone" in text_of(body["value"])
    assert (await links(harness), await person(harness, "aad-new")) == before
    assert await person(harness, "aad-someone-new") is None


async def test_plain_users_cannot_set_up_find_or_open_people(harness):
    await _meet(harness, ADMIN, ALICE, BOB)
    await harness.press("people.setup.save", {"worker": "aad-bob", "peer_supervisor": "aad-alice"}, ADMIN)
    bob = await person(harness, "aad-bob")
    for who in (ALICE, BOB, CARL):  # the supervisor, the worker, a third person
        await harness.say("hi", who)
        for verb, data in (("people.setup", {}), ("people.setup.save", {"worker": "aad-carl", "peer_supervisor": "aad-bob"}),
                           ("people.find", {"query": "Bob"}), ("people.person", {"person": bob.id})):
            await harness.press(verb, data, who)
            assert "only open to administrators, peer leads" in harness.connector.to(who.conversation_id)[-1].text
    assert [(l.worker_id, l.status) for l in await links(harness)] == [(bob.id, LinkStatus.ACTIVE)]


async def test_peer_lead_manages_their_own_organisation_only(harness):
    await _meet(harness, ADMIN, LEAD, ALICE, BOB, CARL)
    await grant_lead(harness, LEAD)
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(Person).where(Person.aad_object_id == "aad-lee").values(organisation="Trust A"))
        await db.execute(update(Person).where(Person.aad_object_id == "aad-carl").values(organisation="Trust B"))
    # The lead's list holds their organisation only (the fallback list too).
    form = (await harness.press("people.setup", {}, LEAD))["value"]
    assert "Carl Third" not in choice_values(form, "worker")
    body = await harness.press("people.setup.save", {"worker": "aad-carl", "peer_supervisor": "aad-bob"}, LEAD)
    assert "another organisation" in text_of(body["value"])
    carl = await person(harness, "aad-carl")
    await harness.press("people.person", {"person": carl.id}, LEAD)
    assert "only open to administrators, peer leads" in harness.connector.to(LEAD.conversation_id)[-1].text
    body = await harness.press("people.setup.save", {"worker": "aad-alice", "peer_supervisor": "aad-bob",
                                                     "organisation": "Trust B"}, LEAD)
    assert "own organisation only" in text_of(body["value"])
    body = await harness.press("people.setup.save", {"worker": "aad-alice", "peer_supervisor": "aad-bob"}, LEAD)
    assert "Bob Example is now Alice Example's peer supervisor" in text_of(body["value"])
    assert (await person(harness, "aad-alice")).organisation == "Trust A"
    assert len(await links(harness)) == 1
    # The lead finds and opens people of their organisation; the admin sees everyone.
    found = text_of((await harness.press("people.find", {"query": ""}, LEAD))["value"])
    assert "Alice Example" in found and "Carl Third" not in found
    found = text_of((await harness.press("people.find", {"query": "third"}, ADMIN))["value"])
    assert "Carl Third" in found and "Alice Example" not in found


async def test_admins_grant_the_peer_lead_role_and_the_menu_follows(harness):
    await _meet(harness, ADMIN, LEAD)
    await harness.say("menu", LEAD)
    assert "Who supports whom" not in text_of(harness.connector.to(LEAD.conversation_id)[-1].cards)
    body = await harness.press("roles.show", {}, ADMIN)
    assert "peer leads" in text_of(body["value"])
    await grant_lead(harness, LEAD)
    await harness.say("menu", LEAD)
    assert "Who supports whom" in text_of(harness.connector.to(LEAD.conversation_id)[-1].cards)
