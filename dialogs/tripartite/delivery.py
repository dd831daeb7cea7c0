"""Tripartite messages: reminders from the hourly tick, and notices when a record is disputed or
complete. One outbox kind; the card is built when it is sent, from the task as it is then, and is
not sent at all to someone who is no longer one of its parties."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.cards import card_activity
from dialogs.shared.context import BotServices
from dialogs.tripartite.calendar import calendar_url, when_in
from dialogs.tripartite.config import TripartiteConfig
from storage import outbox
from storage.outbox import ClaimedMessage
from storage.models import User
from storage.people.models import Person
from storage.tripartite import repository as repo
from storage.tripartite.models import Probation, TaskSignoff, TripartiteTask
from storage.tripartite.reminders import queue_reminders
from storage.tripartite.rules import TaskKind, Verdict
from storage.users import valid_zone

log = logging.getLogger(__name__)
KIND = "tripartite.notice"
EVENTS = ("due_soon", "due", "overdue", "escalation", "warning", "not_agreed", "complete", "created", "booked")


class TripartiteDelivery:
    def __init__(self, services: BotServices, config: TripartiteConfig) -> None:
        self.services = services
        self.config = config
        self.text = services.content.text

    async def tick(self) -> int:
        """Queue every reminder due now (idempotent: each has its own outbox key). Returns how many
        were due, those queued by an earlier tick included."""
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            today = now.astimezone(ZoneInfo(self.services.default_zone)).date()
            await repo.plan_due_appraisals(db, today=today, ahead_days=self.config.appraisal_ahead_days,
                                           checklist=self.config.checklists[TaskKind.APPRAISAL])
            due = await queue_reminders(db, now, self.config.reminders, self.config.probation,
                                        self.services.default_zone, await self._hr_user(db), kind=KIND)
        log.info("tripartite reminders due: %d", due)
        return due

    async def notify(self, db: AsyncSession, task: TripartiteTask, event: str, *, to: set[str],
                     extra: dict[str, Any] | None = None) -> None:
        """Tell some of a task's parties (person ids) what just happened, in their own chats."""
        users = dict((await db.execute(select(Person.id, Person.user_id).where(Person.id.in_(to)))).all())
        for person_id, user_id in users.items():
            if user_id:
                await outbox.enqueue(db, kind=KIND, user_id=user_id, due_at=self.services.now(),
                                     idempotency_key=f"tripartite:{task.id}:{event}:{task.version}:{person_id}",
                                     payload={"task": task.id, "event": event, **(extra or {})})

    async def render(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        payload = message.payload
        event = payload.get("event")
        task = await db.get(TripartiteTask, payload["task"]) if isinstance(payload.get("task"), str) else None
        if event not in EVENTS or task is None:
            return None
        me = await db.scalar(select(Person).where(Person.user_id == message.user_id))
        party = me is not None and me.id in repo.party_ids(task)
        if event == "escalation":
            if await self._hr_user(db) != message.user_id:
                return None  # the HR contact changed since this was queued
        elif not party:
            return None  # no longer one of the three: nothing to tell them
        if event in ("due_soon", "due", "overdue") and task.status == "done":
            return None
        worker = await db.scalar(select(Person.name).where(Person.id == task.worker_id)) or ""
        words: dict[str, Any] = {"kind": self.text(f"tripartite.kinds.{task.kind}"),  # text-key: tripartite.kinds.*
                                 "worker": worker, "due": task.due_on.isoformat()}
        if event == "warning":
            probation = await db.get(Probation, payload.get("probation") or "")
            if probation is None or probation.outcome is not None:
                return None
            words["end"] = probation.ends_on.isoformat()
        if event == "not_agreed":
            # The reason is read from the record now (never copied into the queue), so a reason
            # withdrawn since is not sent.
            objection = await db.get(TaskSignoff, (task.id, str(payload.get("party"))))
            if objection is None or objection.verdict != Verdict.NOT_AGREED:
                return None
            words["party"] = self.text(f"tripartite.parties.{objection.party}")  # text-key: tripartite.parties.*
            words["reason"] = objection.reason or ""
        calendar = ""
        if event == "booked":
            if task.meeting_at is None or me is None:
                return None
            # The time as it is now (a moved meeting is told afresh) and in the reader's own zone.
            zone = valid_zone(await db.scalar(select(User.time_zone).where(User.id == message.user_id)),
                              self.services.default_zone)
            words["when"] = when_in(task.meeting_at, zone)
            calendar = calendar_url(self.services.links, task, me.id, self.services.now())
        return card_activity(self.services.content.card("tripartite_notice", {
            "title": self.text(f"tripartite.notice.{event}.title"),  # text-key: tripartite.notice.*
            "text": self.text(f"tripartite.notice.{event}.text", **words),  # text-key: tripartite.notice.*
            "privacy": self.text("tripartite.privacy"), "open": self.text("tripartite.notice.open"),
            "task": task.id if party else "", "calendar": self.text("tripartite.meeting.calendar"),
            "calendar_url": calendar,
        }))

    async def _hr_user(self, db: AsyncSession) -> str | None:
        """The HR contact's User, by AAD object id (as Teams knows them) or by a person's email."""
        contact = self.config.hr_contact
        if not contact or self.config.reminders.escalate_after_days is None:
            return None
        found = await db.scalar(select(User.id).where(User.aad_object_id == contact).limit(1))
        return found or await db.scalar(select(Person.user_id).where(
            Person.email == contact, Person.user_id.is_not(None)).limit(1))
