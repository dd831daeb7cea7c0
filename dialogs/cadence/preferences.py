"""A supervisor's or manager's choice: a reminder for each supervision, or one weekly digest.
Stored per person (storage/cadence/models.py) and listed and erased by "my data"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.cadence.common import CadenceBase
from dialogs.shared.context import scope_of, show
from dialogs.shared.notices import notice_card
from storage.cadence.models import CadencePreference
from storage.models import User
from storage.people.models import Person
from storage.people.repository import ensure_person, person_of_user
from storage.personal_data import DataItem, PersonalDataSource
from storage.roles import Role

SUPPORTERS = (Role.LINE_MANAGER, Role.PEER_SUPERVISOR)
CHOICES = ("single", "digest")


# Built once (a statement's cache key is worked out on first use and kept on the object).
_DIGEST = select(CadencePreference.weekly_digest).join(Person, Person.id == CadencePreference.person_id).where(
    Person.user_id == bindparam("user_id"))


class Preferences(CadenceBase):
    def _card(self, digest: bool, error: str = "") -> dict:
        t = self.text
        return self.content.card("cadence_preferences", {
            "title": t("cadence.preferences.title"), "text": t("cadence.preferences.text"), "error": error,
            "label": t("cadence.preferences.label"), "invalid": t("cadence.preferences.invalid"),
            "value": "digest" if digest else "single", "save": t("cadence.preferences.save"),
            "choices": [{"title": t(f"cadence.preferences.{c}"), "value": c} for c in CHOICES],  # text-key: cadence.preferences.*
        })

    async def home(self, turn_context: TurnContext) -> None:
        actor = scope_of(turn_context).actor
        actor.require(*SUPPORTERS)
        async with self.services.db() as db:
            person = await person_of_user(db, actor.user_id)
            digest = bool(person and await db.scalar(select(CadencePreference.weekly_digest)
                                                     .where(CadencePreference.person_id == person.id)))
        await show(turn_context, self._card(digest), replace=True)

    async def save(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*SUPPORTERS)
        choice = scope.input.data.get("choice")
        if choice not in CHOICES:
            await show(turn_context, self._card(False, self.text("cadence.preferences.invalid")), replace=True)
            return
        async with self.services.db() as db, db.begin():
            user = await db.get(User, scope.actor.user_id)
            if user is None:
                return
            person = await ensure_person(db, user)
            preference = await db.get(CadencePreference, person.id)
            if preference is None:
                preference = CadencePreference(person_id=person.id)
                db.add(preference)
            preference.weekly_digest = choice == "digest"
        t = self.text
        saved = t("cadence.preferences.saved", choice=t(f"cadence.preferences.saved_{choice}"))  # text-key: cadence.preferences.saved_*
        await show(turn_context, notice_card(self.content, t("cadence.preferences.title"), saved), replace=True)

    def items(self, row: Sequence[Any], _user: User) -> list[DataItem]:
        digest, = row  # None: no preference (or no person)
        if digest is None:
            return []
        return [DataItem("cadence_digest", (self.text("cadence.my_data.digest" if digest else "cadence.my_data.single"),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        await db.execute(delete(CadencePreference).where(
            CadencePreference.person_id.in_(select(Person.id).where(Person.user_id == user.id))))

    def personal_data(self) -> PersonalDataSource:
        return PersonalDataSource("cadence", lambda _dialect: _DIGEST, self.items, self.erase)
