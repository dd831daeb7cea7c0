"""Tripartite rules without the SDK or the database: when reviews fall due, what an extension
moves, and how three people sign a task off.

Dates are local calendar dates (a review is due on a day, not at an instant); month arithmetic is
dateutil's relativedelta, which keeps the day of the month and clamps at month ends (31 August plus
six months is the last day of February, 29th in a leap year).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class TaskKind(StrEnum):
    PROBATION_REVIEW = "probation_review"
    PROBATION_FINAL = "probation_final"
    RETURN_TO_WORK = "return_to_work"
    APPRAISAL = "appraisal"


class TaskStatus(StrEnum):
    """Stored statuses; "overdue" is not stored but read from the date (`status_on`)."""

    OPEN = "open"
    SCHEDULED = "scheduled"  # a meeting time is booked
    DONE = "done"  # all three signed it off


OVERDUE = "overdue"


class Party(StrEnum):
    WORKER = "worker"
    LINE_MANAGER = "line_manager"
    PEER_SUPERVISOR = "peer_supervisor"


class Verdict(StrEnum):
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"


class ProbationOutcome(StrEnum):
    PASSED = "passed"
    EXTENDED = "extended"
    NOT_PASSED = "not_passed"


@dataclass(frozen=True)
class ProbationPlan:
    """A trust's probation: its length, interim reviews (months from the start), and how long before
    the end the final review and the "no final review yet" warning fall. All are settings."""

    length_months: int = 6
    review_months: tuple[int, ...] = (1, 3, 5)
    final_days_before_end: int = 14
    warning_days_before_end: int = 28

    def __post_init__(self) -> None:
        if not 1 <= self.length_months <= 24:
            raise ValueError("probation length: 1 to 24 months")
        if any(not 0 < m < self.length_months for m in self.review_months):
            raise ValueError("interim reviews fall inside the probation")
        if list(self.review_months) != sorted(set(self.review_months)):
            raise ValueError("interim reviews: increasing months, each once")
        if not 0 <= self.final_days_before_end <= 60 or not 0 <= self.warning_days_before_end <= 90:
            raise ValueError("final review or warning too far before the end")


@dataclass(frozen=True)
class PlannedReview:
    key: str  # "month_1", "final": stable, so a re-plan finds the same review
    kind: TaskKind
    due: date


def probation_end(start: date, plan: ProbationPlan) -> date:
    return start + relativedelta(months=plan.length_months)


def probation_reviews(start: date, plan: ProbationPlan, end: date | None = None) -> list[PlannedReview]:
    """The reviews of a probation that started on `start` (and ends on `end`, if extended)."""
    end = end or probation_end(start, plan)
    reviews = [PlannedReview(f"month_{m}", TaskKind.PROBATION_REVIEW, start + relativedelta(months=m))
               for m in plan.review_months]
    reviews.append(PlannedReview("final", TaskKind.PROBATION_FINAL,
                                 max(start, end - timedelta(days=plan.final_days_before_end))))
    return reviews


def warning_day(end: date, plan: ProbationPlan) -> date:
    """When all three are warned that the probation ends with no final review recorded (some trusts
    then treat it as passed)."""
    return end - timedelta(days=plan.warning_days_before_end)


def extended_dues(open_reviews: Mapping[str, date], old_end: date, new_end: date,
                  plan: ProbationPlan) -> dict[str, date]:
    """New due dates of the reviews not yet done when a probation is extended: the final review
    keeps its distance from the new end, the others move by the extension."""
    if new_end <= old_end:
        raise ValueError("an extension ends after the current end")
    shift = new_end - old_end
    return {key: (new_end - timedelta(days=plan.final_days_before_end) if key == "final" else due + shift)
            for key, due in open_reviews.items()}


_YEAR = relativedelta(years=1)


@functools.lru_cache(maxsize=4096)
def _a_year_after(day: date) -> date:
    # relativedelta's addition is the costliest step of planning a whole organisation's
    # appraisals; starts and appraisals fall on a few thousand distinct days at most.
    return day + _YEAR


def next_appraisal(start: date, last_appraisal: date | None) -> date:
    """Yearly, from the last appraisal, or from the start in role when there has been none."""
    return _a_year_after(last_appraisal or start)


def status_on(stored: TaskStatus, due: date, today: date) -> str:
    """What a task shows today: overdue once its day has passed and it is not done."""
    if stored != TaskStatus.DONE and due < today:
        return OVERDUE
    return stored


class NotAParty(PermissionError):
    """Only the worker, the line manager and the peer supervisor of a task may sign it."""


class ReasonNeeded(ValueError):
    """"Not agreed" needs a reason, so the others know what to change."""


@dataclass(frozen=True)
class Parties:
    worker: str
    line_manager: str
    peer_supervisor: str

    def __post_init__(self) -> None:
        if len({self.worker, self.line_manager, self.peer_supervisor}) != 3:
            raise ValueError("a tripartite task needs three different people")

    def party_of(self, person_id: str) -> Party:
        for party in Party:
            if getattr(self, party.value) == person_id:
                return party
        raise NotAParty(person_id)

    def ids(self) -> tuple[str, str, str]:
        return (self.worker, self.line_manager, self.peer_supervisor)


@dataclass(frozen=True)
class SignOff:
    verdict: Verdict
    reason: str = ""


@dataclass(frozen=True)
class SignOffs:
    """Where a task's sign-off stands. Each person signs only as themselves; "not agreed" reopens
    the task, clearing every agreement (the record changes before anyone signs again)."""

    by: Mapping[Party, SignOff] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, str]]) -> "SignOffs":
        """From stored (party, verdict, reason) rows."""
        return cls({Party(p): SignOff(Verdict(v), r or "") for p, v, r in rows})

    @property
    def complete(self) -> bool:
        return all(self.by.get(p, SignOff(Verdict.NOT_AGREED)).verdict == Verdict.AGREED for p in Party)

    @property
    def disputed(self) -> bool:
        return any(s.verdict == Verdict.NOT_AGREED for s in self.by.values())

    def waiting_for(self) -> list[Party]:
        return [p for p in Party if self.by.get(p, SignOff(Verdict.NOT_AGREED)).verdict != Verdict.AGREED]

    def sign(self, parties: Parties, person_id: str, verdict: Verdict, reason: str = "") -> "SignOffs":
        party = parties.party_of(person_id)  # raises NotAParty: nobody signs for another
        reason = reason.strip()
        if verdict == Verdict.NOT_AGREED:
            if not reason:
                raise ReasonNeeded(party)
            kept = {p: s for p, s in self.by.items() if s.verdict == Verdict.NOT_AGREED}
            return SignOffs({**kept, party: SignOff(verdict, reason)})
        by = dict(self.by)
        by[party] = SignOff(Verdict.AGREED)
        return SignOffs(by)
