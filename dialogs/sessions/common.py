"""What every sessions module shares: the series settings from content, times in the reader's
zone, input checks, and the default sessions created on first use."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.content import Content, ContentError
from dialogs.shared.inputs import CONTROL_CHARACTERS, storable
from dialogs.shared.notices import notice_card, step
from dialogs.shared.context import BotServices, scope_of
from storage.sessions.recurrence import ReminderOffset, in_zone, to_utc
from storage.sessions import repository as repo
from storage.users import valid_zone, zone_of  # noqa: F401 (the sessions modules take them from here)
from storage.roles import FACILITATORS, ConfiguredRoles, still_facilitator
from storage.sessions.models import Meeting, Series, SessionStatus
from storage import outbox
from storage.sessions.events import EventRules, queue_for_attendee

CALENDAR_LINK_DAYS = 400
NOTICE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class DefaultSession:
    day: date
    start: time
    end: time


@dataclass(frozen=True)
class SessionsConfig:
    """content/sessions/sessions.yaml, validated once at start-up."""

    series_name: str
    zone: str
    default_title: str
    defaults: tuple[DefaultSession, ...]
    rules: EventRules
    agenda: tuple[tuple[int, str], ...]
    principles: tuple[tuple[str, str], ...]
    housekeeping: tuple[str, ...]
    attendance_opens: timedelta
    planning_lead: timedelta

    @classmethod
    def load(cls, content: Content) -> "SessionsConfig":
        where = content.file("sessions.yaml")
        try:
            data = content.data["sessions"]
            series = data["series"]
            ZoneInfo(series["time_zone"])
            return cls(
                series_name=str(series["name"]), zone=series["time_zone"], default_title=str(series["default_title"]),
                defaults=tuple(DefaultSession(date.fromisoformat(str(s["date"])), time.fromisoformat(s["start"]),
                                              time.fromisoformat(s["end"])) for s in data["sessions"]),
                rules=EventRules(tuple(ReminderOffset.parse(o) for o in data["reminder_offsets"]),
                                 timedelta(days=int(data["feedback_request_days"]))),
                agenda=tuple((int(a["minutes"]), str(a["item"])) for a in data["agenda"]),
                principles=tuple((str(p["title"]), str(p["text"])) for p in data["principles"]),
                housekeeping=tuple(str(h) for h in data["housekeeping"]),
                attendance_opens=timedelta(minutes=int(data["attendance_opens_minutes"])),
                planning_lead=timedelta(weeks=int(data["planning_lead_weeks"])),
            )
        except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
            raise ContentError(f"{where}: invalid or missing field ({type(exc).__name__}: {exc})") from None


def when_text(content: Content, start: datetime, end: datetime, zone: str) -> str:
    """"Friday 26 June 2026, 14:00 to 16:00 (Europe/London)" in `zone`."""
    s, e = in_zone(start, zone), in_zone(end, zone)
    return content.text("sessions.format.when", weekday=s.strftime("%A"), day=s.day, month=s.strftime("%B"),
                        year=s.year, start=s.strftime("%H:%M"), end=e.strftime("%H:%M"), zone=zone)


def day_text(content: Content, start: datetime, zone: str) -> str:
    """"Friday 26 June" in `zone`: tells one session's buttons from another's on a list."""
    s = in_zone(start, zone)
    return content.text("sessions.format.day", weekday=s.strftime("%A"), day=s.day, month=s.strftime("%B"))


def agenda_rows(config: SessionsConfig, start: datetime, zone: str) -> list[dict[str, str]]:
    return [{"time": in_zone(start + timedelta(minutes=m), zone).strftime("%H:%M"), "item": item}
            for m, item in config.agenda]


def principle_rows(config: SessionsConfig) -> list[dict[str, str]]:
    return [{"title": t, "text": x} for t, x in config.principles]


def status_text(content: Content, status: str) -> str:
    return content.text(f"sessions.status.{status}")


def summary(content: Content, space: Meeting, zone: str, counts: repo.Counts | None = None) -> dict[str, Any]:
    """The fields most cards show about a session, in the reader's zone."""
    places = ""
    if counts is not None and space.capacity is not None:
        left = max(space.capacity - counts.registered, 0)
        places = content.text("sessions.places_left", left=left) if left else content.text("sessions.full")
    return {
        "session_id": space.id, "title": space.title, "topic": space.topic, "presenters": space.presenters,
        "when": when_text(content, space.starts_at, space.ends_at, zone),
        "day": day_text(content, space.starts_at, zone),
        "status": status_text(content, space.status), "places": places,
        "recorded": content.text("sessions.recorded.yes" if space.recorded else "sessions.recorded.no"),
        "joining_url": space.joining_url, "has_link": bool(space.joining_url),
        "open": space.status == SessionStatus.REGISTRATION_OPEN,
    }


# --- input checks: each returns (value, error text key or None) ------------------------------
# The error texts may name the field: format them with `field=` (see SessionsBase.error_text).

def text_field(data: dict[str, Any], key: str, limit: int, *, required: bool) -> tuple[str, str | None]:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", f"sessions.errors.{key}"
    multiline = limit > 500
    if not storable(value, multiline=multiline):
        return "", CONTROL_CHARACTERS
    value = value.strip() if multiline else " ".join(value.split())
    if required and not value:
        return "", f"sessions.errors.{key}"
    if len(value) > limit:
        return value, f"sessions.errors.{key}_long"
    return value, None


def https_url(value: Any) -> tuple[str, str | None]:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        return "", None
    if not storable(value, multiline=False):
        return "", CONTROL_CHARACTERS
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.hostname or len(value) > 2000 or any(c.isspace() for c in value):
        return value, "sessions.errors.joining_url"
    return value, None


def choices(data: dict[str, Any], key: str) -> set[str]:
    """The values of a multi-select Input.ChoiceSet (sent as one comma-separated string)."""
    value = data.get(key)
    return {v for v in value.split(",") if v} if isinstance(value, str) else set()


def flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"))


def local_instant(day: Any, at: Any, zone: str) -> datetime:
    """A facilitator's date and time (Input.Date / Input.Time values) as UTC; ValueError if invalid."""
    if not isinstance(day, str) or not isinstance(at, str):
        raise ValueError("date or time missing")
    return to_utc(date.fromisoformat(day.strip()), time.fromisoformat(at.strip()[:5]), zone)


async def default_series(db: AsyncSession, config: SessionsConfig, now: datetime) -> Series:
    """The configured series; on first use it is created with the shipped dates still ahead."""
    series, created = await repo.series_by_name(db, config.series_name, config.zone)
    if created:
        for item in config.defaults:
            start = to_utc(item.day, item.start, config.zone)
            end = to_utc(item.day, item.end, config.zone)
            if end > now:
                db.add(Meeting(series_id=series.id, title=config.default_title, starts_at=start,
                               ends_at=end, time_zone=config.zone,
                               status=SessionStatus.REGISTRATION_OPEN))
        await db.flush()
    return series


class SessionsBase:
    """Shared plumbing of the sessions action classes."""

    def __init__(self, services: BotServices, config: SessionsConfig) -> None:
        self.services = services
        self.config = config
        self.content = services.content

    def text(self, key: str, **params: Any) -> str:
        return self.content.text(key, **params)

    def error_text(self, key: str, field: str) -> str:
        """The message for an input check's error `key` about the form field `field`."""
        return self.text(key, field=self.text(f"sessions.fields.{field}"))

    def register_state(self, space: Meeting, now: datetime) -> str:
        """Whether the register ("who's in the room") can be marked: "open", "not_yet" or "closed".

        Facilitators may keep correcting it after the end; it opens `attendance_opens` before.
        """
        if space.status == SessionStatus.CANCELLED:
            return "closed"
        return "not_yet" if now < space.starts_at - self.config.attendance_opens else "open"

    def register_opens_text(self, space: Meeting, zone: str) -> str:
        """When the register opens, in the reader's zone: "Friday 11 December 2026 at 13:30"."""
        at = in_zone(space.starts_at - self.config.attendance_opens, zone)
        return self.text("sessions.format.opens", weekday=at.strftime("%A"), day=at.day, month=at.strftime("%B"),
                         year=at.year, time=at.strftime("%H:%M"))

    def facilitator(self, turn_context) -> Any:
        """This turn's scope, once the actor is known to be a facilitator or admin (else NotPermitted)."""
        scope = scope_of(turn_context)
        scope.actor.require(*FACILITATORS)
        return scope

    def notice(self, title_key: str, text: str) -> dict[str, Any]:
        """A notice about sessions, leading on to My sessions, all sessions and the menu."""
        return notice_card(self.content, self.text(title_key), text, (
            step(self.text("sessions.next.mine"), "sessions.mine"),
            step(self.text("sessions.next.browse"), "sessions.browse")))

    def calendar_url(self, session_id: str) -> str:
        links = self.services.links
        token = links.token("session_ics", session_id, self.services.now() + timedelta(days=CALENDAR_LINK_DAYS))
        return links.url("/calendar/session/{token}.ics", token)

    def feed_url(self, series_id: str) -> str:
        """The webcal address of a series' calendar feed (long-lived, carries no joining links)."""
        links = self.services.links
        url = links.url("/calendar/series/{token}.ics", links.token("series_ics", series_id))
        return "webcal://" + url.split("://", 1)[1]

    async def tell(self, db: AsyncSession, space: Meeting, user_ids: list[str | None], tag: str,
                   title_key: str, text_key: str, now: datetime) -> None:
        """Queue a notice about `space` to each person, in their own time zone. Web registrants
        (no user id) cannot be messaged: their page and calendar file carry the news instead."""
        for user_id in filter(None, user_ids):
            zone = await zone_of(db, user_id, self.config.zone)
            text = self.text(text_key, title=space.title,
                             when=when_text(self.content, space.starts_at, space.ends_at, zone))
            await outbox.enqueue(db, kind="card", idempotency_key=f"session_notice:{space.id}:{tag}:{user_id}",
                                 user_id=user_id, due_at=now, not_after=now + NOTICE_WINDOW,
                                 payload={"card": self.notice(title_key, text)})

    async def promoted(self, db: AsyncSession, space: Meeting, people: list, now: datetime) -> None:
        """Tell people who moved from the waitlist to a place, and queue their reminders."""
        for registration in people:
            if registration.user_id is not None:
                await queue_for_attendee(db, space, registration.user_id, self.config.rules, now)
        await self.tell(db, space, [r.user_id for r in people], f"promoted:{int(now.timestamp())}",
                        "sessions.notices.promoted_title", "sessions.notices.promoted", now)


async def facilitator_link_meeting(db: AsyncSession, user_id: str, session_id: str,
                                   configured_roles: ConfiguredRoles, what: str) -> Meeting:
    """The session a facilitator's signed link (the register export, a QR code) names. A link
    outlives the card it came from, so its holder must still be a facilitator (403, logged as
    ``what`` refused) and the session must still exist (404)."""
    if not await still_facilitator(db, user_id, configured_roles):
        logging.getLogger(__name__).info("%s refused: the link's holder is no longer a facilitator", what)
        raise web.HTTPForbidden()
    space = await db.get(Meeting, session_id)
    if space is None:
        raise web.HTTPNotFound()
    return space
