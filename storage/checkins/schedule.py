"""When to ask: local wall-clock times per weekday, turned into UTC instants with zoneinfo.

No SDK and no database. A time is what the worker's shift says ("17:30 on Mondays"), so it stays
17:30 across both clock changes. On the day the clocks go forward a time inside the skipped hour
(01:30 in the UK) is asked an hour later by the wall clock (02:30), the same moment as 01:30 of
the old offset; on the day they go back a repeated time is asked at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# Re-exported (they lived here first; other modules import them from here).
from storage.localtime import local_instant as local_instant, local_today as local_today, zone_info as zone_info

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::00)?$")
PROMPT, SNOOZE, WEEKLY = "prompt", "snooze", "weekly"


def parse_time(text: object) -> time | None:
    """"17:30" (or "17:30:00", as some clients send Input.Time) to a time; None when empty or invalid."""
    if not isinstance(text, str):
        return None
    match = _HHMM.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class PlanView:
    """What the scheduler needs of a plan row."""

    user_id: str
    time_zone: str
    times: dict[str, str]
    paused_until: date | None
    skipped_on: date | None
    weekly_day: int | None
    changed_at: datetime
    version: int


@dataclass(frozen=True)
class Rules:
    window: timedelta  # how long after its time a prompt is still worth sending
    horizon: timedelta  # how far ahead prompts are queued
    weekly_at: time
    weekly_window: timedelta


@dataclass(frozen=True)
class Due:
    what: str  # PROMPT or WEEKLY
    day: date
    due_at: datetime
    not_after: datetime


def due_between(plan: PlanView, now: datetime, rules: Rules) -> list[Due]:
    """Messages of `plan` still useful at `now` and due within the horizon.

    Yesterday is looked at too, so a prompt just before local midnight is still sent just after it.
    """
    today = local_today(now, plan.time_zone)
    out: list[Due] = []
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        if plan.paused_until is not None and day < plan.paused_until:
            continue
        at = parse_time(plan.times.get(WEEKDAYS[day.weekday()]))
        if at is not None and day != plan.skipped_on:
            out.append(_due(PROMPT, day, local_instant(day, at, plan.time_zone), rules.window))
        if plan.weekly_day == day.weekday():
            out.append(_due(WEEKLY, day, local_instant(day, rules.weekly_at, plan.time_zone), rules.weekly_window))
    return [d for d in out if d.not_after > now and d.due_at <= now + rules.horizon and d.due_at > plan.changed_at]


def _due(what: str, day: date, due_at: datetime, window: timedelta) -> Due:
    return Due(what, day, due_at, due_at + window)


def message_key(user_id: str, day: date, what: str, n: int | None = None) -> str:
    """Outbox keys, one per person, local date and kind: a second prompt for a day cannot be queued."""
    suffix = f":{n}" if n is not None else ""
    return f"checkin:{user_id}:{day.isoformat()}:{what}{suffix}"
