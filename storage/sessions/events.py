"""The outbox side of sessions: reminders, "starting now", feedback requests, planning nudges.

Every function here is idempotent (outbox keys are unique), so the periodic job may run on
several replicas, after downtime, or twice in a row. Keys are hierarchical:
  session:{session_id}:{user_id}:{start stamp}:reminder:{offset} | :starting
so withdrawing one person or moving the whole session cancels by prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.sessions.recurrence import ReminderOffset, reminder_instant, reminder_window
from storage import outbox
from storage.dialect import rows_changed
from storage.models import OutboxMessage, OutboxStatus, User
from storage.sessions.models import FINISHED, Meeting, Registration, RegistrationStatus, SessionStatus
from storage.users import zone_of

REMINDER, STARTING, FEEDBACK_REQUEST, ANNOUNCEMENT = (
    "session_reminder", "session_starting", "feedback_request", "session_announcement",
)


@dataclass(frozen=True)
class EventRules:
    offsets: tuple[ReminderOffset, ...]
    feedback_window: timedelta = timedelta(days=14)


def stamp(space: Meeting) -> str:
    return str(int(space.starts_at.timestamp()))


def session_prefix(session_id: str) -> str:
    return f"session:{session_id}:"


def person_prefix(session_id: str, user_id: str) -> str:
    return f"session:{session_id}:{user_id}:"


async def queue_for_attendee(db: AsyncSession, space: Meeting, user_id: str,
                             rules: EventRules, now: datetime) -> int:
    """Reminders still ahead and the "starting now" card for one registered person.

    One rule, whichever path queues them (registration, promotion, a moved session, the safety
    net): whole-day reminders keep the start's wall-clock time in the attendee's own zone, the
    one their cards show, else the session's.
    """
    zone = await zone_of(db, user_id, space.time_zone)
    queued = 0
    base = f"{person_prefix(space.id, user_id)}{stamp(space)}"
    for offset in rules.offsets:
        due = reminder_instant(space.starts_at, zone, offset)
        if due <= now:
            continue  # registered after this reminder's moment: the confirmation said it all
        queued += await outbox.enqueue(
            db, kind=REMINDER, idempotency_key=f"{base}:reminder:{offset.name}", user_id=user_id,
            due_at=due, not_after=reminder_window(space.starts_at, due),
            payload={"session_id": space.id, "offset": offset.name, "starts_at": stamp(space)})
    if space.ends_at > now:
        queued += await outbox.enqueue(
            db, kind=STARTING, idempotency_key=f"{base}:starting", user_id=user_id,
            due_at=space.starts_at, not_after=space.ends_at,
            payload={"session_id": space.id, "starts_at": stamp(space)})
    return queued


async def _drop_pending(db: AsyncSession, prefix: str) -> int:
    """Delete (not just cancel) pending rows, so their keys can be queued again later: someone
    who gives up a place and takes it back, or a session moved and then moved back."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await rows_changed(db, delete(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(escaped + "%", escape="\\"), OutboxMessage.status == OutboxStatus.PENDING))


async def cancel_for_attendee(db: AsyncSession, session_id: str, user_id: str) -> int:
    return await _drop_pending(db, person_prefix(session_id, user_id))


async def cancel_for_session(db: AsyncSession, session_id: str) -> int:
    """The session is cancelled for good: keep the rows, marked cancelled, as a record."""
    return await outbox.cancel_where_key_starts(db, session_prefix(session_id))


async def requeue_session(db: AsyncSession, space: Meeting, rules: EventRules, now: datetime) -> int:
    """After a reschedule: drop every pending message of the old time, queue the new ones."""
    await _drop_pending(db, session_prefix(space.id))
    queued = 0
    for user_id in await _registered(db, space.id):
        queued += await queue_for_attendee(db, space, user_id, rules, now)
    return queued


async def _registered(db: AsyncSession, session_id: str) -> list[str]:
    """Who has a place; their users are loaded too, so each one's zone costs no further query."""
    users = await db.scalars(select(User).join(Registration, Registration.user_id == User.id).where(
        Registration.session_id == session_id, Registration.status == RegistrationStatus.REGISTERED))
    return [user.id for user in users]


async def queue_feedback_request(db: AsyncSession, session_id: str, user_id: str, rules: EventRules,
                                 now: datetime) -> bool:
    """The feedback feature renders it; we only say who attended which session."""
    return await outbox.enqueue(
        db, kind=FEEDBACK_REQUEST, idempotency_key=f"{FEEDBACK_REQUEST}:{session_id}:{user_id}",
        user_id=user_id, due_at=now, not_after=now + rules.feedback_window, payload={"session_id": session_id})


async def materialise(db: AsyncSession, rules: EventRules, now: datetime) -> int:
    """Make sure every registrant of every session starting soon has their reminder rows.

    Registration queues them already; this is the safety net (a crash between commit and queue
    cannot happen, as both share a transaction, but an offset added in content later can), so it
    only looks as far ahead as the longest reminder, plus a day.
    """
    queued = 0
    horizon = now + max((o.lead for o in rules.offsets), default=timedelta(0)) + timedelta(days=1)
    spaces = await db.scalars(select(Meeting).where(
        Meeting.ends_at > now, Meeting.starts_at <= horizon, Meeting.status.not_in(FINISHED)))
    for space in list(spaces):
        for user_id in await _registered(db, space.id):
            queued += await queue_for_attendee(db, space, user_id, rules, now)
    return queued


async def finish_ended(db: AsyncSession, rules: EventRules, now: datetime) -> list[str]:
    """Mark ended sessions held and ask their attendees for feedback. Returns the session ids."""
    ended = list(await db.scalars(select(Meeting).where(
        Meeting.ends_at <= now, Meeting.status.not_in(FINISHED))))
    done = []
    for space in ended:
        changed = await rows_changed(
            db,
            update(Meeting).where(Meeting.id == space.id, Meeting.status.not_in(FINISHED))
            .values(status=SessionStatus.HELD, version=Meeting.version + 1)
            .execution_options(synchronize_session=False))
        if changed != 1:
            continue  # another replica got there first
        attendees = await db.scalars(select(Registration.user_id).where(
            Registration.session_id == space.id, Registration.attended_at.is_not(None)))
        for user_id in filter(None, list(attendees)):  # web registrants have no chat to ask in
            await queue_feedback_request(db, space.id, user_id, rules, now)
        done.append(space.id)
    return done
