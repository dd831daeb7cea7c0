"""Finding people: what a picked card value names, who an actor may manage, the fallback list of
people the bot knows, search, and the check-ins seam (a worker's reachable peer supervisor).

Roles are checked above this (dialogs/people/common.py: may_manage).

A value from the people picker is an AAD object id (Teams' directory, or our static choice for a
person whose id we know); a static choice for someone known only by email carries `person:<id>`.
The Agents Playground's picker sends its own account id for a person instead (`user-id-1`), which
is also the Teams id we stored when they wrote to us, so a known account id names that person.
All resolve here, so the card works with the picker and without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from storage.people.repository import current_other, ensure_person, find_or_add_person, person_of_user
from storage.supervisors import Supervisor

PERSON_PREFIX = "person:"
# What Teams sends for a directory pick is a GUID; test and Playground ids are looser. Either way an
# id is letters, digits and dashes, and nothing that could be a path, a query or markup.
_AAD = re.compile(r"[0-9A-Za-z-]{1,64}")
ALIVE = (LinkStatus.ACTIVE, LinkStatus.PENDING)


def choice_value(person: Person) -> str:
    """The value a static choice carries for `person`: their AAD id when known (the same value the
    picker sends for them), else their person id."""
    return person.aad_object_id or f"{PERSON_PREFIX}{person.id}"


def is_pick(value: object) -> bool:
    """Whether a card value is shaped like a pick (an AAD id or a person reference)."""
    if not isinstance(value, str):
        return False
    raw = value[len(PERSON_PREFIX):] if value.startswith(PERSON_PREFIX) else value
    return _AAD.fullmatch(raw) is not None


async def resolve_pick(db: AsyncSession, value: str, *, added_by: str | None) -> Person | None:
    """The person a picked value names; someone new to us is recorded, unreached until they install."""
    if not is_pick(value):
        return None
    if value.startswith(PERSON_PREFIX):
        return await db.get(Person, value[len(PERSON_PREFIX):])
    # Someone who has written to us is found by either id and keeps the name Teams gave them; a
    # Teams GUID never equals a Teams account id ("29:..."), so the two cannot be confused.
    user = await db.scalar(select(User).where(
        or_(func.lower(User.aad_object_id) == value.lower(), User.teams_id == value)).limit(1))
    if user is not None:
        return await ensure_person(db, user)
    return await find_or_add_person(db, aad_object_id=value, added_by=added_by)


async def actor_person(db: AsyncSession, user_id: str) -> Person | None:
    """The person behind a turn, recorded if this is their first dealing with the people feature."""
    if not user_id:
        return None
    user = await db.get(User, user_id)
    return await ensure_person(db, user) if user is not None else None


def same_text(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


async def known_people(db: AsyncSession, *, organisation: str | None = None, query: str = "",
                       limit: int = 150) -> Sequence[Person]:
    """People with a name, by name: the fallback list and the admin search. `organisation`, when
    given, limits it to that organisation (a peer lead's view)."""
    stmt = select(Person).where(Person.name != "")
    if organisation is not None:
        stmt = stmt.where(func.lower(Person.organisation) == organisation.strip().lower())
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(Person.name).like(pattern, escape="\\"),
                              func.lower(Person.team).like(pattern, escape="\\"),
                              func.lower(func.coalesce(Person.email, "")).like(pattern, escape="\\")))
    return (await db.scalars(stmt.order_by(Person.name, Person.id).limit(limit))).all()


async def links_of(db: AsyncSession, person_id: str, *, as_other: bool = False,
                   statuses: Sequence[LinkStatus] | None = None) -> Sequence[PersonLink]:
    """Links where the person is the worker (or, with `as_other`, the manager or supervisor)."""
    column = PersonLink.other_id if as_other else PersonLink.worker_id
    stmt = select(PersonLink).where(column == person_id)
    if statuses is not None:
        stmt = stmt.where(PersonLink.status.in_([s.value for s in statuses]))
    return (await db.scalars(stmt.order_by(PersonLink.created_at.desc(), PersonLink.id))).all()


async def names_of(db: AsyncSession, ids: set[str]) -> dict[str, Person]:
    if not ids:
        return {}
    return {p.id: p for p in (await db.scalars(select(Person).where(Person.id.in_(ids)))).all()}


async def peer_supervisor_of_user(db: AsyncSession, user_id: str) -> Supervisor | None:
    """The check-ins seam: a worker's current peer supervisor, when that person has installed."""
    worker = await person_of_user(db, user_id)
    if worker is None:
        return None
    other = await current_other(db, worker.id, LinkKind.PEER_SUPERVISOR)
    if other is None or other.user_id is None:
        return None
    return Supervisor(other.user_id, other.name)
