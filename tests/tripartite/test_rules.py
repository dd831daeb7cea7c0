"""Tripartite rules: probation dates across month ends and leap years, extensions, the warning,
appraisals, overdue, and the three-party sign-off."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from storage.tripartite.rules import (
    OVERDUE, NotAParty, Parties, Party, ProbationPlan, ReasonNeeded, SignOffs, TaskKind, TaskStatus, Verdict,
    extended_dues, next_appraisal, probation_end, probation_reviews, status_on, warning_day,
)

PLAN = ProbationPlan()
THREE = Parties(worker="w", line_manager="m", peer_supervisor="s")


def _dues(start: date, plan: ProbationPlan = PLAN) -> dict[str, date]:
    return {r.key: r.due for r in probation_reviews(start, plan)}


def test_default_reviews_at_one_three_five_months_and_a_final_before_the_end():
    assert _dues(date(2026, 1, 12)) == {"month_1": date(2026, 2, 12), "month_3": date(2026, 4, 12),
                                        "month_5": date(2026, 6, 12), "final": date(2026, 6, 28)}
    assert probation_end(date(2026, 1, 12), PLAN) == date(2026, 7, 12)
    assert warning_day(date(2026, 7, 12), PLAN) == date(2026, 6, 14)  # four weeks before the end


def test_month_ends_clamp_and_leap_years_count():
    assert _dues(date(2027, 1, 31))["month_1"] == date(2027, 2, 28)
    assert _dues(date(2028, 1, 31))["month_1"] == date(2028, 2, 29)
    assert _dues(date(2027, 8, 31))["month_3"] == date(2027, 11, 30)
    assert probation_end(date(2027, 8, 31), PLAN) == date(2028, 2, 29)
    assert probation_end(date(2026, 8, 31), PLAN) == date(2027, 2, 28)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(start=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
       plan=st.builds(ProbationPlan, length_months=st.integers(3, 12),
                      review_months=st.just((1, 2)), final_days_before_end=st.integers(0, 30)))
def test_reviews_are_in_order_and_inside_the_probation(start, plan):
    reviews = probation_reviews(start, plan)
    end = probation_end(start, plan)
    assert [r.kind for r in reviews][-1] == TaskKind.PROBATION_FINAL
    dues = [r.due for r in reviews]
    assert all(start < d for d in dues[:-1]) and dues[-1] <= end
    assert dues[:-1] == sorted(dues[:-1])
    assert 28 * plan.length_months - 3 <= (end - start).days <= 31 * plan.length_months + 1


def test_extension_moves_the_remaining_reviews_and_the_final():
    start = date(2026, 1, 12)
    old_end = probation_end(start, PLAN)
    new_end = date(2026, 10, 12)
    moved = extended_dues({"month_5": date(2026, 6, 12), "final": date(2026, 6, 28)}, old_end, new_end, PLAN)
    assert moved == {"month_5": date(2026, 6, 12) + (new_end - old_end), "final": date(2026, 9, 28)}
    with pytest.raises(ValueError):
        extended_dues({}, old_end, old_end, PLAN)


def test_plans_that_cannot_work_are_refused():
    for bad in (dict(length_months=0), dict(review_months=(1, 6)), dict(review_months=(3, 1)),
                dict(final_days_before_end=90)):
        with pytest.raises(ValueError):
            ProbationPlan(**bad)


def test_appraisal_is_yearly_from_the_start_or_the_last_one():
    assert next_appraisal(date(2024, 2, 29), None) == date(2025, 2, 28)
    assert next_appraisal(date(2024, 2, 29), date(2025, 3, 3)) == date(2026, 3, 3)


def test_overdue_is_read_from_the_date_until_done():
    due = date(2026, 5, 1)
    assert status_on(TaskStatus.OPEN, due, due) == TaskStatus.OPEN
    assert status_on(TaskStatus.SCHEDULED, due, due + timedelta(days=1)) == OVERDUE
    assert status_on(TaskStatus.DONE, due, due + timedelta(days=9)) == TaskStatus.DONE


def test_complete_only_when_all_three_agree_each_as_themselves():
    state = SignOffs()
    for person, left in (("w", [Party.LINE_MANAGER, Party.PEER_SUPERVISOR]), ("m", [Party.PEER_SUPERVISOR])):
        state = state.sign(THREE, person, Verdict.AGREED)
        assert not state.complete and state.waiting_for() == left
    with pytest.raises(NotAParty):
        state.sign(THREE, "someone-else", Verdict.AGREED)
    state = state.sign(THREE, "s", Verdict.AGREED)
    assert state.complete and state.waiting_for() == []


def test_not_agreed_needs_a_reason_and_reopens_keeping_other_objections():
    state = SignOffs().sign(THREE, "w", Verdict.AGREED).sign(THREE, "m", Verdict.AGREED)
    with pytest.raises(ReasonNeeded):
        state.sign(THREE, "s", Verdict.NOT_AGREED, "  ")
    state = state.sign(THREE, "s", Verdict.NOT_AGREED, "dates are wrong")
    assert state.disputed and not state.complete
    assert set(state.by) == {Party.PEER_SUPERVISOR}, "agreements are cleared when the record is disputed"
    state = state.sign(THREE, "w", Verdict.NOT_AGREED, "me too")
    assert set(state.by) == {Party.PEER_SUPERVISOR, Party.WORKER}
    for person in ("w", "m", "s"):
        state = state.sign(THREE, person, Verdict.AGREED)
    assert state.complete and not state.disputed


def test_three_different_people_are_needed():
    with pytest.raises(ValueError):
        Parties(worker="w", line_manager="m", peer_supervisor="m")
    assert SignOffs.of([("worker", "agreed", None)]).waiting_for() == [Party.LINE_MANAGER, Party.PEER_SUPERVISOR]
