""""My data" for tripartite work: the tasks a person is in (about them, or as line manager or peer
supervisor), their absences and probations; erasing follows storage/tripartite/privacy.py (their
own record goes; on other workers' tasks their place is cleared and the record stays with the
other two)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.people.repository import person_of_user
from storage.personal_data import DataItem, PersonalDataSource
from storage.tripartite.privacy import erase_person, held, held_statement

# Runs before "people", which deletes (or blanks) the Person row by which these rows are found.


def personal_data(text: Callable[..., str]) -> PersonalDataSource:
    def items(row: Sequence[Any], _user: User) -> list[DataItem]:
        h = held(row)
        if h is None:
            return []
        kinds = {"sickness": text("tripartite.choices.sickness"), "other": text("tripartite.choices.other")}
        return [
            DataItem("tripartite_tasks", (text("tripartite.my_data.tasks", as_worker=h.as_worker,
                                               as_party=h.as_party),)),
            DataItem("tripartite_absences", tuple(
                text("tripartite.my_data.absence", kind=kinds.get(k, k), start=s, back=b) if b else
                text("tripartite.my_data.absence_open", kind=kinds.get(k, k), start=s) for k, s, b in h.absences)),
            DataItem("tripartite_probations", tuple(text("tripartite.my_data.probation", start=s, end=e)
                                                    for s, e in h.probations)),
        ]

    async def erase(db: AsyncSession, user: User) -> None:
        person = await person_of_user(db, user.id)
        if person is not None:
            await erase_person(db, person.id)

    return PersonalDataSource("tripartite", held_statement, items, erase)
