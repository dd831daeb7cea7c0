"""Proactive side of co-reflections: the invitation, reminders before each meeting and the rota
facilitator's reminder, rendered when sent from the group as it is then (a cancelled or moved
meeting, a member who left or said "not going", sends nothing), and the periodic job."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import CoreflectionsBase
from dialogs.shared.cards import card_activity
from storage.coreflections import events, repository as repo
from storage.coreflections.models import Answer, CoReflectionGroup, CoReflectionOccurrence
from storage.outbox import ClaimedMessage
from storage.people.models import Person
from storage.people.repository import person_of_user
from storage.users import zone_of

log = logging.getLogger(__name__)
TICK_SECONDS = 900
REMINDER_LABELS = ("join", "feed", "feed_note", "going", "not_going", "here")


class CoreflectionsDelivery(CoreflectionsBase):
    async def _member(self, db: AsyncSession, group: CoReflectionGroup | None,
                      user_id: str | None) -> Person | None:
        person = await person_of_user(db, user_id) if user_id and group is not None and group.active else None
        if group is None or person is None or await repo.membership(db, group.id, person.id) is None:
            return None
        return person

    async def _live(self, db: AsyncSession,
                    message: ClaimedMessage) -> tuple[CoReflectionOccurrence, CoReflectionGroup, Person] | None:
        """The meeting, unless cancelled or moved since the message was queued, and the member."""
        occurrence = await repo.get_occurrence(db, message.payload.get("occurrence_id"))
        if occurrence is None or occurrence.status not in repo.LIVE \
                or message.payload.get("starts_at") != events.stamp(occurrence):
            return None
        group = await repo.get_group(db, occurrence.group_id)
        person = await self._member(db, group, message.user_id)
        return (occurrence, group, person) if group is not None and person is not None else None

    async def render_reminder(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        found = await self._live(db, message)
        if found is None:
            return None
        occurrence, group, person = found
        answer = await repo.response_of(db, occurrence.id, person.id)
        if answer is not None and answer.answer == Answer.NOT_GOING:
            return None
        zone = await zone_of(db, message.user_id, group.time_zone)
        which = "soon" if message.payload.get("which") == "soon" else "day"
        facilitator = await db.get(Person, occurrence.facilitator_id) if occurrence.facilitator_id else None
        return card_activity(self.content.card("coreflection_reminder", {
            "title": self.text(f"coreflections.reminder.{which}", name=group.name,  # text-key: coreflections.reminder.*
                               minutes=self.config.rules.minutes_before),
            "when": self.when(occurrence.starts_at, occurrence.ends_at, zone),
            "facilitator": self.text("coreflections.group.facilitator", name=self.person_name(facilitator))
            if facilitator is not None else "",
            "text": "", "soon": which == "soon", "day": which == "day",
            "occurrence_id": occurrence.id, "group_id": group.id, "joining_url": group.joining_url,
            "labels": self._labels(),
        }))

    async def render_rota(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        found = await self._live(db, message)
        if found is None or found[0].facilitator_id != found[2].id:
            return None
        occurrence, group, _person = found
        zone = await zone_of(db, message.user_id, group.time_zone)
        lead = await db.get(Person, group.lead_id) if group.lead_id else None
        return card_activity(self.group_notice(
            self.text("coreflections.rota.title", name=group.name),
            self.text("coreflections.rota.text", when=self.when(occurrence.starts_at, occurrence.ends_at, zone),
                      lead=self.person_name(lead)), group_id=group.id))

    async def render_invitation(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        group = await repo.get_group(db, message.payload.get("group_id"))
        person = await self._member(db, group, message.user_id)
        if group is None or person is None:
            return None
        return card_activity(await self.invitation_card(db, group, person, message.user_id or ""))

    async def invitation_card(self, db: AsyncSession, group: CoReflectionGroup, person: Person,
                              user_id: str) -> dict[str, Any]:
        now, count = self.now(), self.config.upcoming_shown
        zone = await zone_of(db, user_id, group.time_zone)
        await repo.ensure_occurrences(db, group, now, now + self.reach(group, count))
        upcoming = list(await repo.occurrences(db, group.id, now, now + self.reach(group, count)))[:count]
        people = {p.id: p for _, p in await repo.members(db, group.id)}
        lead = await db.get(Person, group.lead_id) if group.lead_id else None
        rows = []
        for occurrence in upcoming:
            live = occurrence.status in repo.LIVE
            facilitator = people.get(occurrence.facilitator_id or "")
            rows.append({"id": occurrence.id, "when": self.when(occurrence.starts_at, occurrence.ends_at, zone),
                         "status": self.status(occurrence), "member": live,
                         "facilitator": self.text("coreflections.group.facilitator", name=self.person_name(facilitator))
                         if live and facilitator is not None else ""})
        return self.content.card("coreflection_invitation", {
            "title": self.text("coreflections.invitation.title", name=group.name),
            "text": self.text("coreflections.invitation.text", lead=self.person_name(lead)),
            "schedule": self.schedule(group), "upcoming": rows, "group_id": group.id,
            "joining_url": group.joining_url, "feed_url": self.feed_url(group.id, person.id),
            "labels": self._labels(),
        })

    def _labels(self) -> dict[str, str]:
        return {**{k: self.text(f"coreflections.group.{k}") for k in REMINDER_LABELS},
                "open": self.text("coreflections.notices.open")}

    async def tick(self) -> int:
        async with self.services.db() as db, db.begin():
            queued = await events.tick(db, self.config.rules, self.now())
        if queued:
            log.info("coreflections tick: %d messages queued", queued)
        return queued
