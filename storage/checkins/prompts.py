"""The outbox side of check-ins: prompts at each person's local time, snoozes, the weekly
reflection, and the message asking a peer supervisor to get in touch.

`materialise` is idempotent (outbox keys are unique per person, local date and kind), so the
periodic job may run on several replicas, after downtime, or twice in a row. It reads plans in
chunks by user id and inserts each chunk in one statement: memory stays flat with the number of
people, and a day's prompts for ten thousand people take one pass (bench/checkins.py).

A worker away (storage/tripartite: an absence) who chose to pause their check-in prompts gets none
for the days from the first day away until the day before the first day back; read for each chunk
in one query, so the pause costs no query per person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkins.models import CheckinPlan
from storage.checkins.schedule import PROMPT, SNOOZE, WEEKLY, PlanView, Rules, due_between, message_key
from storage.absences import Pause
from storage.dialect import insert_for, rows_changed
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.outbox import insert_new as _insert, pending_row as _row
from storage.tripartite.pauses import Paused, paused

KINDS = {PROMPT: "checkin_prompt", SNOOZE: "checkin_snooze", WEEKLY: "checkin_weekly"}
CONTACT_KIND = "checkin_contact"
CHUNK = 1000

_PLAN_COLUMNS = (CheckinPlan.user_id, CheckinPlan.time_zone, CheckinPlan.times, CheckinPlan.paused_until,
                 CheckinPlan.skipped_on, CheckinPlan.weekly_day, CheckinPlan.changed_at, CheckinPlan.version)


def plan_rows(plan: PlanView, now: datetime, rules: Rules, created: datetime,
              paused_for: Sequence[Pause] = ()) -> list[dict]:
    return [_row(plan.user_id, message_key(plan.user_id, d.day, d.what), KINDS[d.what],
                 {"day": d.day.isoformat(), "version": plan.version}, d.due_at, d.not_after, created)
            for d in due_between(plan, now, rules)
            if not any(pause.covers(d.day) for pause in paused_for)]


async def materialise(db: AsyncSession, now: datetime, rules: Rules, *, user_id: str | None = None,
                      chunk: int = CHUNK) -> int:
    """Queue every active plan's prompts still useful and due within the horizon. Returns how many
    were due (already-queued ones included: the insert ignores them)."""
    created, after, total = utcnow(), "", 0
    while True:
        query = select(*_PLAN_COLUMNS).where(CheckinPlan.active.is_(True), CheckinPlan.user_id > after)
        if user_id is not None:
            query = query.where(CheckinPlan.user_id == user_id)
        plans = (await db.execute(query.order_by(CheckinPlan.user_id).limit(chunk))).all()
        if not plans:
            return total
        # Pauses that ended before yesterday cannot cover a prompt still to queue.
        pauses = await paused(db, Paused.CHECKINS, [plan.user_id for plan in plans], by_user=True,
                              since=(now - timedelta(days=2)).date())
        rows = [row for plan in plans
                for row in plan_rows(PlanView(*plan), now, rules, created, pauses.get(plan.user_id, []))]
        await _insert(db, rows)
        total += len(rows)
        after = plans[-1].user_id
        if len(plans) < chunk:
            return total


async def drop_pending(db: AsyncSession, user_id: str, kinds: Iterable[str],
                       day: date | None = None) -> int:
    """Delete (so they can be queued again under the same key) pending messages of these kinds;
    with `day`, only that local date's."""
    query = delete(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.status == OutboxStatus.PENDING,
                                        OutboxMessage.kind.in_(list(kinds)))
    if day is not None:
        query = query.where(OutboxMessage.idempotency_key.like(f"checkin:{user_id}:{day.isoformat()}:%"))
    return await rows_changed(db, query)


async def snooze(db: AsyncSession, user_id: str, day: date, now: datetime, minutes: int,
                 window: timedelta, most: int) -> bool:
    """Ask again in `minutes`; at most `most` times for one day. False when none are left."""
    done = await db.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == user_id, OutboxMessage.kind == KINDS[SNOOZE],
        OutboxMessage.idempotency_key.like(f"checkin:{user_id}:{day.isoformat()}:{SNOOZE}:%")))
    if (done or 0) >= most:
        return False
    await drop_pending(db, user_id, [KINDS[SNOOZE]], day)
    due = now + timedelta(minutes=minutes)
    await _insert(db, [_row(user_id, message_key(user_id, day, SNOOZE, (done or 0) + 1), KINDS[SNOOZE],
                            {"day": day.isoformat()}, due, due + window, utcnow())])
    return True


async def ask_to_get_in_touch(db: AsyncSession, worker_id: str, supervisor_id: str, day: date,
                              now: datetime, window: timedelta) -> bool:
    """Queue the "would like a chat" message, once a day. The payload names the worker only."""
    row = _row(supervisor_id, f"checkin-contact:{worker_id}:{supervisor_id}:{day.isoformat()}", CONTACT_KIND,
               {"worker": worker_id}, now, now + window, utcnow())
    return await rows_changed(db, insert_for(db, OutboxMessage).values(**row)
                              .on_conflict_do_nothing(index_elements=["idempotency_key"])) == 1
