"""Proactive side: the prompt (the check-in card itself, with skip, snooze, pause and stop), the
message to a peer supervisor, and the hourly job that queues prompts at local times.

Renderers decide at sending time, from the plan as it is then: a prompt from before a schedule
change, for a skipped or paused day, or for a day already checked in, sends nothing.
"""

from __future__ import annotations

from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.checkins.checkin import CheckinActions
from dialogs.checkins.common import parse_day
from dialogs.shared.cards import card_activity
from storage.checkins import prompts, repository as repo
from storage.models import User
from storage.outbox import ClaimedMessage


class CheckinDelivery(CheckinActions):
    async def render_prompt(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        plan = await repo.plan_of(db, message.user_id or "")
        day = parse_day(message.payload.get("day"))
        if plan is None or not plan.active or day is None:
            return None
        if message.kind == prompts.KINDS["prompt"] and message.payload.get("version") != plan.version:
            return None  # queued before the schedule changed
        if plan.skipped_on == day or (plan.paused_until is not None and day < plan.paused_until):
            return None
        if await repo.checked_in_on(db, plan.user_id, day):
            return None
        return card_activity(await self.card_for(db, plan.user_id, prompt=True, day=day))

    async def render_contact(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        """"{worker} would like a chat": the worker's name and nothing else."""
        worker = message.payload.get("worker")
        name = await db.scalar(select(User.name).where(User.id == worker)) if isinstance(worker, str) else None
        if name is None and not isinstance(worker, str):
            return None
        return card_activity(self.content.card("checkin_contact", {
            "title": self.text("checkins.contact.title"),
            "text": self.text("checkins.contact.text", name=name or self.text("checkins.contact.unknown_name")),
            "footer": self.text("checkins.contact.footer"),
        }))

    async def tick(self) -> int:
        """Queue every active plan's prompts due soon (idempotent; runs hourly and at start-up)."""
        async with self.services.db() as db, db.begin():
            return await prompts.materialise(db, self.now(), self.config.rules)
