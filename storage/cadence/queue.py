"""The hourly job: reminders, escalations and weekly digests, queued in the outbox.

Idempotent by construction: each message's outbox key is recipient + worker + type + due date +
kind (+ level), so however often the job runs, on however many replicas, a due date brings each
message once. A record confirmed later moves the due date, and the renderer, which checks the due
date again when sending, drops what was queued for the old one. People who have not installed the
app (Person.user_id empty) cannot be messaged: they are skipped and counted. A supervisor or
manager who chose the weekly digest gets no single reminders (escalations still come singly).

Each chunk's messages go in one INSERT ... ON CONFLICT DO NOTHING, as check-in prompts do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.absences import AbsenceDirectory
from storage.cadence.models import CadencePreference
from storage.cadence.rules import ONE_DAY, Event, Rules, State, events, span
from storage.cadence.snapshot import LOOKBACK, Item, chunks, items
from storage.checkins.schedule import local_instant, local_today
from storage.models import RoleGrant, User, utcnow
from storage.outbox import insert_new, pending_row
from storage.people.models import Person

REMINDER, ESCALATION, DIGEST = "cadence_reminder", "cadence_escalation", "cadence_digest"
PEER_LEAD = "peer_lead"


class Recipient(NamedTuple):
    person_id: str
    user_id: str | None
    zone: str | None


@dataclass
class TickResult:
    workers: int = 0
    messages: int = 0  # due now or soon (already-queued ones included: the insert ignores them)
    not_installed: int = 0  # messages nobody could receive: the person has not installed the app
    digested: int = 0  # single reminders left to a weekly digest
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Directory:
    """Who escalations go to, read once a tick: peer leads by organisation and team, and the
    named escalation contact; and who chose the digest."""

    leads: dict[tuple[str, str], list[Recipient]]
    contact: Recipient | None
    digest: frozenset[str]

    def leads_for(self, organisation: str, team: str, worker_id: str) -> list[Recipient]:
        """As storage.people.repository.peer_leads_for: the team's leads, else the organisation's."""
        same = [r for r in self.leads.get((organisation, team), []) if r.person_id != worker_id]
        if same:
            return same
        return [r for (org, _), found in self.leads.items() if org == organisation for r in found
                if r.person_id != worker_id]


async def contact_person(db: AsyncSession, contact: str | None) -> Person | None:
    """The named escalation contact (an AAD object id or an e-mail) as a known person."""
    if not contact:
        return None
    key = contact.strip().lower()
    return await db.scalar(select(Person).where(or_(Person.aad_object_id == key, Person.email == key)).limit(1))


async def directory(db: AsyncSession, rules: Rules) -> Directory:
    leads: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
    rows = await db.execute(
        select(Person.id, Person.user_id, User.time_zone, Person.organisation, Person.team)
        .join(RoleGrant, RoleGrant.aad_object_id == Person.aad_object_id)
        .outerjoin(User, User.id == Person.user_id)
        .where(RoleGrant.role == PEER_LEAD).order_by(Person.name, Person.id))
    for person_id, user_id, zone, organisation, team in rows.all():
        leads[(organisation, team)].append(Recipient(person_id, user_id, zone))
    person = await contact_person(db, rules.escalation_contact)
    contact = None
    if person is not None:
        found = await db.scalar(select(User.time_zone).where(User.id == person.user_id)) if person.user_id else None
        contact = Recipient(person.id, person.user_id, found)
    digest = frozenset(await db.scalars(select(CadencePreference.person_id)
                                        .where(CadencePreference.weekly_digest.is_(True))))
    return Directory(dict(leads), contact, digest)


def message_key(recipient: str, item: Item, event: Event) -> str:
    assert item.due is not None
    return f"cadence:{recipient}:{item.worker.id}:{item.type}:{item.due.isoformat()}:{event.kind}{event.level}"


def payload(item: Item, event: Event, role: str) -> dict:
    assert item.due is not None
    return {"worker": item.worker.id, "type": item.type, "due": item.due.isoformat(), "kind": event.kind,
            "level": event.level, "role": role}


def recipients(item: Item, event: Event, rules: Rules, people: Directory) -> list[tuple[Recipient, str]]:
    """Who one event goes to, each with the part they play ("worker", "supervisor", "escalation")."""
    worker = item.worker
    if event.kind == "remind":
        out = [(Recipient(worker.id, worker.user_id, worker.zone), "worker")]
        if item.supervisor is not None:
            s = item.supervisor
            out.append((Recipient(s.other_id, s.other_user_id, s.other_zone), "supervisor"))
        return out
    if event.level == 2:
        return [(people.contact, "escalation")] if people.contact is not None else []
    cadence = rules.cadences[item.type]
    if cadence.escalate_to == PEER_LEAD:
        return [(r, "escalation") for r in people.leads_for(worker.organisation, worker.team, worker.id)]
    if cadence.escalate_to and item.supervisor is not None and item.supervisor.kind == cadence.escalate_to:
        s = item.supervisor
        return [(Recipient(s.other_id, s.other_user_id, s.other_zone), "escalation")]
    return []


def rows_for(item: Item, rules: Rules, people: Directory, now: datetime, default_zone: str,
             created: datetime, result: TickResult) -> list[dict]:
    """The outbox rows one worker's one type brings now: each event whose time (at `remind_at` in
    the recipient's zone) is within the horizon and still useful."""
    if item.due is None or item.state in (State.PAUSED, State.UNKNOWN):
        return []
    # Most due dates have nothing to send this hour: a day either side covers every zone.
    low, high = (now - ONE_DAY).date(), (now + rules.horizon + ONE_DAY).date()
    first, last = span(item.due, rules.thresholds)
    if last < low or first > high:
        return []
    out = []
    for event in events(item.due, rules.thresholds):
        if event.until < low or event.day > high:
            continue
        for recipient, role in recipients(item, event, rules, people):
            zone = recipient.zone or default_zone
            due_at = local_instant(event.day, rules.remind_at, zone)
            not_after = local_instant(event.until + ONE_DAY, time(0), zone)
            if due_at > now + rules.horizon or now >= not_after:
                continue
            if recipient.user_id is None:
                result.not_installed += 1
                continue
            if event.kind == "remind" and role == "supervisor" and recipient.person_id in people.digest:
                result.digested += 1
                continue
            kind = REMINDER if event.kind == "remind" else ESCALATION
            out.append(pending_row(recipient.user_id, message_key(recipient.person_id, item, event), kind,
                            payload(item, event, role), max(due_at, now), not_after, created))
            result.by_kind[kind] += 1
    return out


async def digest_rows(db: AsyncSession, rules: Rules, people: Directory, now: datetime,
                      default_zone: str, created: datetime) -> list[dict]:
    """This week's digest for each person who chose it, on the digest weekday at `remind_at`."""
    if not people.digest:
        return []
    found = await db.execute(select(Person.id, Person.user_id, User.time_zone).join(User, User.id == Person.user_id)
                             .where(Person.id.in_(sorted(people.digest))))
    out = []
    for person_id, user_id, own_zone in found.all():
        zone = own_zone or default_zone
        if user_id is None:
            continue
        today = local_today(now, zone)
        for day in (today, today + ONE_DAY):
            if day.weekday() != rules.digest_weekday:
                continue
            due_at = local_instant(day, rules.remind_at, zone)
            not_after = local_instant(day + ONE_DAY, time(0), zone)
            if due_at <= now + rules.horizon and now < not_after:
                year, week, _ = day.isocalendar()
                out.append(pending_row(user_id, f"cadence-digest:{person_id}:{year}-W{week:02d}", DIGEST,
                                {"day": day.isoformat()}, max(due_at, now), not_after, created))
    return out


async def queue(db: AsyncSession, rules: Rules, absences: AbsenceDirectory, now: datetime, default_zone: str,
                *, chunk: int = 1000) -> TickResult:
    """Queue every reminder, escalation and digest due within the horizon and still useful."""
    result, created = TickResult(), utcnow()
    people = await directory(db, rules)
    # Due states are counted on the organisation's default zone's date; each message's own time
    # is the recipient's local time.
    today = local_today(now, default_zone)
    async for part in chunks(db, absences, today - LOOKBACK, size=chunk):
        result.workers += len(part.workers)
        rows = [row for item in items(part, rules, today)
                for row in rows_for(item, rules, people, now, default_zone, created, result)]
        await insert_new(db, rows)
        result.messages += len(rows)
    digests = await digest_rows(db, rules, people, now, default_zone, created)
    await insert_new(db, digests)
    result.by_kind[DIGEST] += len(digests)
    result.messages += len(digests)
    return result
