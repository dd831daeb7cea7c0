"""What every part of the cadence feature shares: services, settings, dates in words, and the
current due date of one worker and type (read with the same set-based code as the hourly job)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.cadence.config import CadenceConfig
from dialogs.shared.context import BotServices
from storage.cadence.snapshot import Item, items_of
from storage.checkins.schedule import local_today
from storage.people.models import Person


def day_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


class CadenceBase:
    def __init__(self, services: BotServices, config: CadenceConfig) -> None:
        self.services = services
        self.config = config
        self.rules = config.rules
        self.content = services.content
        self.text = services.content.text

    def now(self) -> datetime:
        return self.services.now()

    def today(self) -> date:
        """Due states are counted on the organisation's default zone's date (as the hourly job does)."""
        return local_today(self.now(), self.services.default_zone)

    def type_name(self, kind: str) -> str:
        return self.text(f"cadence.types.{kind}")  # text-key: cadence.types.*

    async def current(self, db: AsyncSession, worker_id: str, kind: str) -> Item | None:
        """The worker's item for this type now, or None when they are no longer a worker or the
        type is switched off."""
        found = await items_of(db, self.services.absences, self.rules, self.today(), scope=Person.id == worker_id)
        return next((i for i in found if i.type == kind), None)
