"""Changing who supports whom, and telling the people concerned through the outbox.

Nobody is messaged before they can be: a person without a User (picked or imported before they
installed) is told when they appear (`reach`), and whoever set the link up is told then. Outbox
keys name the link and the person, so each notice goes once however often this runs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox import enqueue
from storage.people.directory import ALIVE, links_of, names_of
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from storage.people.repository import SamePerson, activate, current_other, end_link, set_link

NOTICE_KIND = "people_notice"  # payload: what (a text under people.notices), link, person (the subject)
CONFIRM_KIND = "people_confirm"  # payload: link; the "is this right?" card to the person named


class NotYours(PermissionError):
    """Only the person named in a pending link may confirm or decline it."""


class NotPending(ValueError):
    """The link was already confirmed, declined or replaced."""


async def tell(db: AsyncSession, person: Person, what: str, link: PersonLink, now: datetime, *,
               subject: Person | None = None, to_key: str = "") -> bool:
    """Queue a notice for `person` if they can be reached now; False when they cannot (yet)."""
    if person.user_id is None:
        return False
    key = f"people:{what}:{link.id}:{person.id}{to_key}"
    return await enqueue(db, kind=NOTICE_KIND, idempotency_key=key, due_at=now, user_id=person.user_id,
                         payload={"what": what, "link": link.id, "person": (subject or person).id})


async def ask_to_confirm(db: AsyncSession, other: Person, link: PersonLink, now: datetime) -> bool:
    if other.user_id is None:
        return False
    return await enqueue(db, kind=CONFIRM_KIND, idempotency_key=f"people:confirm:{link.id}", due_at=now,
                         user_id=other.user_id, payload={"link": link.id})


async def assign(db: AsyncSession, *, worker: Person, other: Person, kind: LinkKind, on: date,
                 set_by: str | None, now: datetime) -> PersonLink | None:
    """Make `other` the worker's line manager or peer supervisor now (set up by someone with the
    authority to). None when they already are. Both are told, now or when they appear."""
    if worker.id == other.id:
        raise SamePerson(kind)
    current = await current_other(db, worker.id, kind)
    if current is not None and current.id == other.id:
        return None
    previous = await db.scalar(select(PersonLink).where(
        PersonLink.worker_id == worker.id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE))
    await _drop_pending(db, worker.id, kind, on)
    link = await set_link(db, worker_id=worker.id, other_id=other.id, kind=kind, started_on=on, set_by=set_by)
    await tell(db, other, "you_support", link, now)
    await tell(db, worker, "now_yours", link, now)
    if previous is not None and current is not None:
        await tell(db, current, "replaced", previous, now)
    return link


async def request(db: AsyncSession, *, worker: Person, other: Person, kind: LinkKind, on: date,
                  now: datetime) -> PersonLink | None:
    """A worker names their own line manager or peer supervisor: pending until that person confirms.
    None when they already are. An earlier request of the same kind is withdrawn."""
    if worker.id == other.id:
        raise SamePerson(kind)
    current = await current_other(db, worker.id, kind)
    if current is not None and current.id == other.id:
        return None
    await _drop_pending(db, worker.id, kind, on)
    link = await set_link(db, worker_id=worker.id, other_id=other.id, kind=kind, started_on=on,
                          set_by=worker.id, status=LinkStatus.PENDING)
    await ask_to_confirm(db, other, link, now)
    return link


async def _drop_pending(db: AsyncSession, worker_id: str, kind: LinkKind, on: date) -> None:
    await db.execute(update(PersonLink).where(
        PersonLink.worker_id == worker_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.PENDING,
    ).values(status=LinkStatus.ENDED, ended_on=on))


async def answer(db: AsyncSession, link: PersonLink, by: Person, *, confirmed: bool, on: date,
                 now: datetime) -> None:
    """The named person confirms ("that's right") or declines ("that's not right"); the worker is told."""
    if link.other_id != by.id:
        raise NotYours(link.id)
    if link.status != LinkStatus.PENDING:
        raise NotPending(link.id)
    if confirmed:
        await activate(db, link, on)
    else:
        link.status, link.ended_on = LinkStatus.DECLINED, on
        await db.flush()
    worker = await db.get(Person, link.worker_id)
    if worker is not None:
        await tell(db, worker, "confirmed" if confirmed else "declined", link, now, subject=by)


async def end(db: AsyncSession, link: PersonLink, by: Person | None, *, on: date, now: datetime) -> None:
    """End an active link (kept, with its dates, for records); both people are told, bar whoever did it."""
    if link.status != LinkStatus.ACTIVE:
        raise NotPending(link.id)
    await end_link(db, link, on)
    people = await names_of(db, {link.worker_id, link.other_id})
    for person_id in (link.worker_id, link.other_id):
        person = people.get(person_id)
        if person is not None and (by is None or person.id != by.id):
            await tell(db, person, "ended", link, now)


async def reach(db: AsyncSession, person: Person, now: datetime) -> int:
    """Someone recorded before they installed has appeared: send what waited for them, and tell
    whoever set each link up. Returns how many links were waiting."""
    waiting = [*await links_of(db, person.id, statuses=ALIVE),
               *await links_of(db, person.id, as_other=True, statuses=ALIVE)]
    setters = await names_of(db, {link.set_by for link in waiting if link.set_by and link.set_by != person.id})
    for link in waiting:
        if link.status == LinkStatus.PENDING:
            if link.other_id == person.id:
                await ask_to_confirm(db, person, link, now)
            continue
        await tell(db, person, "you_support" if link.other_id == person.id else "now_yours", link, now)
        setter = setters.get(link.set_by or "")
        if setter is not None:
            await tell(db, setter, "reached", link, now, subject=person, to_key=f":{person.id}")
    return len(waiting)
