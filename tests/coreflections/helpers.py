"""Shared steps of the co-reflection tests: a peer lead, members who have (or have not) installed,
a group made through the card, and reading what was sent or stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence
from storage.models import OutboxMessage, RoleGrant, User
from storage.people.models import Person as PersonRow, SupervisionRecord
from tests.factories import ALICE, BOB, Person

LEAD = Person("29:lena", "aad-lena", "Lena Lead")
OTHER_LEAD = Person("29:omar", "aad-omar", "Omar Otherlead")
CAROL = Person("29:carol", "aad-carol", "Carol Later")  # picked before she installs
FORM = {"name": "North ward co-reflection", "members": f"{ALICE.aad},{BOB.aad},{CAROL.aad}",
        "joining_url": "https://teams.microsoft.com/l/meetup-join/abc", "frequency": "monthly", "nth": "1",
        "weekday": "TU", "starts_on": "2026-11-24", "start": "10:00", "minutes": "60", "zone": "Europe/London"}


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def grant(harness, person: Person, role: str) -> None:
    await harness.say("hi", person)
    async with harness.components.services.db() as db, db.begin():
        db.add(RoleGrant(aad_object_id=person.aad, role=role, granted_by="aad-admin"))
    harness.components.services.actors.clear()


async def make_group(harness, **changes: str) -> dict[str, Any]:
    """Lena (a peer lead) sets up a group of Alice, Bob (installed) and Carol (not yet)."""
    await grant(harness, LEAD, "peer_lead")
    await harness.say("hi", ALICE)
    await harness.say("hi", BOB)
    return await harness.press("coreflections.create", {**FORM, **changes}, LEAD)


async def group_row(harness) -> CoReflectionGroup:
    async with harness.components.services.db() as db:
        group = await db.scalar(select(CoReflectionGroup))
    assert group is not None
    return group


async def occurrences(harness) -> list[CoReflectionOccurrence]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(CoReflectionOccurrence).order_by(CoReflectionOccurrence.original_start)))


async def outbox(harness, kind: str | None = None) -> list[OutboxMessage]:
    async with harness.components.services.db() as db:
        query = select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.idempotency_key)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await db.scalars(query))


async def person_id(harness, person: Person) -> str:
    async with harness.components.services.db() as db:
        found = await db.scalar(select(PersonRow.id).where(PersonRow.aad_object_id == person.aad))
    assert found is not None
    return found


async def user_id(harness, person: Person) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == person.teams_id))


async def records(harness) -> list[SupervisionRecord]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(SupervisionRecord)))


def cards_to(harness, person: Person) -> list[dict[str, Any]]:
    return [c for s in harness.connector.to(person.conversation_id) for c in s.cards]


async def send_due(harness, clock, at) -> None:
    """Move the clock and let the dispatcher send what is due."""
    clock.set(at)
    await harness.components.dispatcher.drain()


async def run_tick(harness) -> None:
    job = harness.components.scheduler.job("coreflections.tick")
    await job()


HOUR = timedelta(hours=1)
