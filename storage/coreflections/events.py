"""The outbox side of co-reflections: invitations, reminders before each meeting, the rota
facilitator's reminder the week before. Idempotent (outbox keys are unique), so the periodic job
may run on several replicas, after downtime, or twice in a row. Keys are hierarchical:
  coreflect:{occurrence_id}:{person_id}:{start stamp}:{day|soon|rota}
so moving or cancelling one meeting drops its pending reminders by prefix, and the new start's
stamp makes new keys. Renderers check the stamp again when sending, so a reminder of the old time
that was already claimed is not sent either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.coreflections import repository as repo
from storage.coreflections.models import CoReflectionGroup, CoReflectionMember, CoReflectionOccurrence
from storage.coreflections.recurrence import local_to_utc
from storage.dialect import rows_changed
from storage.models import OutboxMessage, OutboxStatus
from storage.people.models import Person
from storage.sessions.recurrence import in_zone
from storage.users import zone_of

INVITATION, REMINDER, ROTA = "coreflection_invitation", "coreflection_reminder", "coreflection_rota"
INVITATION_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ReminderRules:
    """content/coreflections/coreflections.yaml: when reminders go, in each person's own zone."""

    day_before_at: time  # members: the day before, at this local time
    minutes_before: int  # members: this long before the start
    facilitator_days: int  # the rota's facilitator: this many days before...
    facilitator_at: time  # ...at this local time
    here_opens: timedelta  # "I'm here" works from this long before the start until the end

    @property
    def horizon(self) -> timedelta:
        """How far ahead the job makes occurrences and queues reminders."""
        return timedelta(days=self.facilitator_days + 2)


def stamp(occurrence: CoReflectionOccurrence) -> str:
    return str(int(occurrence.starts_at.timestamp()))


def occurrence_prefix(occurrence_id: str) -> str:
    return f"coreflect:{occurrence_id}:"


def _days_before(start: datetime, zone: str, days: int, at: time) -> datetime:
    day = in_zone(start, zone).date() - timedelta(days=days)
    return local_to_utc(datetime.combine(day, at), zone)


async def queue_reminders(db: AsyncSession, group: CoReflectionGroup, occurrence: CoReflectionOccurrence,
                          rules: ReminderRules, now: datetime) -> int:
    """Every reminder still ahead for this meeting, for members who can be reached."""
    if occurrence.status not in repo.LIVE or occurrence.starts_at <= now:
        return 0
    queued = 0
    payload = {"occurrence_id": occurrence.id, "starts_at": stamp(occurrence)}
    for _member, person in await repo.members(db, group.id):
        if person.user_id is None:
            continue  # pending: reached when they install
        zone = await zone_of(db, person.user_id, group.time_zone)
        base = f"{occurrence_prefix(occurrence.id)}{person.id}:{stamp(occurrence)}"
        due = {"day": _days_before(occurrence.starts_at, zone, 1, rules.day_before_at),
               "soon": occurrence.starts_at - timedelta(minutes=rules.minutes_before)}
        for which, at in due.items():
            if at > now:
                queued += await outbox.enqueue(
                    db, kind=REMINDER, idempotency_key=f"{base}:{which}", user_id=person.user_id,
                    due_at=at, not_after=occurrence.ends_at, payload={**payload, "which": which})
        rota_at = _days_before(occurrence.starts_at, zone, rules.facilitator_days, rules.facilitator_at)
        if person.id == occurrence.facilitator_id and rota_at > now:
            queued += await outbox.enqueue(
                db, kind=ROTA, idempotency_key=f"{base}:rota", user_id=person.user_id, due_at=rota_at,
                not_after=occurrence.starts_at, payload=payload)
    return queued


async def drop_reminders(db: AsyncSession, occurrence_id: str) -> int:
    """Delete (not just cancel) a meeting's pending reminders, so moving it back can queue them again."""
    prefix = occurrence_prefix(occurrence_id)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await rows_changed(db, delete(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(escaped + "%", escape="\\"), OutboxMessage.status == OutboxStatus.PENDING))


async def queue_invitation(db: AsyncSession, member: CoReflectionMember, person: Person, now: datetime) -> bool:
    """The invitation, once the member can be reached; until then the membership stays pending."""
    if person.user_id is None or member.invited_at is not None:
        return False
    member.invited_at = now
    return await outbox.enqueue(db, kind=INVITATION, idempotency_key=f"coreflect_invite:{member.group_id}:{person.id}",
                                user_id=person.user_id, due_at=now, not_after=now + INVITATION_WINDOW,
                                payload={"group_id": member.group_id})


async def reach_person(db: AsyncSession, person_id: str, now: datetime) -> int:
    """A person picked before they installed has now installed (Person.user_id is set): queue the
    invitations that were waiting. The people feature's "person appeared" hook calls this; the
    periodic job does the same as a safety net. Returns how many were queued."""
    person = await db.get(Person, person_id)
    if person is None or person.user_id is None:
        return 0
    waiting = await db.scalars(select(CoReflectionMember).where(
        CoReflectionMember.person_id == person_id, CoReflectionMember.invited_at.is_(None)))
    return sum([await queue_invitation(db, member, person, now) for member in list(waiting)])


async def tick(db: AsyncSession, rules: ReminderRules, now: datetime) -> int:
    """Occurrences within reach, their reminders, and invitations for members who have installed."""
    queued = 0
    groups = list(await db.scalars(select(CoReflectionGroup).where(CoReflectionGroup.active.is_(True))))
    for group in groups:
        await repo.ensure_occurrences(db, group, now - timedelta(days=1), now + rules.horizon)
        for member, person in await repo.members(db, group.id):
            queued += await queue_invitation(db, member, person, now)
        for occurrence in await repo.occurrences(db, group.id, now, now + rules.horizon, live_only=True):
            queued += await queue_reminders(db, group, occurrence, rules, now)
    return queued
