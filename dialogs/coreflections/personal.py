""""My data" for co-reflections: the groups a person belongs to or leads, and their answers and
attendance; deleting removes their memberships and answers (the records attendance wrote belong
to the supervision feature's data) and leaves groups they led without a lead."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import CoreflectionsBase
from storage.coreflections import repository as repo
from storage.coreflections.models import CoReflectionGroup, CoReflectionMember, CoReflectionResponse
from storage.models import User
from storage.people.repository import person_of_user
from storage.personal_data import DataItem, PersonalDataSource


class CoreflectionsPersonalData(CoreflectionsBase):
    def source(self) -> PersonalDataSource:
        return PersonalDataSource("coreflections", self.describe, self.erase)

    async def describe(self, db: AsyncSession, user: User) -> list[DataItem]:
        person = await person_of_user(db, user.id)
        if person is None:
            return []
        groups = [self.text("coreflections.my_data.group", name=g.name, role=self.text("coreflections.my_data.member"))
                  for g in await repo.groups_of_member(db, person.id)]
        groups += [self.text("coreflections.my_data.group", name=g.name, role=self.text("coreflections.my_data.lead"))
                   for g in await repo.groups_led_by(db, person.id)]
        answers = await db.scalar(select(func.count()).select_from(CoReflectionResponse).where(
            CoReflectionResponse.person_id == person.id))
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
