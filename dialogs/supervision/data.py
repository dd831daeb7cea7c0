""""My data" for supervision: the records a person had (as supervisee) and gave or recorded for
others, and erasing: their own records go; on others' records their name is cleared and the record
stays with the supervisee, whose record it is (storage/supervision/records.py: erase_person)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.supervision.common import SupervisionBase, date_text
from storage.models import User
from storage.people.repository import person_of_user
from storage.personal_data import DataItem, PersonalDataSource
from storage.supervision import records as repo


class SupervisionData(SupervisionBase):
    def items(self, row: Sequence[Any], _user: User) -> list[DataItem]:
        t = self.text
        received, given = repo.held_by_user(row)
        someone = t("supervision.views.someone")
        return [
            DataItem("supervision_received", tuple(
                t("supervision.my_data.received", date=date_text(day), type=self.type_name(kind),
                  status=self.status_name(status)) for day, kind, status in received)),
            DataItem("supervision_given", tuple(
                t("supervision.my_data.given", date=date_text(day), type=self.type_name(kind),
                  status=self.status_name(status), name=name or someone) for day, kind, status, name in given)),
        ]

    async def erase(self, db: AsyncSession, user: User) -> None:
        person = await person_of_user(db, user.id)
        if person is not None:
            await repo.erase_person(db, person.id)

    def source(self) -> PersonalDataSource:
        return PersonalDataSource("supervision", repo.held_statement, self.items, self.erase)
