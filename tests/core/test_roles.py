"""Role management: only administrators, validated input, no self-grants, configured roles."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import RoleGrant, User
import pytest

from storage.roles import Actor, ConfiguredRoles, NotPermitted, Role, grant, roles_of
from tests.factories import ALICE, BOB, Person

ADMIN = Person("29:admin", "aad-admin", "Ada Admin")


async def _user_id(harness, person):
    async with harness.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == person.teams_id))


async def _grants(harness):
    async with harness.components.services.db() as db:
        return await db.scalar(select(func.count()).select_from(RoleGrant))


def _error_text(card):
    return " ".join(i["text"] for b in card["body"] if b.get("style") in ("attention", "good") for i in b["items"])


async def test_menu_shows_roles_only_to_admins(harness):
    await harness.say("menu", ALICE)
    assert "roles.show" not in str(harness.connector.sent[-1].cards[0])
    await harness.say("menu", ADMIN)
    assert "roles.show" in str(harness.connector.sent[-1].cards[0])


async def test_non_admin_is_not_permitted_and_nothing_changes(harness):
    await harness.say("hi", BOB)
    body = await harness.press("roles.grant", {"person": await _user_id(harness, BOB), "role": "facilitator"}, ALICE)
    assert body["statusCode"] == 200
    assert "only open to administrators" in harness.connector.sent[-1].text
    assert await _grants(harness) == 0


def test_not_permitted_carries_the_roles_that_would_allow_the_action():
    """The handler names these roles to the person; they travel as roles, not as text to parse."""
    worker = Actor("u1", "aad-1", frozenset({Role.WORKER}))
    with pytest.raises(NotPermitted) as refused:
        worker.require(Role.FACILITATOR, Role.ADMIN)
    assert refused.value.roles == (Role.FACILITATOR, Role.ADMIN)
    assert refused.value.reason == "role"


async def test_a_self_grant_is_refused_whatever_role_is_held():
    admin = Actor("u1", "AAD-1", frozenset({Role.ADMIN}))
    with pytest.raises(NotPermitted) as refused:
        await grant(None, actor=admin, aad_object_id="aad-1", role=Role.FACILITATOR)  # refused before any query
    assert refused.value.roles == ()
    assert refused.value.reason == "self-grant"


async def test_admin_grants_and_revokes_a_role(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", ADMIN)
    alice_id = await _user_id(harness, ALICE)
    body = await harness.press("roles.grant", {"person": alice_id, "role": "facilitator"}, ADMIN)
    assert "Alice Example is now one of the facilitators" in _error_text(body["value"])
    async with harness.components.services.db() as db:
        roles = await roles_of(db, ALICE.aad, ConfiguredRoles.of([], []))
    assert roles == {Role.FACILITATOR}
    body = await harness.press("roles.grant", {"person": alice_id, "role": "facilitator"}, ADMIN)
    assert "already had that role" in _error_text(body["value"])
    body = await harness.press("roles.revoke", {"person": alice_id, "role": "facilitator"}, ADMIN)
    assert "no longer one of the facilitators" in _error_text(body["value"])
    assert await _grants(harness) == 0


async def test_an_admin_erasing_their_data_leaves_the_grants_they_made_without_their_id(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", ADMIN)
    await harness.press("roles.grant", {"person": await _user_id(harness, ALICE), "role": "facilitator"}, ADMIN)
    await harness.say("my data", ADMIN)
    await harness.press("my_data.delete", {}, ADMIN)
    await harness.press("my_data.delete.confirm", {}, ADMIN)
    async with harness.components.services.db() as db:
        assert await _user_id(harness, ADMIN) is None
        [(holder, role, granted_by)] = (await db.execute(
            select(RoleGrant.aad_object_id, RoleGrant.role, RoleGrant.granted_by))).all()
    assert (holder, role, granted_by) == (ALICE.aad.lower(), "facilitator", "")


async def test_invalid_input_returns_the_card_with_a_message(harness):
    await harness.say("hi", ADMIN)
    body = await harness.press("roles.grant", {"person": "nobody", "role": "facilitator"}, ADMIN)
    assert "was not found" in _error_text(body["value"])
    body = await harness.press("roles.grant", {"person": await _user_id(harness, ADMIN), "role": "emperor"}, ADMIN)
    assert "Choose one of the roles" in _error_text(body["value"])
    assert await _grants(harness) == 0


async def test_nobody_grants_themselves_a_role(harness):
    await harness.say("hi", ADMIN)
    body = await harness.press("roles.grant", {"person": await _user_id(harness, ADMIN), "role": "line_manager"},
                               ADMIN)
    assert "cannot change your own roles" in _error_text(body["value"])
    assert await _grants(harness) == 0


async def test_a_granted_role_applies_at_the_next_turn(harness):
    await harness.say("menu", ALICE)
    assert "feedback.reports" not in str(harness.connector.sent[-1].cards[0])
    await harness.say("hi", ADMIN)
    await harness.press("roles.grant", {"person": await _user_id(harness, ALICE), "role": "facilitator"}, ADMIN)
    await harness.say("menu", ALICE)
    assert "feedback.reports" in str(harness.connector.sent[-1].cards[0])
