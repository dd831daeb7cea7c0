"""What every part of the check-in feature shares: services, settings, the sealer, and the
signposting block (built from content and configuration alone, so it needs no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.checkins.config import CheckinsConfig
from dialogs.shared.context import BotServices
from dialogs.shared.notices import notice_card, step
from storage.checkins import repository as repo
from storage.checkins.models import CheckinPlan
from storage.checkins.schedule import WEEKDAYS, local_today, parse_time
from storage.checkins.sealing import Sealer
from storage.models import User
from storage.supervisors import Supervisor
from storage.users import is_zone

SEAL_PURPOSE = "checkins.notes"


class CheckinsBase:
    def __init__(self, services: BotServices, config: CheckinsConfig, sealer: Sealer) -> None:
        self.services = services
        self.config = config
        self.sealer = sealer
        self.content = services.content
        self.text = services.content.text

    async def zone_of(self, db: AsyncSession, user_id: str) -> str:
        """The plan's zone, else the one Teams last reported, else the deployment's default."""
        plan = await repo.plan_of(db, user_id) if user_id else None
        if plan is not None and is_zone(plan.time_zone):
            return plan.time_zone
        zone = await db.scalar(select(User.time_zone).where(User.id == user_id)) if user_id else None
        return zone if zone is not None and is_zone(zone) else self.services.default_zone

    def today(self, zone: str) -> date:
        return local_today(self.services.now(), zone)

    def now(self) -> datetime:
        return self.services.now()

    def notice(self, title_key: str, body: str) -> dict[str, Any]:
        """A notice about check-ins, leading on to the check-in page and the menu."""
        return notice_card(self.content, self.text(title_key), body,
                           (step(self.text("checkins.home.title"), "checkins.home"),))

    def support_contact(self) -> dict[str, str]:
        email = self.services.support_email
        return {"support": self.services.support_name, "email": f" ({email})" if email else ""}

    def signposting(self, supervisor: Supervisor | None) -> dict[str, Any]:
        """People to talk to, for the hard-day reply. Content and configuration only."""
        first = (self.text("checkins.reply.supervisor", name=supervisor.name) if supervisor
                 else self.text("checkins.reply.no_supervisor", **self.support_contact()))
        return {
            "title": self.text("checkins.reply.hard_title"),
            "not_crisis": self.text("checkins.reply.not_crisis"),
            "first": first,
            "contacts": [dict(c) for c in self.config.contacts],
            "urgent": list(self.content.data["support"]["urgent"]),
            "nobody_told": self.text("checkins.reply.nobody_told"),
            "ask": self.text("checkins.reply.ask"),
        }

    def schedule_text(self, plan: CheckinPlan) -> str:
        return self.times_text(plan.times)

    def times_text(self, times: dict[str, str] | None) -> str:
        """A plan's check-in times, "Monday 09:00, Thursday 18:30"."""
        days = [f"{self.text(f'checkins.weekdays.{d}')} {t}" for d in WEEKDAYS
                if parse_time(t := (times or {}).get(d)) is not None]
        return ", ".join(days)

    def day_of_card(self, raw: object, zone: str) -> date:
        """The day a card was made for (a night-shift prompt answered after midnight counts for its
        own day), when it is yesterday or today; otherwise today."""
        today = self.today(zone)
        day = parse_day(raw)
        return day if day is not None and today - timedelta(days=1) <= day <= today else today


def parse_day(raw: object) -> date | None:
    """An ISO date from a card ("2026-11-23"), or None."""
    if not isinstance(raw, str) or len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
