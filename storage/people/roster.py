"""Applying a checked roster: people added or updated, links set, peer leads granted.

The file is read and checked row by row in dialogs/people/roster.py; here the rows are applied in
the caller's transaction (all or nothing), and each change is returned so a dry run can print
exactly what a real run would do (it runs the same code, then rolls back). Applying the same
file again changes nothing: fields are compared before they are written, a link that is already
current is left alone, and a role already granted is not granted again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant
from storage.people.changes import assign
from storage.people.models import LinkKind, Person
from storage.people.repository import find_or_add_person

Ref = tuple[str, str]  # ("aad" | "email", normalised value)
GRANTED_BY = "roster"


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    ref: Ref
    roles: tuple[str, ...]
    line_manager: Ref | None
    peer_supervisor: Ref | None
    start_date: date | None
    team: str
    organisation: str


@dataclass(frozen=True)
class Change:
    line: int
    what: str  # added | updated | link | granted: a text under people.roster.changes
    params: dict[str, str] = field(default_factory=dict)


async def find(db: AsyncSession, ref: Ref) -> Person | None:
    column = Person.aad_object_id if ref[0] == "aad" else Person.email
    return await db.scalar(select(Person).where(column == ref[1]).limit(1))


async def unknown_references(db: AsyncSession, rows: list[RosterRow]) -> list[tuple[int, str, str]]:
    """(line, column, value) for every manager or supervisor named who is neither a row of this
    file nor someone the bot already knows."""
    in_file = {row.ref for row in rows}
    missing = []
    for row in rows:
        for column in ("line_manager", "peer_supervisor"):
            ref = getattr(row, column)
            if ref is not None and ref not in in_file and await find(db, ref) is None:
                missing.append((row.line, column, ref[1]))
    return missing


async def apply(db: AsyncSession, rows: list[RosterRow], *, on: date, now: datetime) -> list[Change]:
    changes: list[Change] = []
    people: dict[Ref, Person] = {}
    for row in rows:
        people[row.ref] = await _person(db, row, changes)
    for row in rows:
        worker = people[row.ref]
        for kind in (LinkKind.LINE_MANAGER, LinkKind.PEER_SUPERVISOR):
            ref = getattr(row, kind.value)
            if ref is None:
                continue
            other = people.get(ref) or await find(db, ref)
            assert other is not None  # unknown_references refused the file otherwise
            if await assign(db, worker=worker, other=other, kind=kind, on=on, set_by=None, now=now):
                changes.append(Change(row.line, "link", {"worker": worker.name, "kind": kind.value,
                                                         "other": other.name or ref[1]}))
        if "peer_lead" in row.roles and worker.aad_object_id:
            held = await db.scalar(select(RoleGrant.id).where(
                RoleGrant.aad_object_id == worker.aad_object_id, RoleGrant.role == "peer_lead"))
            if held is None:
                db.add(RoleGrant(aad_object_id=worker.aad_object_id, role="peer_lead", granted_by=GRANTED_BY))
                changes.append(Change(row.line, "granted", {"name": worker.name}))
    await db.flush()
    return changes


async def _person(db: AsyncSession, row: RosterRow, changes: list[Change]) -> Person:
    person = await find(db, row.ref)
    if person is None:
        aad, email = (row.ref[1], None) if row.ref[0] == "aad" else (None, row.ref[1])
        person = await find_or_add_person(db, aad_object_id=aad, email=email, name=row.name)
        person.team, person.organisation, person.start_date = row.team, row.organisation, row.start_date
        changes.append(Change(row.line, "added", {"name": row.name, "id": row.ref[1]}))
        return person
    wanted = {"name": row.name, "team": row.team, "organisation": row.organisation, "start_date": row.start_date}
    # An empty cell leaves what is held: a roster need not repeat every detail.
    changed = [k for k, v in wanted.items() if v not in ("", None) and getattr(person, k) != v]
    for key in changed:
        setattr(person, key, wanted[key])
    if changed:
        changes.append(Change(row.line, "updated", {"name": row.name, "fields": ", ".join(changed)}))
    return person
