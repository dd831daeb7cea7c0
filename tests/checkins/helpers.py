"""Shared steps of the check-in tests: a person with a schedule, a check-in through the card."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.checkins.models import Checkin
from storage.models import OutboxMessage, User
from tests.factories import ALICE, Person

WEEKDAYS_AT = {d: "17:30" for d in ("mon", "tue", "wed", "thu", "fri")}


async def user_id(harness, person: Person = ALICE) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == person.teams_id))


async def set_up(harness, person: Person = ALICE, times: dict[str, str] | None = None,
                 zone: str = "Europe/London", **extra: str) -> dict[str, Any]:
    await harness.say("hi", person)
    data = {"zone": zone, "retention": "90", "weekly": "", **(WEEKDAYS_AT if times is None else times), **extra}
    return await harness.press("checkins.setup.save", data, person)


async def check_in(harness, person: Person = ALICE, **answers: str) -> dict[str, Any]:
    return await harness.press("checkins.submit", {"feeling": "3", **answers}, person)


async def outbox_rows(harness, kind_prefix: str = "checkin") -> list[OutboxMessage]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind.like(kind_prefix + "%"))
                                     .order_by(OutboxMessage.due_at)))


async def checkins(harness) -> list[Checkin]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(Checkin)))


def text_of(card: Any) -> str:
    return json.dumps(card, ensure_ascii=False)


async def run_job(harness, job_id: str) -> None:
    """Run one of the scheduler's periodic jobs now, as its tick would."""
    job = harness.components.scheduler.job(job_id)
    await job()


async def tick(harness) -> None:
    await run_job(harness, "checkins.queue")
