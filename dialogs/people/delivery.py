"""The proactive side: notices and the "is this right?" card, rendered when sent from the link as
it is then (a request already answered, or a link already ended, sends nothing); reaching someone
when they first appear; "my data"; the check-ins seam."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.people.common import PeopleBase
from dialogs.shared.cards import card_activity
from storage.models import User
from storage.outbox import ClaimedMessage
from storage.people import privacy
from storage.people.changes import reach
from storage.people.models import LinkStatus, Person, PersonLink
from storage.people.repository import ensure_person
from storage.personal_data import DataItem, PersonalDataSource
from sqlalchemy import select

# Notices about a link that only make sense while it is current.
CURRENT_ONLY = {"you_support", "now_yours", "reached"}


class PeopleDelivery(PeopleBase):
    async def render_notice(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        what, link_id, subject_id = (message.payload.get(k) for k in ("what", "link", "person"))
        link = await db.get(PersonLink, link_id) if isinstance(link_id, str) else None
        if link is None or what not in ("you_support", "now_yours", "replaced", "confirmed", "declined", "ended",
                                        "reached"):
            return None
        if what in CURRENT_ONLY and link.status != LinkStatus.ACTIVE:
            return None
        worker, other = await db.get(Person, link.worker_id), await db.get(Person, link.other_id)
        subject = await db.get(Person, subject_id) if isinstance(subject_id, str) else None
        if what == "reached":
            role = "worker" if subject is not None and subject.id == link.worker_id else "other"
            body = self.text(f"people.reached.{role}", name=self.name(subject),  # text-key: people.reached.*
                             worker=self.name(worker), other=self.name(other), kind=self.kind(link))
        else:
            body = self.text(f"people.notices.{what}", worker=self.name(worker),  # text-key: people.notices.*
                             other=self.name(other), kind=self.kind(link))
        return card_activity(self.content.card("people_notice", {
            "title": self.text("people.notices.title"), "text": body}))

    async def render_confirm(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        link_id = message.payload.get("link")
        link = await db.get(PersonLink, link_id) if isinstance(link_id, str) else None
        if link is None or link.status != LinkStatus.PENDING:
            return None
        worker = await db.get(Person, link.worker_id)
        return card_activity(self.content.card("people_confirm", {
            "text": self.text("people.confirm.text", name=self.name(worker), kind=self.kind(link)), "link": link.id}))

    async def appeared(self, db: AsyncSession, user: User) -> None:
        """Record everyone who installs (so they are in the pick list); someone picked or imported
        before they installed is linked, and what waited for them is sent."""
        waiting = user.aad_object_id is not None and await db.scalar(select(Person.id).where(
            Person.aad_object_id == user.aad_object_id.lower(), Person.user_id.is_(None))) is not None
        person = await ensure_person(db, user)
        if waiting:
            await reach(db, person, self.services.now())

    # --- "my data" ------------------------------------------------------------------------------

    def items(self, row: Sequence[Any], _user: User) -> list[DataItem]:
        held = privacy.describe(row)
        if held is None:
            return []
        details, counts = held
        return [DataItem("people_profile", details),
                DataItem("people_links", (self.text("people.my_data.links", **counts),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        await privacy.erase(db, user, await self.today(db, user.id))

    def personal_data(self) -> PersonalDataSource:
        return PersonalDataSource("people", privacy.held_statement, self.items, self.erase)
