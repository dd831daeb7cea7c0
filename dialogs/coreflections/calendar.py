"""A member's calendar feed of their co-reflection series (RFC 5545, library `icalendar`): one
VEVENT with the RRULE, an EXDATE for each cancelled meeting, and for each moved one a VEVENT with
the same UID and a RECURRENCE-ID naming the meeting it replaces. Served at a signed link made for
one person and group; membership (or leading the group) is checked again on every download, so a
member who leaves stops seeing it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event, Timezone, vRecur

from dialogs.coreflections.common import FEED_PATH, PURPOSE_FEED
from dialogs.shared.links import InvalidLink
from storage.coreflections import repository as repo
from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence, OccurrenceStatus
from storage.coreflections.recurrence import local_to_utc

log = logging.getLogger(__name__)
PRODID = "-//PeerSpace//Co-reflections//EN"
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def build_feed(group: CoReflectionGroup, changed: list[CoReflectionOccurrence], *, now: datetime,
               description: str) -> bytes:
    """The series as one VCALENDAR, in the group's own zone (so 10:00 stays 10:00 all year)."""
    tz = ZoneInfo(group.time_zone)
    cal = Calendar()
    for key, value in (("prodid", PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"), ("method", "PUBLISH"),
                       ("x-wr-calname", group.name)):
        cal.add(key, value)
    cal.add_component(Timezone.from_tzid(group.time_zone))
    first = local_to_utc(datetime.combine(group.starts_on, repo.start_time(group)), group.time_zone).astimezone(tz)
    uid = f"coreflection-{group.id}@peerspace"

    def event(start: datetime, end: datetime, sequence: int) -> Event:
        item = Event()
        item.add("uid", uid)
        item.add("dtstamp", now)
        item.add("dtstart", start.astimezone(tz))
        item.add("dtend", end.astimezone(tz))
        item.add("summary", group.name)
        item.add("description", description)
        item.add("url", group.joining_url)
        item.add("location", group.joining_url)
        item.add("sequence", sequence)
        return item

    master = event(first, first + timedelta(minutes=group.minutes), 0)
    master.add("rrule", vRecur.from_ical(group.rrule))
    cancelled = [o.original_start.astimezone(tz) for o in changed if o.status == OccurrenceStatus.CANCELLED]
    if cancelled:
        master.add("exdate", cancelled)
    cal.add_component(master)
    for occurrence in changed:
        if occurrence.status == OccurrenceStatus.MOVED:
            moved = event(occurrence.starts_at, occurrence.ends_at, occurrence.version)
            moved.add("recurrence-id", occurrence.original_start.astimezone(tz))
            cal.add_component(moved)
    return cal.to_ical()


def feed_routes(router: Any, *, open_db, links, now: Callable[[], datetime],
                may_read: Callable[..., Any], description: Callable[[CoReflectionGroup], str]) -> None:
    """GET /calendar/coreflection/{token}.ics: the member's (or lead's) feed of one group."""

    async def feed(request: web.Request) -> web.Response:
        try:
            group_id, person_id = links.verify(PURPOSE_FEED, request.match_info["token"], now()).split(":", 1)
        except (InvalidLink, ValueError):
            raise web.HTTPNotFound() from None
        async with open_db() as db:
            group = await repo.get_group(db, group_id)
            if group is None or not await may_read(db, group, person_id):
                raise web.HTTPNotFound()
            body = build_feed(group, list(await repo.exceptions(db, group.id)), now=now(),
                              description=description(group))
        log.info("co-reflection calendar feed served")
        return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
            **_HEADERS, "Content-Disposition": 'attachment; filename="co-reflection.ics"'})

    router.add_get(FEED_PATH, feed)
