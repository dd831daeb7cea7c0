"""People and who supports whom. Plain rules over the tables in models.py; no SDK here.

Relationships imply roles (a worker with an active line manager is a worker; that manager is a line
manager): `implied_roles` is read by storage.roles.roles_of in the same statement as granted roles,
so ending a link takes the role away at once, with nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant, User
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink


class SamePerson(ValueError):
    """A worker cannot be their own line manager or peer supervisor."""


def implied_roles(aad_object_id: str) -> Select[tuple[str]]:
    """The roles a person's active links give them: role values, as `RoleGrant.role` holds them."""
    role = case((PersonLink.worker_id == Person.id, "worker"), else_=PersonLink.kind)
    return (select(role)
            .select_from(Person)
            .join(PersonLink, or_(PersonLink.worker_id == Person.id, PersonLink.other_id == Person.id))
            .where(Person.aad_object_id == aad_object_id.lower(), PersonLink.status == LinkStatus.ACTIVE))


async def person_of_user(db: AsyncSession, user_id: str) -> Person | None:
    return await db.scalar(select(Person).where(Person.user_id == user_id))


async def ensure_person(db: AsyncSession, user: User) -> Person:
    """The person behind a User: found by user, else by AAD id (picked before they installed), else new."""
    person = await person_of_user(db, user.id)
    if person is None and user.aad_object_id:
        person = await db.scalar(select(Person).where(Person.aad_object_id == user.aad_object_id.lower()))
    if person is None:
        person = Person(aad_object_id=user.aad_object_id.lower() if user.aad_object_id else None, name=user.name)
        db.add(person)
    person.user_id = user.id
    # Teams sends no name when the app is installed, so a person recorded then is nameless until
    # the user writes to us: take the name as soon as we have it.
    if not person.name and user.name:
        person.name = user.name
    await db.flush()
    return person


async def find_or_add_person(db: AsyncSession, *, aad_object_id: str | None = None, email: str | None = None,
                             name: str = "", added_by: str | None = None) -> Person:
    """A person picked or imported by AAD id or email, created (not yet reachable) when unknown."""
    if not aad_object_id and not email:
        raise ValueError("a person needs an AAD object id or an email")
    aad = aad_object_id.lower() if aad_object_id else None
    mail = email.strip().lower() if email else None
    clauses = [Person.aad_object_id == aad] if aad else []
    clauses += [Person.email == mail] if mail else []
    person = await db.scalar(select(Person).where(or_(*clauses)).limit(1))
    if person is None:
        person = Person(aad_object_id=aad, email=mail, name=name, added_by=added_by)
        if aad:
            person.user_id = await db.scalar(select(User.id).where(User.aad_object_id == aad).limit(1))
        db.add(person)
    else:
        person.aad_object_id = person.aad_object_id or aad
        person.email = person.email or mail
        person.name = person.name or name
    await db.flush()
    return person


async def current_link(db: AsyncSession, worker_id: str, kind: LinkKind) -> PersonLink | None:
    return await db.scalar(select(PersonLink).where(
        PersonLink.worker_id == worker_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE))


async def current_other(db: AsyncSession, worker_id: str, kind: LinkKind) -> Person | None:
    """A worker's line manager or peer supervisor now, if any."""
    return await db.scalar(select(Person).join(PersonLink, PersonLink.other_id == Person.id).where(
        PersonLink.worker_id == worker_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE))


async def set_link(db: AsyncSession, *, worker_id: str, other_id: str, kind: LinkKind, started_on: date,
                   set_by: str | None, status: LinkStatus = LinkStatus.ACTIVE) -> PersonLink:
    """Make `other` the worker's line manager or peer supervisor. An active link of the same kind
    ends the day the new one starts; a pending one waits for the other person to confirm."""
    if worker_id == other_id:
        raise SamePerson(kind)
    if status == LinkStatus.ACTIVE:
        await _end_active(db, worker_id, kind, started_on)
    link = PersonLink(worker_id=worker_id, other_id=other_id, kind=kind, status=status,
                      started_on=started_on, set_by=set_by)
    db.add(link)
    await db.flush()
    return link


async def activate(db: AsyncSession, link: PersonLink, on: date) -> None:
    """A pending link confirmed by the person named in it."""
    await _end_active(db, link.worker_id, LinkKind(link.kind), on)
    link.status, link.started_on = LinkStatus.ACTIVE, on
    await db.flush()


async def end_link(db: AsyncSession, link: PersonLink, on: date) -> None:
    link.status, link.ended_on = LinkStatus.ENDED, on
    await db.flush()


async def _end_active(db: AsyncSession, worker_id: str, kind: LinkKind, on: date) -> None:
    await db.execute(update(PersonLink).where(
        PersonLink.worker_id == worker_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE,
    ).values(status=LinkStatus.ENDED, ended_on=on))


async def linked_workers(db: AsyncSession, other_id: str, kind: LinkKind) -> Sequence[Person]:
    """The workers someone supervises (peer supervisor) or manages (line manager) now."""
    return (await db.scalars(select(Person).join(PersonLink, PersonLink.worker_id == Person.id).where(
        PersonLink.other_id == other_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE,
    ).order_by(Person.name, Person.id))).all()


async def link_history(db: AsyncSession, worker_id: str) -> Sequence[PersonLink]:
    """Every link of a worker, newest first: ended ones are kept for records."""
    return (await db.scalars(select(PersonLink).where(PersonLink.worker_id == worker_id)
                             .order_by(PersonLink.created_at.desc(), PersonLink.id))).all()


async def peer_leads_for(db: AsyncSession, worker: Person) -> Sequence[Person]:
    """Who a worker's overdue peer supervision goes to: the peer leads of their team in their
    organisation, else every peer lead of their organisation."""
    leads = (select(Person).join(RoleGrant, RoleGrant.aad_object_id == Person.aad_object_id)
             .where(RoleGrant.role == "peer_lead", Person.organisation == worker.organisation,
                    Person.id != worker.id)
             .order_by(Person.name, Person.id))
    same_team = (await db.scalars(leads.where(and_(Person.team == worker.team)))).all()
    return same_team or (await db.scalars(leads)).all()
