"""Reminders, escalations and the weekly digest: the hourly job that queues them, the renderers
that build them when sent, and the "add to calendar" file behind a signed link.

Renderers look again at send time: a reminder or escalation whose worker has since had a record
confirmed (the due date moved), is away, or is no longer a worker, sends nothing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from aiohttp import web
from botbuilder.schema import Activity
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.cadence.common import CadenceBase, day_words
from dialogs.shared.cards import card_activity
from dialogs.shared.links import InvalidLink
from storage.cadence import queue
from storage.cadence.rules import State
from storage.cadence.snapshot import Item, items_of
from storage.outbox import ClaimedMessage
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink

log = logging.getLogger(__name__)
ICS_PURPOSE = "cadence.ics"
ICS_PATH = "/calendar/supervision/{token}.ics"
DIGEST_AHEAD = timedelta(days=7)
MAX_DIGEST_LINES = 60  # a card holds this many (tests/cadence/card_data.py); the rest are counted
RELATION = {"peer_lead": "relation_lead", "line_manager": "relation_manager"}


class Reminders(CadenceBase):
    async def tick(self) -> queue.TickResult:
        """Queue what is due within the horizon (idempotent; runs hourly and at start-up)."""
        async with self.services.db() as db, db.begin():
            result = await queue.queue(db, self.rules, self.services.absences, self.now(), self.services.default_zone)
        log.info("cadence tick: %d workers, %d messages, %d not installed, %d left to digests",
                 result.workers, result.messages, result.not_installed, result.digested)
        return result

    async def _still_due(self, db: AsyncSession, payload: dict[str, Any]) -> Item | None:
        worker, kind, due = payload.get("worker"), payload.get("type"), payload.get("due")
        if not isinstance(worker, str) or not isinstance(kind, str) or not isinstance(due, str):
            return None
        item = await self.current(db, worker, kind)
        if item is None or item.due is None or item.due.isoformat() != due or item.state == State.PAUSED:
            return None
        return item

    def calendar_url(self, item: Item) -> str:
        assert item.due is not None
        expires = self.now() + timedelta(days=(item.due - self.today()).days + 60)
        token = self.services.links.token(ICS_PURPOSE, f"{item.type}:{item.due.isoformat()}", expires)
        return self.services.links.url(ICS_PATH, token)

    async def render_reminder(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        item = await self._still_due(db, message.payload)
        if item is None or item.due is None:
            return None
        t, kind = self.text, self.type_name(item.type)
        due = day_words(item.due)
        title = t("cadence.reminder.title_due", type=kind) if item.due <= self.today() else \
            t("cadence.reminder.title_before", type=kind, due=due)
        if message.payload.get("role") == "supervisor":
            text = t("cadence.reminder.supervisor", type=kind, worker=item.worker.name, due=due)
        else:
            text = t("cadence.reminder.worker", type=kind, due=due)
        wants_supervisor = self.rules.cadences[item.type].supervisor is not None
        return card_activity(self.content.card("cadence_reminder", {
            "title": title, "text": text,
            "note": t("cadence.reminder.no_supervisor") if wants_supervisor and item.supervisor is None else "",
            "record": t("cadence.reminder.record"), "type": item.type, "worker": item.worker.id,
            "calendar": t("cadence.reminder.calendar"), "calendar_url": self.calendar_url(item),
            "more": "", "more_verb": ""}))

    async def render_escalation(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        item = await self._still_due(db, message.payload)
        if item is None or item.due is None or item.state != State.OVERDUE:
            return None
        t, kind = self.text, self.type_name(item.type)
        level = message.payload.get("level")
        relation = "relation_contact" if level == 2 else RELATION.get(self.rules.cadences[item.type].escalate_to or "",
                                                                        "relation_contact")
        return card_activity(self.content.card("cadence_reminder", {
            "title": t("cadence.escalation.title", type=kind),
            "text": t("cadence.escalation.text", worker=item.worker.name, type=kind, due=day_words(item.due),
                      days=(self.today() - item.due).days),
            "note": t("cadence.escalation.footer", relation=t(f"cadence.escalation.{relation}")),  # text-key: cadence.escalation.relation_*
            "record": "", "type": item.type, "worker": item.worker.id, "calendar": "", "calendar_url": "",
            "more": self.text("menu.supervision_compliance.title"), "more_verb": "cadence.compliance"}))

    async def digest_lines(self, db: AsyncSession, person_id: str) -> list[str]:
        """The digest of one supervisor or manager: each of their people's items due within a
        week or overdue, for the types that person gives (a peer supervisor's peer supervision,
        a line manager's management supervision), soonest first."""
        t, today = self.text, self.today()
        gives = {kind: [c.type for c in self.rules.cadences.values() if c.supervisor == kind] for kind in LinkKind}
        lines: list[tuple[date, str, str]] = []
        for kind, types in gives.items():
            if not types:
                continue
            scope = Person.id.in_(select(PersonLink.worker_id).where(
                PersonLink.other_id == person_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE))
            for item in await items_of(db, self.services.absences, self.rules, today, scope=scope):
                if item.type not in types or item.state not in (State.OVERDUE, State.DUE_SOON, State.UNKNOWN):
                    continue
                if item.due is None:
                    status = t("cadence.digest.unknown")
                elif item.due < today:
                    status = t("cadence.digest.overdue", due=day_words(item.due))
                else:
                    status = t("cadence.digest.due_on", due=day_words(item.due))
                lines.append((item.due or date.min, item.worker.name,
                              t("cadence.digest.line", worker=item.worker.name, type=self.type_name(item.type),
                                status=status)))
        return [line for *_, line in sorted(lines)]

    async def render_digest(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        person_id = await db.scalar(select(Person.id).where(Person.user_id == message.user_id))
        if person_id is None or person_id not in (await queue.directory(db, self.rules)).digest:
            return None  # they went back to single reminders since it was queued
        lines = await self.digest_lines(db, person_id)
        t = self.text
        if len(lines) > MAX_DIGEST_LINES:
            lines = lines[:MAX_DIGEST_LINES - 1] + [t("cadence.digest.more", count=len(lines) - MAX_DIGEST_LINES + 1)]
        return card_activity(self.content.card("cadence_digest", {
            "title": t("cadence.digest.title"), "intro": t("cadence.digest.intro", days=DIGEST_AHEAD.days),
            "none": "" if lines else t("cadence.digest.none"), "lines": lines,
            "footer": t("cadence.digest.footer"), "change": t("menu.supervision_reminders.title")}))

    async def calendar_file(self, request: web.Request) -> web.Response:
        """GET /calendar/supervision/{token}.ics: an all-day event on the due date. The file names
        the type and date only (a link can be passed on), never the people."""
        try:
            kind, due_text = self.services.links.verify(ICS_PURPOSE, request.match_info["token"], self.now()).split(":")
            due = date.fromisoformat(due_text)
        except (InvalidLink, ValueError):
            return web.Response(status=404, text=self.text("cadence.csv.link_invalid"))
        if kind not in self.rules.cadences:
            return web.Response(status=404, text=self.text("cadence.csv.link_invalid"))
        name = self.type_name(kind)
        cal = Calendar()
        cal.add("prodid", "-//PeerSpace//Supervision//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", self.text("cadence.calendar.name"))
        event = Event()
        event.add("uid", f"{kind}-{due.isoformat()}-{request.match_info['token'][-12:]}@peerspace")
        event.add("dtstamp", self.now())
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", self.text("cadence.calendar.summary", type=name))
        event.add("description", self.text("cadence.calendar.description", type=name))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
        return web.Response(body=cal.to_ical(), content_type="text/calendar", charset="utf-8", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": 'attachment; filename="supervision.ics"'})
