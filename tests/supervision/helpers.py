"""People for the supervision tests, linked with the people foundation directly, and ways to read
what each of them was shown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from storage.models import RoleGrant, User
from storage.people import repository as people
from storage.people.models import LinkKind, Person as PersonRow, SupervisionRecord
from tests.factories import FACILITATOR, Person

WREN = Person("29:wren", "aad-wren", "Wren Worker")  # the supervisee
SAM = Person("29:sam", "aad-sam", "Sam Peersup")  # Wren's peer supervisor
MAX = Person("29:max", "aad-max", "Max Manager")  # Wren's line manager
OLLY = Person("29:olly", "aad-olly", "Olly Other")  # another worker
UMA = Person("29:uma", "aad-uma", "Uma Unrelated")  # Olly's peer supervisor
MIA = Person("29:mia", "aad-mia", "Mia Elsewhere")  # Olly's line manager
LEAD = Person("29:lee", "aad-lee", "Lee Lead")  # a peer lead
ADMIN = Person("29:ada", "aad-admin", "Ada Admin")  # named in the test settings' admin ids
EVERYONE = (WREN, SAM, MAX, OLLY, UMA, MIA, LEAD, ADMIN, FACILITATOR)
# Everyone who must never read Wren's records.
OUTSIDERS = {"other worker": OLLY, "unrelated supervisor": UMA, "unrelated manager": MIA,
             "facilitator": FACILITATOR, "peer lead": LEAD, "admin": ADMIN}


@dataclass
class Ids:
    persons: dict[str, str]  # teams id -> person id


async def set_up(harness, *, install: tuple[Person, ...] = EVERYONE) -> Ids:
    """Everyone talks to the bot; Sam supervises and Max manages Wren; Uma and Mia support Olly."""
    for person in install:
        await harness.say("hi", person)
    ids: dict[str, str] = {}
    async with harness.components.services.db() as db, db.begin():
        for person in EVERYONE:
            user = await db.scalar(select(User).where(User.teams_id == person.teams_id))
            row = await people.ensure_person(db, user) if user is not None else \
                await people.find_or_add_person(db, aad_object_id=person.aad, name=person.name)
            ids[person.teams_id] = row.id
        for worker, other, kind in ((WREN, SAM, LinkKind.PEER_SUPERVISOR), (WREN, MAX, LinkKind.LINE_MANAGER),
                                    (OLLY, UMA, LinkKind.PEER_SUPERVISOR), (OLLY, MIA, LinkKind.LINE_MANAGER)):
            await people.set_link(db, worker_id=ids[worker.teams_id], other_id=ids[other.teams_id], kind=kind,
                                  started_on=date(2026, 1, 5), set_by=None)
        db.add(RoleGrant(aad_object_id=LEAD.aad, role="peer_lead", granted_by="aad-admin"))
    harness.components.services.actors.clear()
    return Ids(ids)


def form(worker: str, type_: str = "peer_supervision", held_on: str = "2026-11-20", minutes: str = "60",
         actions: str = "") -> dict[str, Any]:
    return {"worker": worker, "type": type_, "held_on": held_on, "minutes": minutes, "actions": actions}


async def records(harness) -> list[SupervisionRecord]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(SupervisionRecord).order_by(SupervisionRecord.held_on)))


async def person_id(harness, person: Person) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(PersonRow.id).where(PersonRow.aad_object_id == person.aad))


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def shown(harness, verb: str, data: dict[str, Any] | None, person: Person) -> str:
    """Everything `person` is shown for pressing `verb`: the invoke's answer and any messages."""
    before = len(harness.connector.to(person.conversation_id))
    body = await harness.press(verb, data, person)
    sent = harness.connector.to(person.conversation_id)[before:]
    return text_of(body) + "".join(text_of(s.cards) + s.text for s in sent)


async def drain(harness) -> int:
    return (await harness.components.dispatcher.drain()).sent


def cards_to(harness, person: Person) -> str:
    return "".join(text_of(s.cards) for s in harness.connector.to(person.conversation_id))
