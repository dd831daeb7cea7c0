"""What the parts of the people feature share: services, texts, today's date, the pick list."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import BotServices
from dialogs.shared.inputs import storable
from dialogs.shared.notices import notice_card, step
from storage.people.directory import choice_value, known_people, same_text
from storage.people.models import Person, PersonLink
from storage.roles import Actor, Role
from storage.users import zone_of

MAX_TEXT = 200
MAX_CHOICES = 50  # each of three pickers carries the list: keeps the card under Teams' 80 KB


class PeopleBase:
    def __init__(self, services: BotServices) -> None:
        self.services = services
        self.content = services.content
        self.text = services.content.text

    async def today(self, db: AsyncSession, user_id: str) -> date:
        zone = await zone_of(db, user_id, self.services.default_zone)
        return self.services.now().astimezone(ZoneInfo(zone)).date()

    def name(self, person: Person | None) -> str:
        """A person's name, or words saying we have not met them yet (picked by id only)."""
        if person is not None and person.name:
            return person.name
        # Someone picked by id has an id; a row left blank by erasure has nothing.
        known = person is not None and (person.aad_object_id or person.email)
        return self.text("people.unnamed") if known else self.text("people.erased")

    def kind(self, link: PersonLink | str) -> str:
        value = link if isinstance(link, str) else link.kind
        return self.text(f"people.kinds.{value}")  # text-key: people.kinds.*

    def title(self, link: PersonLink | str) -> str:
        value = link if isinstance(link, str) else link.kind
        return self.text(f"people.titles.{value}")  # text-key: people.titles.*

    async def choices(self, db: AsyncSession, organisation: str | None = None) -> list[dict[str, str]]:
        """The static choices of every picker: people the bot knows, for clients without the
        Teams people picker, and shown beside directory results by clients with it."""
        return [{"title": p.name, "value": choice_value(p)}
                for p in await known_people(db, organisation=organisation, limit=MAX_CHOICES)]

    def notice(self, title_key: str, body: str) -> dict[str, Any]:
        return notice_card(self.content, self.text(title_key), body,
                           (step(self.text("people.next.home"), "people.home"),))


def single_line(data: dict[str, Any], key: str) -> tuple[str, bool]:
    """A single-line text from a card, trimmed, and whether it is acceptable."""
    value = data.get(key)
    if value is None:
        return "", True
    if not isinstance(value, str):
        return "", False
    value = value.strip()
    return value, len(value) <= MAX_TEXT and storable(value, multiline=False)


def may_manage(actor: Actor, lead: Person | None, worker: Person) -> bool:
    """Administrators manage everyone; a peer lead the workers of their own organisation."""
    if actor.has_any(Role.ADMIN):
        return True
    return actor.has_any(Role.PEER_LEAD) and lead is not None and same_text(lead.organisation, worker.organisation)
