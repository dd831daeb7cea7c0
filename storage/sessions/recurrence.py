"""Calendar rules for sessions, in local time with zoneinfo: no SDK, no database.

Wall-clock times are what people agree on ("Friday at 14:00 UK time"), so every rule works on
local dates and times and converts to UTC last: a 14:00 session stays 14:00 across clock changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

QUARTER_WEEKS = 13
_OFFSET = re.compile(r"^(\d{1,3})([dhm])$")


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped on that day (clocks go forward)."""


@dataclass(frozen=True)
class ReminderOffset:
    """How long before the start a reminder goes: whole days keep the wall-clock time."""

    name: str  # "7d", "1d", "1h": stable, used in outbox keys
    amount: int
    unit: str  # "d", "h" or "m"

    @classmethod
    def parse(cls, text: str) -> "ReminderOffset":
        match = _OFFSET.match(str(text).strip())
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"reminder offset {text!r}: use a number and d, h or m, such as 7d or 1h")
        return cls(match.group(0), int(match.group(1)), match.group(2))

    @property
    def lead(self) -> timedelta:
        return {"d": timedelta(days=self.amount), "h": timedelta(hours=self.amount),
                "m": timedelta(minutes=self.amount)}[self.unit]


def to_utc(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a local date and time; refuses a time the clocks skip."""
    tz = ZoneInfo(zone)
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(timezone.utc)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day} {at} does not exist in {zone}")
    return instant


def in_zone(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def reminder_instant(start: datetime, zone: str, offset: ReminderOffset) -> datetime:
    """When a reminder goes: days before at the same local time, hours and minutes exactly before."""
    if offset.unit != "d":
        return start - offset.lead
    # An ambiguous local time (clocks going back) resolves to its first occurrence (fold=0).
    local = in_zone(start, zone)
    earlier = local.date() - timedelta(days=offset.amount)
    try:
        return to_utc(earlier, local.time().replace(tzinfo=None), zone)
    except NonexistentLocalTime:
        return start - offset.lead


def reminder_window(start: datetime, due: datetime) -> datetime:
    """Until when a reminder is still useful: a quarter of its lead time (at least an hour), and
    never after the start (a 7-day reminder six days late, or any reminder after the start, is noise)."""
    lead = start - due
    return min(start, due + max(lead / 4, timedelta(hours=1)))


def propose_next(last_start: datetime, last_end: datetime, zone: str,
                 weeks: int = QUARTER_WEEKS) -> tuple[datetime, datetime]:
    """The next session of a quarterly series: same weekday and local times, `weeks` later."""
    start_local, end_local = in_zone(last_start, zone), in_zone(last_end, zone)
    day = start_local.date() + timedelta(weeks=weeks)
    end_day = end_local.date() + timedelta(weeks=weeks)
    return (_nearest_existing(day, start_local.time().replace(tzinfo=None), zone),
            _nearest_existing(end_day, end_local.time().replace(tzinfo=None), zone))


def _nearest_existing(day: date, at: time, zone: str) -> datetime:
    try:
        return to_utc(day, at, zone)
    except NonexistentLocalTime:
        return to_utc(day, (datetime.combine(day, at) + timedelta(hours=1)).time(), zone)


def quarter_of(instant: datetime, zone: str) -> tuple[int, int]:
    local = in_zone(instant, zone)
    return local.year, (local.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter in `zone`, as UTC instants."""
    start = date(year, 3 * (quarter - 1) + 1, 1)
    nxt = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return to_utc(start, time(0), zone), to_utc(nxt, time(0), zone)


def next_quarter(instant: datetime, zone: str) -> tuple[int, int]:
    year, quarter = quarter_of(instant, zone)
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def planning_due(now: datetime, zone: str, lead: timedelta) -> tuple[int, int] | None:
    """The next quarter, when it begins within `lead` of now (time to plan its session)."""
    year, quarter = next_quarter(now, zone)
    begins, _ = quarter_bounds(year, quarter, zone)
    return (year, quarter) if begins - now <= lead else None
