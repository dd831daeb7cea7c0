"""A booked tripartite meeting as a calendar file (RFC 5545, library `icalendar`): one 1-hour
VEVENT named by the task's kind and worker, with no notes, checklist or sign-off in it.

Served at a signed link made for one person and one task; on every download the person must
still be one of the task's parties and the meeting still booked, so someone who leaves the
task stops getting it. The UID is the task's and the SEQUENCE its version, so a re-booked
meeting replaces the old one in a calendar that imports it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.links import InvalidLink, LinkSigner
from storage.people.models import Person
from storage.tripartite import repository as repo
from storage.tripartite.models import TripartiteTask

log = logging.getLogger(__name__)
PURPOSE = "tripartite_ics"
PATH = "/calendar/tripartite/{token}.ics"
PRODID = "-//PeerSpace//Tripartite//EN"
MEETING = timedelta(hours=1)
LINK_DAYS = 400  # a meeting is booked within a year or so; the party check is what protects it
WHEN = "%a %d %b %Y %H:%M"
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def calendar_url(links: LinkSigner, task: TripartiteTask, person_id: str, now: datetime) -> str:
    """This person's link to this task's meeting."""
    return links.url(PATH, links.token(PURPOSE, f"{task.id}:{person_id}", now + timedelta(days=LINK_DAYS)))


def when_in(at: datetime, zone: str) -> str:
    """A meeting time as the reader reads it: their own zone, named."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local.strftime(WHEN)} ({zone})"


def build_ics(task: TripartiteTask, summary: str, *, now: datetime) -> bytes:
    assert task.meeting_at is not None
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"tripartite-{task.id}@peerspace")
    event.add("dtstamp", now)
    event.add("dtstart", task.meeting_at)
    event.add("dtend", task.meeting_at + MEETING)
    event.add("summary", summary)
    event.add("sequence", task.version)
    cal.add_component(event)
    return cal.to_ical()


def ics_route(router: Any, *, open_db: Callable[[], Any], links: LinkSigner, now: Callable[[], datetime],
              summary: Callable[[str, str], str]) -> None:
    """GET /calendar/tripartite/{token}.ics; `summary(kind, worker name)` names the event."""

    async def download(request: web.Request) -> web.Response:
        try:
            task_id, person_id = links.verify(PURPOSE, request.match_info["token"], now()).split(":", 1)
        except (InvalidLink, ValueError):
            raise web.HTTPNotFound() from None
        async with open_db() as db:
            task = await db.get(TripartiteTask, task_id)
            if not await _may_read(db, task, person_id):
                raise web.HTTPNotFound()
            assert task is not None and task.meeting_at is not None
            worker = await db.scalar(select(Person.name).where(Person.id == task.worker_id)) or ""
            body = build_ics(task, summary(task.kind, worker), now=now())
        log.info("tripartite meeting calendar served")
        return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
            **_HEADERS, "Content-Disposition": 'attachment; filename="tripartite-meeting.ics"'})

    router.add_get(PATH, download)


async def _may_read(db: AsyncSession, task: TripartiteTask | None, person_id: str) -> bool:
    return task is not None and task.meeting_at is not None and person_id in repo.party_ids(task)


def meeting_fields(text: Callable[..., str], links: LinkSigner, task: TripartiteTask, person_id: str, *,
                   zone: str, now: datetime) -> dict[str, Any]:
    """The task card's meeting part for one reader: the time in their zone, their own calendar
    link, and the date and time inputs (prefilled with the booked time) to book or move it."""
    booked = task.meeting_at
    local = booked.astimezone(ZoneInfo(zone)) if booked else None
    return {
        "meeting_fact": {"title": text("tripartite.facts.meeting"),
                         "value": when_in(booked, zone) if booked else text("tripartite.meeting.none")},
        "can_book": task.status != "done",
        "book_title": text("tripartite.meeting.title_move" if booked else "tripartite.meeting.title"),
        "book_hint": text("tripartite.meeting.hint", zone=zone),
        "day_label": text("tripartite.meeting.day"), "time_label": text("tripartite.meeting.time"),
        "day_value": local.date().isoformat() if local else "",
        "time_value": local.strftime("%H:%M") if local else "",
        "day_min": now.astimezone(ZoneInfo(zone)).date().isoformat(),
        "book": text("tripartite.meeting.move" if booked else "tripartite.meeting.book"),
        "calendar": text("tripartite.meeting.calendar"),
        "calendar_url": calendar_url(links, task, person_id, now) if booked else "",
    }
