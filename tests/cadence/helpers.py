"""People, links and confirmed records made directly through storage (the people and supervision
features are built elsewhere), and the shipped cadence settings."""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.cadence.config import CadenceConfig
from storage.models import RoleGrant, User
from storage.people import repository as people
from storage.people.models import LinkKind, Person, RecordStatus, SupervisionRecord
from tests.shared.test_cards_render import content


@functools.lru_cache(maxsize=1)
def config() -> CadenceConfig:
    return CadenceConfig.from_content(content())


async def person(db: AsyncSession, name: str, *, installed: bool = True, zone: str = "Europe/London",
                 team: str = "Ward A", organisation: str = "Trust", start: date | None = None,
                 aad: str | None = None) -> Person:
    aad = aad or f"aad-{name.lower()}"
    if installed:
        user = User(teams_id=f"29:{name.lower()}", aad_object_id=aad, name=name, time_zone=zone)
        db.add(user)
        await db.flush()
        found = await people.ensure_person(db, user)
    else:
        found = await people.find_or_add_person(db, aad_object_id=aad, name=name)
    found.team, found.organisation, found.start_date = team, organisation, start
    await db.flush()
    return found


async def link(db: AsyncSession, worker: Person, other: Person, kind: LinkKind, on: date = date(2025, 1, 1)) -> None:
    await people.set_link(db, worker_id=worker.id, other_id=other.id, kind=kind, started_on=on, set_by=None)


async def record(db: AsyncSession, worker: Person, kind: str, held_on: date, *, confirmed: bool = True,
                 supervisor: Person | None = None) -> SupervisionRecord:
    row = SupervisionRecord(worker_id=worker.id, supervisor_id=supervisor.id if supervisor else None, type=kind,
                            held_on=held_on, minutes=60,
                            status=RecordStatus.CONFIRMED if confirmed else RecordStatus.UNCONFIRMED)
    db.add(row)
    await db.flush()
    return row


async def grant(db: AsyncSession, who: Person, role: str) -> None:
    db.add(RoleGrant(aad_object_id=who.aad_object_id, role=role, granted_by="aad-admin"))
    await db.flush()
