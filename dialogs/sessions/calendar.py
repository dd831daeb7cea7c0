"""Calendar files (RFC 5545, library `icalendar`) for sessions, served at signed URLs.

Each file carries a VTIMEZONE for the session's zone and local DTSTART/DTEND with a TZID, so
Outlook places a 14:00 Europe/London session at 14:00 London time whatever the season.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Alarm, Calendar, Event, Timezone
from sqlalchemy import select

from dialogs.shared.links import InvalidLink
from storage.sessions.models import Meeting, SessionStatus

log = logging.getLogger(__name__)
PRODID = "-//PeerSpace//Implementation space sessions//EN"
SESSION_PURPOSE, SERIES_PURPOSE = "session_ics", "series_ics"
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def build_calendar(spaces: list[Meeting], *, name: str, now: datetime,
                   describe: Callable[[Meeting], str], with_links: bool,
                   alarms: tuple[timedelta, ...] = (), alarm_text: str = "") -> bytes:
    """One VCALENDAR holding the sessions, with a VTIMEZONE per zone used, and a display alarm
    `alarms` before each start (for people whom the bot cannot remind in Teams)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for zone in sorted({s.time_zone for s in spaces}):
        cal.add_component(Timezone.from_tzid(zone))
    for space in spaces:
        tz = ZoneInfo(space.time_zone)
        event = Event()
        event.add("uid", f"{space.id}@peerspace")
        event.add("dtstamp", now)
        event.add("dtstart", space.starts_at.astimezone(tz))
        event.add("dtend", space.ends_at.astimezone(tz))
        event.add("summary", space.title)
        event.add("description", describe(space))
        event.add("sequence", space.version)
        event.add("status", "CANCELLED" if space.status == SessionStatus.CANCELLED else "CONFIRMED")
        if with_links and space.joining_url:
            event.add("url", space.joining_url)
            event.add("location", space.joining_url)
        for lead in alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", alarm_text or space.title)
            alarm.add("trigger", -lead)
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


def calendar_routes(router: Any, *, open_db, links, now: Callable[[], datetime],
                    describe: Callable[[Meeting], str], name: Callable[[], str]) -> None:
    """GET /calendar/session/{token}.ics (one session, with its joining link) and
    GET /calendar/series/{token}.ics (every session of a series, for a webcal subscription)."""

    def _respond(body: bytes, filename: str) -> web.Response:
        return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
            **_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})

    def _subject(purpose: str, request: web.Request) -> str:
        try:
            return links.verify(purpose, request.match_info["token"], now())
        except InvalidLink:
            raise web.HTTPNotFound() from None

    async def one(request: web.Request) -> web.Response:
        session_id = _subject(SESSION_PURPOSE, request)
        async with open_db() as db:
            space = await db.get(Meeting, session_id)
        if space is None:
            raise web.HTTPNotFound()
        log.info("calendar file served for one session")
        return _respond(build_calendar([space], name=name(), now=now(), describe=describe, with_links=True),
                        "session.ics")

    async def series(request: web.Request) -> web.Response:
        series_id = _subject(SERIES_PURPOSE, request)
        async with open_db() as db:
            spaces = list(await db.scalars(select(Meeting).where(Meeting.series_id == series_id)
                                           .order_by(Meeting.starts_at).limit(200)))
        # A feed can be passed on, so it carries no joining links (registrants get those).
        return _respond(build_calendar(spaces, name=name(), now=now(), describe=describe, with_links=False),
                        "sessions.ics")

    router.add_get("/calendar/session/{token}.ics", one)
    router.add_get("/calendar/series/{token}.ics", series)
