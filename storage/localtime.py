"""Local calendar days and wall-clock times in a person's zone, shared by the features that
schedule by them (check-ins, tripartite reminders) without making one depend on the other."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1024)
def zone_info(name: str) -> ZoneInfo:
    """ZoneInfo keeps only 8 zones strongly: with more in use, each call re-read the zone's file
    (most of a 10,000-person pass; bench/checkins.py)."""
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of `at` on `day` in `zone` (see storage/checkins/schedule.py on clock changes).

    zoneinfo resolves a skipped time with the offset before the change and a repeated one with
    fold=0, which are exactly the rules there, so no special case is needed. Remembered: a tick
    asks for the same few days, times and zones for thousands of people.
    """
    return datetime.combine(day, at, tzinfo=zone_info(zone)).astimezone(timezone.utc)


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(zone_info(zone)).date()
