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
from storage.sessions.models import FINISHED, Registration, RegistrationStatus, SessionStatus, SpaceSession
from storage.users import zone_of

REMINDER, STARTING, FEEDBACK_REQUEST, ANNOUNCEMENT = (
    "session_reminder", "session_starting", "feedback_request", "session_announcement",
)


@dataclass(frozen=True)
class EventRules:
    offsets: tuple[ReminderOffset, ...]
    feedback_window: timedelta = timedelta(days=14)


def stamp(space: SpaceSession) -> str:
    return str(int(space.starts_at.timestamp()))


def session_prefix(session_id: str) -> str:
    return f"session:{session_id}:"


def person_prefix(session_id: str, user_id: str) -> str:
    return f"session:{session_id}:{user_id}:"


async def queue_for_attendee(session: AsyncSession, space: SpaceSession, user_id: str,
                             rules: EventRules, now: datetime) -> int:
    """Reminders still ahead and the "starting now" card for one registered person.

    One rule, whichever path queues them (registration, promotion, a moved session, the safety
    net): whole-day reminders keep the start's wall-clock time in the attendee's own zone, the
    one their cards show, else the session's.
    """
    zone = await zone_of(session, user_id, space.time_zone)
    queued = 0
    base = f"{person_prefix(space.id, user_id)}{stamp(space)}"
    for offset in rules.offsets:
        due = reminder_instant(space.starts_at, zone, offset)
        if due <= now:
            continue  # registered after this reminder's moment: the confirmation said it all
        queued += await outbox.enqueue(
            session, kind=REMINDER, idempotency_key=f"{base}:reminder:{offset.name}", user_id=user_id,
            due_at=due, not_after=reminder_window(space.starts_at, due),
            payload={"session_id": space.id, "offset": offset.name, "starts_at": stamp(space)})
    if space.ends_at > now:
        queued += await outbox.enqueue(
            session, kind=STARTING, idempotency_key=f"{base}:starting", user_id=user_id,
            due_at=space.starts_at, not_after=space.ends_at,
            payload={"session_id": space.id, "starts_at": stamp(space)})
    return queued


async def _drop_pending(session: AsyncSession, prefix: str) -> int:
    """Delete (not just cancel) pending rows, so their keys can be queued again later: someone
    who gives up a place and takes it back, or a session moved and then moved back."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await rows_changed(session, delete(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(escaped + "%", escape="\\"), OutboxMessage.status == OutboxStatus.PENDING))


async def cancel_for_attendee(session: AsyncSession, session_id: str, user_id: str) -> int:
    return await _drop_pending(session, person_prefix(session_id, user_id))


async def cancel_for_session(session: AsyncSession, session_id: str) -> int:
    """The session is cancelled for good: keep the rows, marked cancelled, as a record."""
    return await outbox.cancel_where_key_starts(session, session_prefix(session_id))


async def requeue_session(session: AsyncSession, space: SpaceSession, rules: EventRules, now: datetime) -> int:
    """After a reschedule: drop every pending message of the old time, queue the new ones."""
    await _drop_pending(session, session_prefix(space.id))
    queued = 0
    for user_id in await _registered(session, space.id):
        queued += await queue_for_attendee(session, space, user_id, rules, now)
    return queued


async def _registered(session: AsyncSession, session_id: str) -> list[str]:
    """Who has a place; their users are loaded too, so each one's zone costs no further query."""
    users = await session.scalars(select(User).join(Registration, Registration.user_id == User.id).where(
        Registration.session_id == session_id, Registration.status == RegistrationStatus.REGISTERED))
    return [user.id for user in users]


async def queue_feedback_request(session: AsyncSession, session_id: str, user_id: str, rules: EventRules,
                                 now: datetime) -> bool:
    """The feedback feature renders it; we only say who attended which session."""
    return await outbox.enqueue(
        session, kind=FEEDBACK_REQUEST, idempotency_key=f"{FEEDBACK_REQUEST}:{session_id}:{user_id}",
        user_id=user_id, due_at=now, not_after=now + rules.feedback_window, payload={"session_id": session_id})


async def materialise(session: AsyncSession, rules: EventRules, now: datetime) -> int:
    """Make sure every registrant of every session starting soon has their reminder rows.

    Registration queues them already; this is the safety net (a crash between commit and queue
    cannot happen, as both share a transaction, but an offset added in content later can), so it
    only looks as far ahead as the longest reminder, plus a day.
    """
    queued = 0
    horizon = now + max((o.lead for o in rules.offsets), default=timedelta(0)) + timedelta(days=1)
    spaces = await session.scalars(select(SpaceSession).where(
        SpaceSession.ends_at > now, SpaceSession.starts_at <= horizon, SpaceSession.status.not_in(FINISHED)))
    for space in list(spaces):
        for user_id in await _registered(session, space.id):
            queued += await queue_for_attendee(session, space, user_id, rules, now)
    return queued


async def finish_ended(session: AsyncSession, rules: EventRules, now: datetime) -> list[str]:
    """Mark ended sessions held and ask their attendees for feedback. Returns the session ids."""
    ended = list(await session.scalars(select(SpaceSession).where(
        SpaceSession.ends_at <= now, SpaceSession.status.not_in(FINISHED))))
    done = []
    for space in ended:
        changed = await rows_changed(
            session,
            update(SpaceSession).where(SpaceSession.id == space.id, SpaceSession.status.not_in(FINISHED))
            .values(status=SessionStatus.HELD, version=SpaceSession.version + 1)
            .execution_options(synchronize_session=False))
        if changed != 1:
            continue  # another replica got there first
        attendees = await session.scalars(select(Registration.user_id).where(
            Registration.session_id == space.id, Registration.attended_at.is_not(None)))
        for user_id in list(attendees):
            await queue_feedback_request(session, space.id, user_id, rules, now)
        done.append(space.id)
    return done
