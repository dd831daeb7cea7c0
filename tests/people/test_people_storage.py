"""The people foundation: persons reached once they install, one active link of each kind, roles
implied by links and gone when a link ends, peer leads by team. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import create_engine, create_sessionmaker
from storage.models import RoleGrant, User
from storage.people import directory
from storage.people import repository as people
from storage.people.models import LinkKind, LinkStatus, PersonLink
from storage.people.models import Person as PersonRow
from storage.roles import ConfiguredRoles, Role, roles_of

NOBODY = ConfiguredRoles.of([], [])


@pytest.fixture
async def db(db_url) -> AsyncIterator[AsyncSession]:
    engine = create_engine(db_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def _user(db: AsyncSession, name: str, aad: str) -> User:
    user = User(teams_id=f"29:{name}", aad_object_id=aad, name=name)
    db.add(user)
    await db.flush()
    return user


async def test_a_person_picked_before_installing_is_reached_when_they_do(db):
    picked = await people.find_or_add_person(db, aad_object_id="AAD-SAM", name="Sam", added_by=None)
    assert picked.user_id is None
    sam = await _user(db, "Sam", "aad-sam")
    assert (await people.ensure_person(db, sam)).id == picked.id
    assert picked.user_id == sam.id
    again = await people.find_or_add_person(db, email="Sam@Example.NHS.uk", aad_object_id="aad-sam")
    assert again.id == picked.id and again.email == "sam@example.nhs.uk"


async def test_links_imply_roles_and_ending_takes_them_away(db):
    worker = await people.ensure_person(db, await _user(db, "Wren", "aad-w"))
    manager = await people.ensure_person(db, await _user(db, "Max", "aad-m"))
    assert await roles_of(db, "aad-w", NOBODY) == frozenset()
    link = await people.set_link(db, worker_id=worker.id, other_id=manager.id, kind=LinkKind.LINE_MANAGER,
                                 started_on=date(2026, 1, 5), set_by=None)
    assert await roles_of(db, "aad-w", NOBODY) == {Role.WORKER}
    assert await roles_of(db, "AAD-M", NOBODY) == {Role.LINE_MANAGER}
    db.add(RoleGrant(aad_object_id="aad-m", role="peer_lead", granted_by="x"))
    await db.flush()
    assert await roles_of(db, "aad-m", NOBODY) == {Role.LINE_MANAGER, Role.PEER_LEAD}
    await people.end_link(db, link, date(2026, 6, 1))
    assert await roles_of(db, "aad-w", NOBODY) == frozenset()
    assert await roles_of(db, "aad-m", NOBODY) == {Role.PEER_LEAD}
    assert [l.status for l in await people.link_history(db, worker.id)] == [LinkStatus.ENDED]


async def test_one_active_link_of_each_kind_with_history(db):
    worker = await people.find_or_add_person(db, email="w@x.nhs.uk")
    first = await people.find_or_add_person(db, email="a@x.nhs.uk")
    second = await people.find_or_add_person(db, email="b@x.nhs.uk")
    await people.set_link(db, worker_id=worker.id, other_id=first.id, kind=LinkKind.PEER_SUPERVISOR,
                          started_on=date(2026, 1, 1), set_by=None)
    await people.set_link(db, worker_id=worker.id, other_id=second.id, kind=LinkKind.PEER_SUPERVISOR,
                          started_on=date(2026, 3, 1), set_by=None)
    assert (await people.current_other(db, worker.id, LinkKind.PEER_SUPERVISOR)).id == second.id
    assert [p.id for p in await people.linked_workers(db, first.id, LinkKind.PEER_SUPERVISOR)] == []
    ended = [l for l in await people.link_history(db, worker.id) if l.status == LinkStatus.ENDED]
    assert [(l.other_id, l.ended_on) for l in ended] == [(first.id, date(2026, 3, 1))]
    with pytest.raises(people.SamePerson):
        await people.set_link(db, worker_id=worker.id, other_id=worker.id, kind=LinkKind.LINE_MANAGER,
                              started_on=date(2026, 3, 1), set_by=None)
    # The database itself refuses a second active link of a kind.
    with pytest.raises(IntegrityError):
        async with db.begin_nested():
            db.add(PersonLink(worker_id=worker.id, other_id=first.id, kind=LinkKind.PEER_SUPERVISOR,
                              status=LinkStatus.ACTIVE))


async def test_a_pending_link_implies_nothing_until_confirmed(db):
    worker = await people.ensure_person(db, await _user(db, "Wren", "aad-w"))
    sup = await people.ensure_person(db, await _user(db, "Sol", "aad-s"))
    link = await people.set_link(db, worker_id=worker.id, other_id=sup.id, kind=LinkKind.PEER_SUPERVISOR,
                                 started_on=date(2026, 2, 1), set_by=worker.id, status=LinkStatus.PENDING)
    assert await roles_of(db, "aad-s", NOBODY) == frozenset()
    await people.activate(db, link, date(2026, 2, 3))
    assert await roles_of(db, "aad-s", NOBODY) == {Role.PEER_SUPERVISOR}
    assert link.started_on == date(2026, 2, 3)


async def test_peer_leads_of_the_team_first_then_the_organisation(db):
    worker = await people.find_or_add_person(db, aad_object_id="w", name="W")
    ward_lead = await people.find_or_add_person(db, aad_object_id="l1", name="Lee")
    org_lead = await people.find_or_add_person(db, aad_object_id="l2", name="Ola")
    for p, team in ((worker, "Ward 3"), (ward_lead, "Ward 3"), (org_lead, "Peer team")):
        p.organisation, p.team = "Trust A", team
    db.add_all([RoleGrant(aad_object_id="l1", role="peer_lead", granted_by="x"),
                RoleGrant(aad_object_id="l2", role="peer_lead", granted_by="x")])
    await db.flush()
    assert [p.id for p in await people.peer_leads_for(db, worker)] == [ward_lead.id]
    worker.team = "Ward 9"
    assert [p.id for p in await people.peer_leads_for(db, worker)] == [ward_lead.id, org_lead.id]


async def test_a_person_recorded_nameless_at_install_takes_the_name_teams_sends_later(db):
    # Teams sends no name with the install event: the person is recorded without one.
    user = User(teams_id="29:nia", aad_object_id="aad-nia", name="")
    db.add(user)
    await db.flush()
    nameless = await people.ensure_person(db, user)
    assert nameless.name == ""
    user.name = "Nia Okafor"  # her first message carries it
    assert (await people.ensure_person(db, user)).name == "Nia Okafor"
    assert [p.name for p in await directory.known_people(db)] == ["Nia Okafor"]


async def test_a_pick_naming_a_known_teams_account_is_that_person_not_a_stranger(db):
    # The Agents Playground's people picker sends its account id ("user-id-1"), not the AAD id.
    user = User(teams_id="user-id-1", aad_object_id="00000000-0000-0000-0000-0000000000021", name="Megan Bowen")
    db.add(user)
    await db.flush()
    by_account = await directory.resolve_pick(db, "user-id-1", added_by=None)
    by_aad = await directory.resolve_pick(db, "00000000-0000-0000-0000-0000000000021", added_by=None)
    assert by_account is not None and by_account.user_id == user.id and by_account.name == "Megan Bowen"
    assert by_aad is not None and by_aad.id == by_account.id
    assert await db.scalar(select(func.count()).select_from(PersonRow)) == 1
    # Someone we have not met is still recorded by the id picked, to be reached when they install.
    stranger = await directory.resolve_pick(db, "aad-unknown", added_by=None)
    assert stranger is not None and stranger.user_id is None and stranger.aad_object_id == "aad-unknown"
