"""Shared steps of the people tests: who is who, reading people and links, running the outbox."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.models import OutboxMessage, User
from storage.people.models import Person, PersonLink
from tests.factories import Person as Teams

ADMIN = Teams("29:admin", "aad-admin", "Ada Admin")  # an administrator by configuration (tests/conftest.py)
CARL = Teams("29:carl", "aad-carl", "Carl Third")
LEAD = Teams("29:lee", "aad-lee", "Lee Lead")


def text_of(card: Any) -> str:
    return json.dumps(card, ensure_ascii=False)


async def person(harness, aad: str) -> Person | None:
    async with harness.components.services.db() as db:
        return await db.scalar(select(Person).where(Person.aad_object_id == aad))


async def links(harness) -> list[PersonLink]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(PersonLink).order_by(PersonLink.created_at, PersonLink.id)))


async def user_id(harness, who: Teams) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == who.teams_id))


async def outbox(harness, kind_prefix: str = "people") -> list[OutboxMessage]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind.like(kind_prefix + "%"))
                                     .order_by(OutboxMessage.id)))


async def delivered(harness, who: Teams) -> str:
    """Send what is due, then everything the bot has sent to `who`, as text."""
    await harness.components.dispatcher.drain()
    return text_of([s.cards or s.text for s in harness.connector.to(who.conversation_id)])


async def grant_lead(harness, who: Teams) -> None:
    await harness.press("roles.grant", {"person": await user_id(harness, who), "role": "peer_lead"}, ADMIN)


def choice_values(card: dict, input_id: str) -> dict[str, str]:
    """title -> value of a ChoiceSet's static choices."""
    def walk(node):
        if isinstance(node, dict):
            if node.get("id") == input_id:
                yield node
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)
    [choice_set] = list(walk(card))
    return {c["title"]: c["value"] for c in choice_set["choices"]}
