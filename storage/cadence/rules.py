"""Due dates, reminder days and escalation days of supervision: plain rules, no database, no SDK.

- Next due = the last confirmed record of a type + that type's cadence; with no record, the start
  date in role (else the day the supervisor link started) + the cadence.
- In the first months in role (`first_months`) a type may have a shorter cadence (`first_every`,
  peer supervision every two weeks by default): it applies when the date counted from (the last
  record, or the start) falls in those months.
- Months are calendar months (dateutil's relativedelta): 31 January + 1 month = 28 February, or
  29 in a leap year; each due date counts from a real record, so month ends never drift.
- A pause (leave, sickness absence) pushes the due date by the paused days after the date counted
  from, including pauses the push itself runs into; a pause still going with no end means the due
  date is not known until the person is back, and while anyone is paused nobody is reminded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from storage.absences import Pause

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Cadence:
    """How often one type of supervision is due, and who hears about it."""

    type: str
    every: relativedelta
    first_every: relativedelta | None = None  # in the first `first_months` in role
    first_months: int = 0
    supervisor: str | None = None  # the link kind (line_manager, peer_supervisor) reminded with the worker
    escalate_to: str | None = None  # "peer_lead" or "line_manager": who hears first when it is overdue


@dataclass(frozen=True)
class Thresholds:
    remind_days_before: tuple[int, ...] = (7, 0)
    first_escalation_days: int = 14
    second_escalation_days: int = 30


class State(StrEnum):
    IN_DATE = "in_date"  # due later than the soon window
    DUE_SOON = "due_soon"  # due within the reminder window, or today
    OVERDUE = "overdue"
    PAUSED = "paused"  # away today, or the due date waits for their return
    UNKNOWN = "unknown"  # no record, no start date, no link start: nothing to count from


def merged(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted by start, overlapping or touching ones joined."""
    out: list[Pause] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end < pause.start:
            continue
        last = out[-1] if out else None
        if last is not None and (last.end is None or pause.start <= last.end + ONE_DAY):
            end = None if last.end is None or pause.end is None else max(last.end, pause.end)
            out[-1] = Pause(last.start, end)
        else:
            out.append(pause)
    return out


@functools.lru_cache(maxsize=64)
def _months(count: int) -> relativedelta:
    # Building a relativedelta costs more than adding one; the job adds the same few many times.
    return relativedelta(months=count)


@functools.lru_cache(maxsize=8192)
def _shifted(base: date, by: relativedelta) -> date:
    # relativedelta's addition is the job's costliest step, and an organisation's records fall on
    # a few hundred distinct days: each (day, cadence) is worked out once.
    return base + by


def interval(cadence: Cadence, base: date, start_date: date | None) -> relativedelta:
    """The cadence that applies to a due date counted from `base`."""
    if cadence.first_every is not None and start_date is not None and \
            base < _shifted(start_date, _months(cadence.first_months)):
        return cadence.first_every
    return cadence.every


def next_due(cadence: Cadence, *, last_held: date | None, start_date: date | None,
             pauses: Sequence[Pause] = ()) -> date | None:
    """The date this type of supervision is next due, or None when it cannot be known yet
    (nothing to count from, or away with no return date before it falls due)."""
    base = last_held if last_held is not None else start_date
    if base is None:
        return None
    due = _shifted(base, interval(cadence, base, start_date))
    for pause in merged(pauses) if pauses else ():
        if pause.end is not None and pause.end <= base:
            continue
        if pause.start > due:
            break
        if pause.end is None:
            return None
        due += timedelta(days=(pause.end - max(pause.start, base + ONE_DAY)).days + 1)
    return due


def paused_on(pauses: Iterable[Pause], day: date) -> bool:
    return any(p.start <= day and (p.end is None or day <= p.end) for p in pauses)


def state(due: date | None, today: date, pauses: Sequence[Pause], thresholds: Thresholds) -> State:
    """Where one worker stands with one type of supervision today."""
    if pauses and paused_on(pauses, today) or (due is None and pauses and any(p.end is None for p in pauses)):
        return State.PAUSED
    if due is None:
        return State.UNKNOWN
    if due < today:
        return State.OVERDUE
    return State.DUE_SOON if due - today <= timedelta(days=max(thresholds.remind_days_before)) else State.IN_DATE


def in_date(current: State) -> bool:
    """Whether a state counts as in date for compliance (away counts as in date: nobody is
    overdue for supervision while on leave or off sick)."""
    return current in (State.IN_DATE, State.DUE_SOON, State.PAUSED)


@dataclass(frozen=True)
class Event:
    """A message a due date brings: a reminder (`before` days ahead, 0 = the day itself) or an
    escalation (level 1 or 2), on `day`, useful until `until` (a day, in the recipient's zone)."""

    kind: str  # "remind" or "escalate"
    level: int  # days before, for reminders; 1 or 2, for escalations
    day: date
    until: date


def span(due: date, thresholds: Thresholds) -> tuple[date, date]:
    """The first and last day any message of this due date can be sent on."""
    return due - timedelta(days=max(thresholds.remind_days_before)), \
        due + timedelta(days=thresholds.second_escalation_days + 7)


@functools.lru_cache(maxsize=4096)
def events(due: date, thresholds: Thresholds) -> tuple[Event, ...]:
    """Every message one due date brings, in order (the same for every worker due that day)."""
    out = [Event("remind", days, due - timedelta(days=days), due) for days in sorted(thresholds.remind_days_before,
                                                                                      reverse=True)]
    first = due + timedelta(days=thresholds.first_escalation_days)
    second = due + timedelta(days=thresholds.second_escalation_days)
    out.append(Event("escalate", 1, first, second - ONE_DAY))
    out.append(Event("escalate", 2, second, second + timedelta(days=7)))
    return tuple(out)


@dataclass(frozen=True)
class Rules:
    """The whole of content/cadence/cadence.yaml, validated (dialogs/cadence/config.py reads it)."""

    cadences: dict[str, Cadence]  # the enabled types only, in the settings file's order
    thresholds: Thresholds
    remind_at: time  # local time reminders, escalations and digests arrive at
    digest_weekday: int  # Monday = 0
    escalation_contact: str | None  # AAD object id or e-mail of the named contact (second escalation)
    horizon: timedelta = timedelta(hours=26)  # how far ahead the hourly job queues
