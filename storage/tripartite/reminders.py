"""Which tripartite reminders are due now, for every open task at once: a few set-based queries,
then plain rules per party in that party's own time zone.

Each reminder has a stable outbox key, so the hourly tick can run as often as it likes (and on
several replicas): a reminder is queued once. A party who has not installed the app yet (no User)
is skipped until they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.localtime import local_instant, local_today
from storage.models import User
from storage.people.models import Person
from storage.tripartite.models import Probation, TripartiteTask
from storage.tripartite.rules import ProbationPlan, TaskStatus, warning_day
from storage.users import valid_zone


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


async def _recipients(db: AsyncSession, person_ids: set[str]) -> dict[str, tuple[str, str | None]]:
    """person id -> (user id, zone) for the people who can be messaged."""
    if not person_ids:
        return {}
    rows = await db.execute(select(Person.id, User.id, User.time_zone).join(User, User.id == Person.user_id)
                            .where(Person.id.in_(person_ids)))
    return {pid: (uid, zone) for pid, uid, zone in rows}


async def due_reminders(db: AsyncSession, now: datetime, rules: ReminderRules, plan: ProbationPlan,
                        default_zone: str, hr_user_id: str | None) -> list[Reminder]:
    horizon = now.date() + timedelta(days=rules.lead_days + 1)  # +1: zones ahead of UTC
    tasks = (await db.scalars(select(TripartiteTask).where(TripartiteTask.status != TaskStatus.DONE,
                                                           TripartiteTask.due_on <= horizon))).all()
    probations = list(await db.scalars(select(Probation).where(
        Probation.outcome.is_(None),
        Probation.ends_on <= horizon + timedelta(days=plan.warning_days_before_end))))
    people = {p for t in tasks for p in (t.worker_id, t.line_manager_id, t.peer_supervisor_id) if p}
    unreviewed = await _unreviewed(db, probations)
    people |= {p for _, f in unreviewed for p in (f.worker_id, f.line_manager_id, f.peer_supervisor_id) if p}
    reach = await _recipients(db, people)
    out: list[Reminder] = []

    def at(day: date, zone: str) -> datetime:
        return max(now, local_instant(day, rules.send_at, zone))

    for task in tasks:
        for person in (task.worker_id, task.line_manager_id, task.peer_supervisor_id):
            if person is None or person not in reach:
                continue
            user_id, zone_name = reach[person]
            zone = valid_zone(zone_name, default_zone)
            today = local_today(now, zone)
            late = (today - task.due_on).days
            if late < -rules.lead_days:
                continue
            # Overdue: once at once, then once a week (a key per week, so a missed tick loses nothing).
            event, stamp = ("due_soon", "soon") if late < 0 else ("due", "due") if late == 0 else \
                ("overdue", f"late{(late - 1) // rules.overdue_every_days}")
            out.append(Reminder(f"tripartite:{task.id}:{task.due_on}:{stamp}:{person}", user_id, task.id, None,
                                event, at(today, zone)))
        late_utc = (now.date() - task.due_on).days
        if hr_user_id and rules.escalate_after_days is not None and late_utc >= rules.escalate_after_days:
            out.append(Reminder(f"tripartite:{task.id}:{task.due_on}:hr", hr_user_id, task.id, None, "escalation", now))
    for probation, final in unreviewed:
        for person in (final.worker_id, final.line_manager_id, final.peer_supervisor_id):
            if person is None or person not in reach:
                continue
            user_id, zone_name = reach[person]
            zone = valid_zone(zone_name, default_zone)
            today = local_today(now, zone)
            if today >= warning_day(probation.ends_on, plan):
                out.append(Reminder(f"tripartite:probation:{probation.id}:{probation.ends_on}:warning:{person}",
                                    user_id, final.id, probation.id, "warning", at(today, zone)))
    return out


async def _unreviewed(db: AsyncSession, probations: list[Probation] | tuple[Probation, ...]
                      ) -> list[tuple[Probation, TripartiteTask]]:
    """Running probations whose final review is not signed off yet, with that review."""
    if not probations:
        return []
    keys = {f"probation:{p.id}:final": p for p in probations}
    finals = await db.scalars(select(TripartiteTask).where(TripartiteTask.key.in_(keys),
                                                           TripartiteTask.status != TaskStatus.DONE))
    return [(keys[f.key], f) for f in finals]
