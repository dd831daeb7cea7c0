"""What every co-reflection module shares: settings from content, who the actor is among the
people, access to one group (its lead, or its members; nobody else), and times as people read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.content import Content, ContentError, settings_file, whole_number
from dialogs.shared.context import BotServices
from storage.coreflections import repository as repo
from storage.coreflections.events import ReminderRules, reach_person
from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence, OccurrenceStatus
from storage.coreflections.recurrence import Pattern
from storage.models import User
from storage.people.models import Person
from storage.people.repository import ensure_person, person_of_user
from storage.roles import Actor, Role
from storage.sessions.recurrence import in_zone

LEADS = (Role.PEER_LEAD, Role.ADMIN)
PURPOSE_FEED = "coreflection_ics"
FEED_PATH = "/calendar/coreflection/{token}.ics"
SPACING = {"monthly": 32, "weekly": 7, "fortnightly": 14}  # days between meetings, at most
# Caps on what a card lists, so the largest card stays under Teams' 80 KB (tests/shared/test_cards_render.py).
MAX_MEMBERS, MAX_UPCOMING, MAX_RECENT, MAX_GROUPS_LISTED = 40, 6, 12, 20


@dataclass(frozen=True)
class CoreflectionsConfig:
    """content/coreflections/coreflections.yaml, validated at start-up."""

    rules: ReminderRules
    lengths: tuple[int, ...]
    max_members: int
    upcoming_shown: int
    recent_shown: int
    calendar_link_days: int

    @classmethod
    def load(cls, content: Content) -> "CoreflectionsConfig":
        raw, where = settings_file(content, "coreflections")
        try:
            reminders = raw["reminders"]
            rules = ReminderRules(
                day_before_at=time.fromisoformat(str(reminders["day_before_at"])),
                minutes_before=whole_number(reminders, where, "minutes_before", 1, 240),
                facilitator_days=whole_number(reminders, where, "facilitator_days_before", 1, 28),
                facilitator_at=time.fromisoformat(str(reminders["facilitator_at"])),
                here_opens=timedelta(minutes=whole_number(raw, where, "here_opens_minutes", 0, 120)))
            lengths = tuple(int(m) for m in raw["lengths"])
            if not lengths or not all(5 <= m <= 480 for m in lengths):
                raise ValueError("lengths: 5 to 480 minutes each")
        except (KeyError, TypeError, ValueError) as exc:
            raise ContentError(f"{where}: invalid or missing field ({type(exc).__name__}: {exc})") from None
        return cls(rules, lengths, whole_number(raw, where, "max_members", 2, MAX_MEMBERS),
                   whole_number(raw, where, "upcoming_shown", 1, MAX_UPCOMING),
                   whole_number(raw, where, "recent_shown", 1, MAX_RECENT),
                   whole_number(raw, where, "calendar_link_days", 1, 1000))


@dataclass(frozen=True)
class Access:
    """A group the actor may see, and as whom."""

    group: CoReflectionGroup
    me: Person
    lead: bool  # the group's lead, still holding a lead's role
    member: bool


class CoreflectionsBase:
    def __init__(self, services: BotServices, config: CoreflectionsConfig) -> None:
        self.services = services
        self.config = config
        self.content = services.content
        self.text = services.content.text

    def now(self) -> datetime:
        return self.services.now()

    async def me(self, db: AsyncSession, actor: Actor) -> Person | None:
        """The actor among the people. Someone picked before they installed is linked to their
        Teams account on first use here, and their waiting invitations are queued."""
        person = await person_of_user(db, actor.user_id) if actor.user_id else None
        if person is not None or not actor.aad_object_id:
            return person
        picked = await db.scalar(select(Person.id).where(Person.aad_object_id == actor.aad_object_id.lower(),
                                                         Person.user_id.is_(None)))
        user = await db.get(User, actor.user_id)
        if picked is None or user is None:
            return None
        person = await ensure_person(db, user)
        await reach_person(db, person.id, self.now())
        return person

    async def access(self, db: AsyncSession, actor: Actor, group_id: Any) -> Access | None:
        """The group if the actor leads it or belongs to it; None for everyone else (and for a
        group that does not exist: the two are not told apart)."""
        group = await repo.get_group(db, group_id)
        me = await self.me(db, actor) if group is not None else None
        if group is None or me is None or not group.active:
            return None
        lead = group.lead_id == me.id and actor.has_any(*LEADS)
        member = await repo.membership(db, group.id, me.id) is not None
        return Access(group, me, lead, member) if lead or member else None

    async def occurrence_access(self, db: AsyncSession, actor: Actor,
                                occurrence_id: Any) -> tuple[CoReflectionOccurrence, Access] | None:
        occurrence = await repo.get_occurrence(db, occurrence_id)
        access = await self.access(db, actor, occurrence.group_id) if occurrence is not None else None
        return (occurrence, access) if occurrence is not None and access is not None else None

    # --- how things read ------------------------------------------------------------------

    def when(self, starts_at: datetime, ends_at: datetime, zone: str) -> str:
        s, e = in_zone(starts_at, zone), in_zone(ends_at, zone)
        return self.text("coreflections.format.when", weekday=s.strftime("%A"), day=s.day, month=s.strftime("%B"),
                         year=s.year, start=s.strftime("%H:%M"), end=e.strftime("%H:%M"))

    def schedule(self, group: CoReflectionGroup) -> str:
        """"The first Tuesday of each month, 10:00 to 11:00 (Europe/London)", in the group's zone."""
        pattern = Pattern.of(group.rrule)
        start = datetime.combine(group.starts_on, repo.start_time(group))
        end = start + timedelta(minutes=group.minutes)
        return self.text(f"coreflections.pattern.{pattern.frequency}",  # text-key: coreflections.pattern.*
                         nth=self.text(f"coreflections.nth.{pattern.nth}") if pattern.nth else "",  # text-key: coreflections.nth.*
                         weekday=self.text(f"coreflections.weekdays.{pattern.weekday}"),  # text-key: coreflections.weekdays.*
                         start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), zone=group.time_zone)

    def status(self, occurrence: CoReflectionOccurrence) -> str:
        if occurrence.status == OccurrenceStatus.SCHEDULED:
            return ""
        return self.text(f"coreflections.status.{occurrence.status}")  # text-key: coreflections.status.*

    def reach(self, group: CoReflectionGroup, count: int) -> timedelta:
        """A span that holds the next `count` meetings of the group."""
        return timedelta(days=SPACING[Pattern.of(group.rrule).frequency] * (count + 1))

    def feed_url(self, group_id: str, person_id: str) -> str:
        """The member's own webcal feed of the series (signed; checked against membership on download)."""
        links = self.services.links
        token = links.token(PURPOSE_FEED, f"{group_id}:{person_id}",
                            self.now() + timedelta(days=self.config.calendar_link_days))
        return "webcal://" + links.url(FEED_PATH, token).split("://", 1)[1]

    def group_notice(self, title: str, text: str, *, group_id: str = "") -> dict[str, Any]:
        """A short card that always offers a way on: the group, or co-reflections."""
        return self.content.card("coreflection_notice", {
            "title": title, "text": text, "group_id": group_id,
            "verb": "coreflections.group" if group_id else "coreflections.home",
            "button": self.text("coreflections.notices.open" if group_id else "coreflections.home.back")})

    def refused(self) -> dict[str, Any]:
        return self.group_notice(self.text("coreflections.home.title"), self.text("coreflections.errors.not_yours"))

    def person_name(self, person: Person | None) -> str:
        return person.name if person is not None and person.name else self.text("coreflections.group.someone")
