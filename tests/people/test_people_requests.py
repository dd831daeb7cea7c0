"""A worker names their own peer supervisor or line manager: pending until that person confirms;
only they can answer; declining tells the worker; someone not yet installed is asked when they
appear. Ending links, with history kept; "my data". SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import User
from storage.people.models import LinkStatus, Person, PersonLink
from storage.roles import Role, roles_of
from tests.factories import ALICE, BOB, Person as Teams
from tests.people.helpers import ADMIN, CARL, delivered, links, person, text_of

SAM = Teams("29:sam", "aad-sam", "Sam Later")


async def _ask(harness, other: str = "aad-bob", kind: str = "peer_supervisor") -> PersonLink:
    body = await harness.press("people.request.save", {"kind": kind, "person": other}, ALICE)
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    [link] = [l for l in await links(harness) if l.status == LinkStatus.PENDING]
    return link


async def _roles(harness, aad: str):
    async with harness.components.services.db() as db:
        return await roles_of(db, aad, harness.components.services.configured_roles)


async def test_only_the_person_named_can_confirm_and_then_it_takes_effect(harness):
    for who in (ALICE, BOB, CARL):
        await harness.say("hi", who)
    link = await _ask(harness)
    assert Role.PEER_SUPERVISOR not in await _roles(harness, "aad-bob")
    asked = await delivered(harness, BOB)
    assert "Alice Example says you are their peer supervisor" in asked and '"people.confirm"' in asked
    for who in (ALICE, CARL):  # the worker themselves, and a third person, with the link's id
        body = await harness.press("people.confirm", {"link": link.id}, who)
        assert "Only the person named in a request can answer it" in text_of(body["value"])
    assert [l.status for l in await links(harness)] == [LinkStatus.PENDING]
    body = await harness.press("people.confirm", {"link": link.id}, BOB)
    assert "You are now Alice Example's peer supervisor" in text_of(body["value"])
    assert [l.status for l in await links(harness)] == [LinkStatus.ACTIVE]
    assert Role.PEER_SUPERVISOR in await _roles(harness, "aad-bob")
    assert Role.WORKER in await _roles(harness, "aad-alice")
    assert "Bob Example confirmed they are your peer supervisor" in await delivered(harness, ALICE)
    # Pressing again changes nothing; the worker's People card shows the supervisor.
    body = await harness.press("people.confirm", {"link": link.id}, BOB)
    assert "already answered" in text_of(body["value"])
    home = text_of((await harness.press("people.home", {}, ALICE))["value"])
    assert "Bob Example, since" in home


async def test_declining_tells_the_worker_and_changes_nothing_else(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", BOB)
    link = await _ask(harness, kind="line_manager")
    body = await harness.press("people.decline", {"link": link.id}, BOB)
    assert "I've told Alice Example that you are not their line manager" in text_of(body["value"])
    assert [l.status for l in await links(harness)] == [LinkStatus.DECLINED]
    assert await _roles(harness, "aad-bob") == frozenset()
    assert "Bob Example said they are not your line manager" in await delivered(harness, ALICE)
    history = text_of((await harness.press("people.home", {}, ALICE))["value"])
    assert "said this wasn't right" in history


async def test_someone_not_yet_installed_is_asked_when_they_appear(harness):
    await harness.say("hi", ALICE)
    body = await harness.press("people.request.save", {"kind": "peer_supervisor", "person": "aad-sam"}, ALICE)
    assert "hasn't opened PeerSpace yet" in text_of(body["value"])
    assert (await person(harness, "aad-sam")).user_id is None
    await harness.install(SAM)
    assert "Alice Example says you are their peer supervisor" in await delivered(harness, SAM)
    [link] = await links(harness)
    await harness.press("people.confirm", {"link": link.id}, SAM)
    assert [l.status for l in await links(harness)] == [LinkStatus.ACTIVE]


async def test_bad_requests_are_refused_naming_the_field(harness):
    await harness.say("hi", ALICE)
    body = await harness.press("people.request.save", {"kind": "boss", "person": "../etc"}, ALICE)
    card = text_of(body["value"])
    assert "Who they are to you:" in card and "Person:" in card
    body = await harness.press("people.request.save", {"kind": "peer_supervisor", "person": "aad-alice"}, ALICE)
    assert "cannot be their own peer supervisor" in text_of(body["value"])
    assert await links(harness) == []


async def test_ending_by_the_supervisor_or_an_admin_only_with_history_kept(harness):
    for who in (ADMIN, ALICE, BOB, CARL):
        await harness.say("hi", who)
    await harness.press("people.setup.save", {"worker": "aad-alice", "peer_supervisor": "aad-bob",
                                              "line_manager": "aad-carl"}, ADMIN)
    ps, lm = sorted(await links(harness), key=lambda l: l.kind, reverse=True)
    for who in (ALICE, CARL):  # the worker, and someone else's link's manager
        await harness.press("people.end", {"link": ps.id}, who)
        assert "only open to" in harness.connector.to(who.conversation_id)[-1].text
    assert {l.status for l in await links(harness)} == {LinkStatus.ACTIVE}
    supporting = text_of((await harness.press("people.home", {}, BOB))["value"])
    assert "Alice Example (peer supervisor since" in supporting
    body = await harness.press("people.end", {"link": ps.id}, BOB)
    assert "has ended" in text_of(body["value"])
    assert Role.PEER_SUPERVISOR not in await _roles(harness, "aad-bob")
    assert "Bob Example is no longer Alice Example's peer supervisor" in await delivered(harness, ALICE)
    body = await harness.press("people.end", {"link": lm.id}, ADMIN)
    assert "has ended" in text_of(body["value"])
    home = text_of((await harness.press("people.home", {}, ALICE))["value"])
    assert "Bob Example, " in home and "Carl Third, " in home and "None recorded" in home


async def test_my_data_lists_and_erases_keeping_the_other_partys_history_honest(harness):
    for who in (ADMIN, ALICE, BOB):
        await harness.say("hi", who)
    await harness.press("people.setup.save", {"worker": "aad-alice", "peer_supervisor": "aad-bob",
                                              "team": "Ward 3"}, ADMIN)
    await harness.say("my data", ALICE)
    listed = text_of(harness.connector.to(ALICE.conversation_id)[-1].cards)
    assert "Ward 3" in listed and "1 as the person supported, 0 as line manager or peer supervisor" in listed
    # The supervisor erases their data: the worker's history keeps the dates, not the person.
    await harness.say("my data", BOB)
    await harness.press("my_data.delete", {}, BOB)
    await harness.press("my_data.delete.confirm", {}, BOB)
    [link] = await links(harness)
    assert link.status == LinkStatus.ENDED
    async with harness.components.services.db() as db:
        other = await db.get(Person, link.other_id)
        assert (other.name, other.aad_object_id, other.email, other.user_id) == ("", None, None, None)
        assert await db.scalar(select(User).where(User.teams_id == BOB.teams_id)) is None
    home = text_of((await harness.press("people.home", {}, ALICE))["value"])
    assert "someone whose details were deleted" in home and "Bob" not in home
    # The worker erases theirs: their links go, and the blanked row with them.
    await harness.say("my data", ALICE)
    await harness.press("my_data.delete", {}, ALICE)
    await harness.press("my_data.delete.confirm", {}, ALICE)
    assert await links(harness) == []
    async with harness.components.services.db() as db:
        assert (await db.scalars(select(Person.aad_object_id))).all() == ["aad-admin"]
