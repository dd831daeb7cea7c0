"""Proactive side of sessions: outbox renderers and the periodic job.

Renderers build the card when the message goes out, from the session as it is then: a changed
joining link is in the reminder, and a withdrawn place or a moved session sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.cards import card_activity
from dialogs.sessions.common import (
    SessionsBase, agenda_rows, default_series, principle_rows, summary, when_text, zone_of,
)
from storage.sessions.recurrence import planning_due, propose_next, quarter_bounds
from storage import outbox
from storage.sessions import repository as repo
from storage.models import Conversation, RoleGrant, User
from storage.outbox import ClaimedMessage
from storage.roles import Role
from storage.sessions.models import FINISHED, Meeting, RegistrationStatus
from storage.sessions.events import finish_ended, materialise, stamp
from storage.feedback.you_said import recent_actions

log = logging.getLogger(__name__)
MAX_YOU_SAID = 5


class SessionsDelivery(SessionsBase):
    async def _live(self, db: AsyncSession, message: ClaimedMessage) -> Meeting | None:
        """The session, unless cancelled, over, or moved since the message was queued."""
        space = await repo.get_meeting(db, message.payload.get("session_id"))
        if space is None or space.status in FINISHED or message.payload.get("starts_at") != stamp(space):
            return None
        return space

    async def _attending(self, db: AsyncSession, space: Meeting, user_id: str | None) -> bool:
        registration = await repo.registration_of(db, space.id, user_id) if user_id else None
        return registration is not None and registration.status == RegistrationStatus.REGISTERED

    async def render_reminder(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        space = await self._live(db, message)
        if space is None or space.starts_at <= self.services.now() \
                or not await self._attending(db, space, message.user_id):
            return None  # "starting in an hour" after the start is noise: the starting card says it
        zone = await zone_of(db, message.user_id, self.config.zone)
        offset = next((o for o in self.config.rules.offsets if o.name == message.payload.get("offset")), None)
        lead = self.text(f"sessions.reminder.lead_{offset.unit}", n=offset.amount) if offset else ""
        return card_activity(self.content.card("session_reminder", {
            **summary(self.content, space, zone), "lead": lead,
            "link_note": "" if space.joining_url else self.text("sessions.confirm.link_later"),
            "agenda": agenda_rows(self.config, space.starts_at, zone),
            "calendar_url": self.calendar_url(space.id),
        }))

    async def render_starting(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        space = await self._live(db, message)
        if space is None or not await self._attending(db, space, message.user_id):
            return None
        zone = await zone_of(db, message.user_id, self.config.zone)
        return card_activity(await self.starting_card(db, space, zone))

    async def starting_card(self, db: AsyncSession, space: Meeting, zone: str, *,
                            message: str = "") -> dict[str, Any]:
        actions = await recent_actions(db, space.series_id, limit=MAX_YOU_SAID)
        text = self.text
        housekeeping = [*self.config.housekeeping,
                        text("sessions.starting.recorded" if space.recorded else "sessions.starting.not_recorded")]
        if self.services.support_email:
            housekeeping.append(text("sessions.starting.support", email=self.services.support_email))
        return self.content.card("session_starting", {
            **summary(self.content, space, zone), "message": message,
            "housekeeping": [{"text": h} for h in housekeeping],
            "principles": principle_rows(self.config),
            "you_said": [{"text": a.action} for a in actions],
        })

    async def render_announcement(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        space = await self._live(db, message)
        if space is None or space.starts_at <= self.services.now():
            return None
        zone = (await zone_of(db, message.user_id, self.config.zone) if message.user_id else space.time_zone)
        actions = await recent_actions(db, space.series_id, limit=MAX_YOU_SAID)
        return card_activity(self.content.card("session_announcement", {
            **summary(self.content, space, zone, await repo.counts(db, space.id)),
            "agenda": agenda_rows(self.config, space.starts_at, zone),
            "you_said": [{"text": a.action} for a in actions],
        }))

    # --- the periodic job ---------------------------------------------------------------

    async def tick(self) -> dict[str, int]:
        """Idempotent: default series, reminder rows, ended sessions, planning nudges."""
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            await default_series(db, self.config, now)
            queued = await materialise(db, self.config.rules, now)
            finished = await finish_ended(db, self.config.rules, now)
            nudged = await self.plan_reminders(db, now)
        if queued or finished or nudged:
            log.info("sessions tick: %d reminders queued, %d sessions held, %d planning reminders",
                     queued, len(finished), nudged)
        return {"queued": queued, "finished": len(finished), "nudged": nudged}

    async def plan_reminders(self, db: AsyncSession, now: datetime) -> int:
        """Remind facilitators, once per quarter, when the coming quarter has no session yet."""
        series = await default_series(db, self.config, now)
        due = planning_due(now, series.time_zone, self.config.planning_lead)
        if due is None:
            return 0
        begins, ends = quarter_bounds(*due, series.time_zone)
        if await repo.sessions_between(db, series.id, begins, ends):
            return 0
        latest = await repo.latest_session(db, series.id)
        proposal = propose_next(latest.starts_at, latest.ends_at, latest.time_zone) if latest else None
        quarter = self.text("sessions.plan.quarter", quarter=due[1], year=due[0])
        sent = 0
        for user in await self._facilitators(db):
            zone = await zone_of(db, user.id, self.config.zone)
            text = self.text("sessions.plan.text", quarter=quarter,
                             proposal=when_text(self.content, *proposal, zone) if proposal else self.text(
                                 "sessions.plan.no_proposal"))
            card = self.content.card("session_plan", {"title": self.text("sessions.plan.title", quarter=quarter),
                                                      "text": text})
            sent += await outbox.enqueue(db, kind="card", user_id=user.id, due_at=now, not_after=begins,
                                         idempotency_key=f"sessions_plan:{series.id}:{due[0]}q{due[1]}:{user.id}",
                                         payload={"card": card})
        return sent

    async def _facilitators(self, db: AsyncSession) -> list[User]:
        configured = self.services.configured_roles
        granted = set(await db.scalars(select(RoleGrant.aad_object_id).where(
            RoleGrant.role.in_((Role.FACILITATOR.value, Role.ADMIN.value)))))
        ids = {a.lower() for a in configured.facilitators | configured.admins | granted}
        if not ids:
            return []
        users = await db.scalars(select(User).where(User.aad_object_id.is_not(None)))
        with_chat = set(await db.scalars(select(Conversation.user_id).where(
            Conversation.conversation_type == "personal", Conversation.active.is_(True))))
        return [u for u in users
                if u.aad_object_id is not None and u.aad_object_id.lower() in ids and u.id in with_chat]
