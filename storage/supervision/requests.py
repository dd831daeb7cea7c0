"""Asking for an answer: the confirmation request at once, and one reminder after a delay.

Both go through the outbox, keyed by the record, so asking again (the job runs hourly and asks for
every record still waiting, which reaches someone who installed the app after it was recorded)
never sends twice. The reminder is due `after_days` days after the request, at `at` in the
confirmer's own zone; it is rendered when it goes out, and sends nothing once the record is
answered or already reminded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.checkins.schedule import local_instant, local_today
from storage.people.models import SupervisionRecord

ASK = "supervision.ask"
REMIND = "supervision.remind"
DISPUTED = "supervision.disputed"
REMINDER_WINDOW = timedelta(days=2)  # after downtime longer than this, the record shows as unconfirmed


@dataclass(frozen=True)
class ReminderRule:
    after_days: int
    at: time


def reminder_due(now: datetime, zone: str, rule: ReminderRule) -> datetime:
    """`after_days` days from today in `zone`, at the rule's local time (zoneinfo places a time in
    a skipped hour after the change, and a repeated one at its first occurrence)."""
    return local_instant(local_today(now, zone) + timedelta(days=rule.after_days), rule.at, zone)


async def ask(db: AsyncSession, record: SupervisionRecord, user_id: str, zone: str, now: datetime,
              rule: ReminderRule) -> bool:
    """Queue the request to confirm and its one reminder for the confirmer (a User id). True when
    the request is newly queued."""
    payload = {"record": record.id}
    queued = await outbox.enqueue(db, kind=ASK, idempotency_key=f"{ASK}.{record.id}", due_at=now,
                                  payload=payload, user_id=user_id)
    due = reminder_due(now, zone, rule)
    await outbox.enqueue(db, kind=REMIND, idempotency_key=f"{REMIND}.{record.id}", due_at=due,
                         not_after=due + REMINDER_WINDOW, payload=payload, user_id=user_id)
    return queued


async def tell_disputed(db: AsyncSession, record: SupervisionRecord, user_id: str, now: datetime) -> bool:
    """Tell the person who recorded it that the other party disputed it (the reason is read from
    the record when the message goes out, so it is never copied into the outbox)."""
    return await outbox.enqueue(db, kind=DISPUTED, idempotency_key=f"{DISPUTED}.{record.id}", due_at=now,
                                payload={"record": record.id}, user_id=user_id)
