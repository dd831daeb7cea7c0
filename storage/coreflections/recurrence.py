"""When a co-reflection group meets: an RFC 5545 RRULE (python-dateutil) from a local first start.

Rules work in the group's wall-clock time ("first Tuesday of each month, 10:00 London") and
become UTC instants last, through storage.sessions.recurrence.to_utc, so 10:00 stays 10:00 across
clock changes. A start inside the hour the clocks skip is held an hour later; a repeated hour
(clocks going back) is its first occurrence. Reading a stored rule back uses icalendar's vRecur.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import MONTHLY, WEEKLY, rrule, rrulestr, weekday
from icalendar import vRecur

from storage.sessions.recurrence import NonexistentLocalTime, in_zone, to_utc

FREQUENCIES = ("monthly", "weekly", "fortnightly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NTHS = (1, 2, 3, 4, -1)  # -1: the last one of the month
MAX_SCAN = 400  # instances looked through at most (33 years of a monthly rule)


@dataclass(frozen=True)
class Pattern:
    """What the lead chose on the card."""

    frequency: str  # one of FREQUENCIES
    weekday: str  # one of WEEKDAYS
    nth: int | None = None  # monthly only: one of NTHS

    def rule(self) -> str:
        """The RRULE value (without DTSTART, which the group keeps as its first start)."""
        day = weekday(WEEKDAYS.index(self.weekday))
        if self.frequency == "monthly":
            made = rrule(MONTHLY, byweekday=day(self.nth or 1), dtstart=datetime(2000, 1, 1))
        else:
            made = rrule(WEEKLY, interval=2 if self.frequency == "fortnightly" else 1, byweekday=day,
                         dtstart=datetime(2000, 1, 1))
        return next(line for line in str(made).splitlines() if line.startswith("RRULE:"))[len("RRULE:"):]

    @classmethod
    def of(cls, rule_value: str) -> "Pattern":
        """The pattern of a rule this module made (read with icalendar, not by hand)."""
        parts = vRecur.from_ical(rule_value)
        freq, interval = parts["FREQ"][0], int(parts.get("INTERVAL", [1])[0])
        byday = str(parts["BYDAY"][0])
        day, nth = byday[-2:], byday[:-2]
        if freq == "MONTHLY":
            return cls("monthly", day, int(nth or 1))
        return cls("fortnightly" if interval == 2 else "weekly", day)


def series(rule_value: str, starts_on: date, at: time) -> rrule:
    """The rule's local, naive start times from the first meeting on."""
    made = rrulestr(rule_value, dtstart=datetime.combine(starts_on, at))
    assert isinstance(made, rrule)  # one RRULE, no RDATE/EXDATE: rrulestr gives a plain rrule
    return made


def first_start(rule_value: str, on_or_after: date, at: time) -> datetime:
    """The first local start of the rule on or after a date (the group's DTSTART)."""
    return series(rule_value, on_or_after, at)[0]


def local_to_utc(local: datetime, zone: str) -> datetime:
    """A naive local start as a UTC instant; a skipped time is held an hour later."""
    try:
        return to_utc(local.date(), local.time(), zone)
    except NonexistentLocalTime:
        later = local + timedelta(hours=1)
        return to_utc(later.date(), later.time(), zone)


def instants(rule_value: str, starts_on: date, at: time, zone: str,
             begin: datetime, end: datetime) -> Iterator[tuple[int, datetime]]:
    """(index in the series, UTC start) of every rule instant in [begin, end); the index turns the rota."""
    rule = series(rule_value, starts_on, at)
    until = in_zone(end, zone).replace(tzinfo=None) + timedelta(days=1)
    for index, local in enumerate(rule):
        if index >= MAX_SCAN or local > until:
            return
        instant = local_to_utc(local, zone)
        if begin <= instant < end:
            yield index, instant


def index_of(rule_value: str, starts_on: date, at: time, zone: str, original_start: datetime) -> int | None:
    """Which instance of the series starts at `original_start` (None if none does)."""
    for index, instant in instants(rule_value, starts_on, at, zone, original_start,
                                   original_start + timedelta(seconds=1)):
        return index
    return None
