"""What every part of recording supervision shares: settings, the person behind the turn, words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.content import Content, ContentError, settings_file, whole_number
from dialogs.shared.context import BotServices, scope_of
from storage.checkins.schedule import local_today, parse_time
from storage.feedback.anonymise import Scrubber
from storage.feedback.responses import known_names
from storage.models import User
from storage.people.models import Person, SupervisionRecord
from storage.people.repository import ensure_person
from storage.supervision.requests import ReminderRule
from storage.users import zone_of

MAX_ACTIONS = 500  # the column's size: the card's maxLength and the message say the same


@dataclass(frozen=True)
class SupervisionConfig:
    reminder: ReminderRule
    oldest_days: int
    min_minutes: int
    max_minutes: int
    ask_within_days: int
    rows_per_person: int

    @classmethod
    def from_content(cls, content: Content) -> "SupervisionConfig":
        raw, where = settings_file(content, "supervision")

        def number(key: str, low: int, high: int) -> int:
            return whole_number(raw, where, key, low, high)

        at = parse_time(raw.get("reminder_time"))
        if at is None:
            raise ContentError(f"{where}: reminder_time must be a time such as 10:00")
        low, high = number("min_minutes", 1, 600), number("max_minutes", 1, 1440)
        if low >= high:
            raise ContentError(f"{where}: min_minutes must be below max_minutes")
        return cls(reminder=ReminderRule(number("reminder_after_days", 1, 30), at),
                   oldest_days=number("oldest_days", 7, 5 * 366), min_minutes=low, max_minutes=high,
                   ask_within_days=number("ask_within_days", 1, 366),
                   rows_per_person=number("rows_per_person", 1, 2))


def date_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


class SupervisionBase:
    def __init__(self, services: BotServices, config: SupervisionConfig) -> None:
        self.services = services
        self.config = config
        self.content = services.content
        self.text = services.content.text

    async def me(self, db: AsyncSession, turn_context: TurnContext) -> Person | None:
        """The person behind the turn (always from the turn, never from card data)."""
        user_id = scope_of(turn_context).actor.user_id
        user = await db.get(User, user_id) if user_id else None
        return await ensure_person(db, user) if user is not None else None

    async def today(self, db: AsyncSession, user_id: str | None) -> date:
        return local_today(self.services.now(), await zone_of(db, user_id, self.services.default_zone))

    def type_name(self, kind: str) -> str:
        return self.text(f"supervision.types.{kind}")  # text-key: supervision.types.*

    def status_name(self, status: str) -> str:
        return self.text(f"supervision.status.{status}")  # text-key: supervision.status.*

    def notice(self, title_key: str, body: str) -> dict[str, Any]:
        """A message with a way on (my supervision, the menu)."""
        return self.content.card("supervision_notice", {"title": self.text(title_key), "text": body})

    async def name_of(self, db: AsyncSession, person_id: str | None) -> str:
        name = await db.scalar(select(Person.name).where(Person.id == person_id)) if person_id else None
        return name or self.text("supervision.views.someone")

    async def scrubbed(self, db: AsyncSession, text: str, party_ids: set[str]) -> str:
        """`text` without identifiers of anyone but the people in the supervision (whose names stay
        readable): the feedback scrubber, over every name the bot knows, capped at MAX_ACTIONS."""
        if not text:
            return ""
        names = set(await known_names(db)) | set(await db.scalars(select(Person.name).where(Person.name != "")))
        names -= set(await db.scalars(select(Person.name).where(Person.id.in_(party_ids))))
        names -= set(await db.scalars(select(User.name).join(Person, Person.user_id == User.id)
                                      .where(Person.id.in_(party_ids))))
        return Scrubber(known_names=names, max_chars=MAX_ACTIONS).scrub(text)

    def about(self, record: SupervisionRecord) -> dict[str, str]:
        return {"type": self.type_name(record.type), "date": date_text(record.held_on)}


async def reachable_user(db: AsyncSession, person_id: str | None) -> str | None:
    """The User a person can be messaged as: linked already, or found by AAD id once they have
    talked to the bot (the people feature links them; this does not wait for it)."""
    person = await db.get(Person, person_id) if person_id else None
    if person is None:
        return None
    if person.user_id is None and person.aad_object_id:
        return await db.scalar(select(User.id).where(func.lower(User.aad_object_id) == person.aad_object_id).limit(1))
    return person.user_id
