"""Which tripartite reminders are due now, for every open task at once, queued in the outbox.

Open tasks are read a thousand at a time (by id), each with its three parties' users and zones
in the same statement, and running probations likewise with their unsigned final review; each
chunk's reminders go in one INSERT ... ON CONFLICT DO NOTHING. Nothing is asked once per task or
per person, and memory stays flat with the size of the organisation (bench/tripartite.py).

Each reminder has a stable outbox key, so the hourly tick can run as often as it likes (and on
several replicas): a reminder is queued once. A party who has not installed the app yet (no User)
is skipped until they do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.localtime import local_instant, local_today
from storage.models import User, utcnow
from storage.outbox import insert_new, pending_row
from storage.people.models import Person
from storage.tripartite.models import Probation, TripartiteTask
from storage.tripartite.rules import ProbationPlan, TaskStatus, warning_day
from storage.users import valid_zone

CHUNK = 1000


@dataclass(frozen=True)
class ReminderRules:
    lead_days: int = 7  # "due soon" this many days before
    overdue_every_days: int = 7  # overdue reminders repeat this often
    escalate_after_days: int | None = None  # to the HR contact; None: never
    send_at: time = time(9, 0)  # local time of day


@dataclass(frozen=True)
class Reminder:
    key: str
    user_id: str
    task_id: str | None
    probation_id: str | None
    event: str  # due_soon, due, overdue, escalation, warning
    due_at: datetime


class _Clock:
    """Each zone's today and send instant, worked out once a tick (20 zones, not 30,000 parties)."""

    def __init__(self, now: datetime, rules: ReminderRules, default_zone: str) -> None:
        self.now, self.rules, self.default_zone = now, rules, default_zone
        self._zones: dict[str | None, tuple[date, datetime]] = {}

    def local(self, zone_name: str | None) -> tuple[date, datetime]:
        found = self._zones.get(zone_name)
        if found is None:
            zone = valid_zone(zone_name, self.default_zone)
            today = local_today(self.now, zone)
            found = self._zones[zone_name] = (today, max(self.now, local_instant(today, self.rules.send_at, zone)))
        return found


def _with_parties(query: Select, task: Any) -> Select:
    """`query` with each of the task's three parties as (person id, user id, zone), user id None
    for someone who has not installed the app."""
    for column in (task.worker_id, task.line_manager_id, task.peer_supervisor_id):
        person, user = aliased(Person), aliased(User)
        query = query.add_columns(column, user.id, user.time_zone) \
            .outerjoin(person, person.id == column).outerjoin(user, user.id == person.user_id)
    return query


def _parties(row: Any, first: int) -> Iterator[tuple[str, str, str | None]]:
    """(person id, user id, zone) of the parties in `row` from column `first` on who can be messaged."""
    for at in range(first, first + 9, 3):
        if row[at] is not None and row[at + 1] is not None:
            yield row[at], row[at + 1], row[at + 2]


def task_reminders(row: Any, clock: _Clock, hr_user_id: str | None) -> Iterator[Reminder]:
    """One open task's reminders now: (task id, due day, then its parties as `_with_parties`)."""
    task_id, due_on = row[0], row[1]
    rules = clock.rules
    for person, user_id, zone in _parties(row, 2):
        today, send_at = clock.local(zone)
        late = (today - due_on).days
        if late < -rules.lead_days:
            continue
        # Overdue: once at once, then once a week (a key per week, so a missed tick loses nothing).
        event, stamp = ("due_soon", "soon") if late < 0 else ("due", "due") if late == 0 else \
            ("overdue", f"late{(late - 1) // rules.overdue_every_days}")
        yield Reminder(f"tripartite:{task_id}:{due_on}:{stamp}:{person}", user_id, task_id, None, event, send_at)
    if hr_user_id and rules.escalate_after_days is not None and \
            (clock.now.date() - due_on).days >= rules.escalate_after_days:
        yield Reminder(f"tripartite:{task_id}:{due_on}:hr", hr_user_id, task_id, None, "escalation", clock.now)


def warnings(row: Any, clock: _Clock, plan: ProbationPlan) -> Iterator[Reminder]:
    """A running probation with no signed-off final review: (probation id, end, final review id,
    then the review's parties as `_with_parties`)."""
    probation_id, ends_on, final_id = row[0], row[1], row[2]
    for person, user_id, zone in _parties(row, 3):
        today, send_at = clock.local(zone)
        if today >= warning_day(ends_on, plan):
            yield Reminder(f"tripartite:probation:{probation_id}:{ends_on}:warning:{person}",
                           user_id, final_id, probation_id, "warning", send_at)


async def queue_reminders(db: AsyncSession, now: datetime, rules: ReminderRules, plan: ProbationPlan,
                          default_zone: str, hr_user_id: str | None, *, kind: str, chunk: int = CHUNK) -> int:
    """Queue, as messages of `kind`, every reminder due now. Returns how many were due (those
    queued by an earlier tick included: the insert skips them)."""
    horizon = now.date() + timedelta(days=rules.lead_days + 1)  # +1: zones ahead of UTC
    clock, created, total = _Clock(now, rules, default_zone), utcnow(), 0
    conn = await db.connection()  # plain rows: the ORM's per-object work buys nothing here
    task = TripartiteTask
    tasks = _with_parties(select(task.id, task.due_on), task).where(
        task.status != TaskStatus.DONE, task.due_on <= horizon)
    final = aliased(TripartiteTask)
    probations = _with_parties(select(Probation.id, Probation.ends_on, final.id).join(final, and_(
        final.worker_id == Probation.worker_id, final.key == literal("probation:") + Probation.id + literal(":final"),
        final.status != TaskStatus.DONE)), final).where(
        Probation.outcome.is_(None), Probation.ends_on <= horizon + timedelta(days=plan.warning_days_before_end))
    for query, by, make in ((tasks, task.id, lambda row: task_reminders(row, clock, hr_user_id)),
                            (probations, Probation.id, lambda row: warnings(row, clock, plan))):
        after = ""
        while True:
            found = (await conn.execute(query.where(by > after).order_by(by).limit(chunk))).all()
            rows = [pending_row(r.user_id, r.key, kind, {"task": r.task_id, "probation": r.probation_id,
                                                         "event": r.event}, r.due_at, None, created)
                    for row in found for r in make(row)]
            await insert_new(db, rows)
            total += len(rows)
            if len(found) < chunk:
                break
            after = found[-1][0]
    return total
