""""My data" for co-reflections: the groups a person belongs to or leads, and their answers and
attendance; deleting removes their memberships and answers (the records attendance wrote belong
to the supervision feature's data) and leaves groups they led without a lead."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import CoreflectionsBase
from storage.coreflections.models import CoReflectionGroup, CoReflectionMember, CoReflectionResponse
from storage.dialect import json_rows, rows_of
from storage.models import User
from storage.people.models import Person
from storage.people.repository import person_of_user
from storage.personal_data import DataItem, PersonalDataSource


@cache
def _held(dialect: str) -> Select:
    """"My data" in one statement, built once per database kind: the person, the active groups
    they belong to and lead (storage/dialect.py json_rows, by name) and their answers."""
    g, m = CoReflectionGroup.__table__, CoReflectionMember.__table__
    person = select(Person.__table__.c.id).where(Person.__table__.c.user_id == bindparam("user_id")).scalar_subquery()
    member_of = (select(g.c.name, g.c.id).select_from(g.join(m, m.c.group_id == g.c.id))
                 .where(m.c.person_id == person, g.c.active.is_(True)))
    leads = select(g.c.name, g.c.id).where(g.c.lead_id == person, g.c.active.is_(True))
    answers = select(func.count()).select_from(CoReflectionResponse.__table__).where(
        CoReflectionResponse.__table__.c.person_id == person).scalar_subquery()
    return select(person, json_rows(dialect, member_of, "name", "id"), json_rows(dialect, leads, "name", "id"),
                  answers)


class CoreflectionsPersonalData(CoreflectionsBase):
    def source(self) -> PersonalDataSource:
        return PersonalDataSource("coreflections", _held, self.items, self.erase)

    def items(self, row: Sequence[Any], _user: User) -> list[DataItem]:
        person, member_of, leads, answers = row
        if person is None:
            return []
        member, lead = self.text("coreflections.my_data.member"), self.text("coreflections.my_data.lead")
        groups = [self.text("coreflections.my_data.group", name=name, role=role)
                  for rows, role in ((member_of, member), (leads, lead)) for name, _ in rows_of(rows)]
        return [DataItem("coreflection_groups", tuple(groups)), DataItem("coreflection_answers", (str(answers or 0),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        person = await person_of_user(db, user.id)
        if person is None:
            return
        await db.execute(delete(CoReflectionResponse).where(CoReflectionResponse.person_id == person.id))
        await db.execute(delete(CoReflectionMember).where(CoReflectionMember.person_id == person.id))
        await db.execute(update(CoReflectionGroup).where(CoReflectionGroup.lead_id == person.id).values(lead_id=None))
        await db.execute(update(CoReflectionResponse).where(CoReflectionResponse.marked_by == person.id)
                         .values(marked_by=None))
