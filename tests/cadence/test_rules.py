"""Due-date arithmetic without a database: month ends, leap years, the first three months, pauses,
reminder and escalation days, local times across both clock changes, and the settings file."""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings, strategies as st

from dialogs.cadence.config import CadenceConfig
from dialogs.shared.content import ContentError
from storage.cadence.rules import Cadence, Pause, State, Thresholds, events, next_due, state
from storage.checkins.schedule import local_instant
from tests.shared.test_cards_render import content

PEER = Cadence("peer_supervision", relativedelta(months=1), relativedelta(weeks=2), 3, "peer_supervisor", "peer_lead")
MONTHLY = Cadence("management_supervision", relativedelta(months=1), supervisor="line_manager",
                  escalate_to="line_manager")
TH = Thresholds()


@pytest.mark.parametrize(("last", "due"), [
    (date(2026, 1, 31), date(2026, 2, 28)),  # month end, ordinary year
    (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
    (date(2028, 2, 29), date(2028, 3, 29)),  # from a leap day
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2026, 12, 15), date(2027, 1, 15)),  # over the year end
])
def test_next_due_is_the_last_record_plus_a_calendar_month(last, due):
    assert next_due(MONTHLY, last_held=last, start_date=date(2020, 1, 1)) == due


def test_without_a_record_the_first_due_date_counts_from_the_start_in_role():
    assert next_due(MONTHLY, last_held=None, start_date=date(2026, 5, 31)) == date(2026, 6, 30)
    assert next_due(MONTHLY, last_held=None, start_date=None) is None


def test_peer_supervision_is_every_two_weeks_in_the_first_three_months():
    start = date(2026, 1, 10)
    assert next_due(PEER, last_held=None, start_date=start) == date(2026, 1, 24)
    assert next_due(PEER, last_held=date(2026, 4, 9), start_date=start) == date(2026, 4, 23)  # last day of the three
    assert next_due(PEER, last_held=date(2026, 4, 10), start_date=start) == date(2026, 5, 10)  # monthly from then on
    # Management supervision has no first-months rule.
    assert next_due(MONTHLY, last_held=None, start_date=start) == date(2026, 2, 10)


def test_a_pause_pushes_the_due_date_by_the_paused_days():
    last = date(2026, 1, 10)  # due 10 February without a pause
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=[Pause(date(2026, 1, 20), date(2026, 1, 29))]) \
        == date(2026, 2, 20)
    # The push runs into a second absence, which pushes again.
    two = [Pause(date(2026, 1, 20), date(2026, 1, 29)), Pause(date(2026, 2, 15), date(2026, 2, 24))]
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=two) == date(2026, 3, 2)
    # Before the last record, or starting after the due date: no effect.
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=[Pause(date(2026, 1, 1), date(2026, 1, 10))]) \
        == date(2026, 2, 10)
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=[Pause(date(2026, 2, 11), date(2026, 3, 1))]) \
        == date(2026, 2, 10)
    # Straddling the last record: only the days after it count (11-14 January: 4 days).
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=[Pause(date(2026, 1, 5), date(2026, 1, 14))]) \
        == date(2026, 2, 14)
    # Overlapping absences are counted once.
    overlapping = [Pause(date(2026, 1, 20), date(2026, 1, 29)), Pause(date(2026, 1, 25), date(2026, 1, 31))]
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=overlapping) == date(2026, 2, 22)
    # Still away with no return date: not known until they are back.
    assert next_due(MONTHLY, last_held=last, start_date=None, pauses=[Pause(date(2026, 2, 1), None)]) is None


def test_states_and_who_is_paused():
    due = date(2026, 3, 10)
    assert state(due, date(2026, 3, 1), [], TH) == State.IN_DATE
    assert state(due, date(2026, 3, 3), [], TH) == State.DUE_SOON
    assert state(due, date(2026, 3, 10), [], TH) == State.DUE_SOON
    assert state(due, date(2026, 3, 11), [], TH) == State.OVERDUE
    assert state(due, date(2026, 3, 11), [Pause(date(2026, 3, 11), date(2026, 3, 20))], TH) == State.PAUSED
    assert state(None, date(2026, 3, 11), [Pause(date(2026, 3, 1), None)], TH) == State.PAUSED
    assert state(None, date(2026, 3, 11), [], TH) == State.UNKNOWN


def test_reminders_a_week_before_and_on_the_day_and_escalation_after_14_and_30_days():
    due = date(2026, 2, 28)
    found = [(e.kind, e.level, e.day, e.until) for e in events(due, TH)]
    assert found == [
        ("remind", 7, date(2026, 2, 21), due),
        ("remind", 0, due, due),
        ("escalate", 1, date(2026, 3, 14), date(2026, 3, 29)),
        ("escalate", 2, date(2026, 3, 30), date(2026, 4, 6)),
    ]


@pytest.mark.parametrize(("day", "utc_hour"), [
    (date(2026, 3, 28), 9), (date(2026, 3, 29), 8),  # clocks go forward at 01:00 UTC on 29 March
    (date(2026, 10, 24), 8), (date(2026, 10, 25), 9),  # and back on 25 October
])
def test_nine_in_the_morning_stays_nine_in_london_across_both_clock_changes(day, utc_hour):
    at = local_instant(day, time(9), "Europe/London")
    assert at == datetime(day.year, day.month, day.day, utc_hour, tzinfo=timezone.utc)


dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
pause_lists = st.lists(st.tuples(dates, st.integers(0, 60)).map(lambda p: Pause(p[0], p[0] + timedelta(days=p[1]))),
                       max_size=4)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(start=dates, offset=st.integers(0, 400), later=st.integers(0, 120), pauses=pause_lists,
       cadence=st.sampled_from([PEER, MONTHLY]))
def test_due_date_is_after_the_last_record_and_moves_with_it(start, offset, later, pauses, cadence):
    last = start + timedelta(days=offset)
    due = next_due(cadence, last_held=last, start_date=start, pauses=pauses)
    assert due is not None and due > last
    # Never sooner than the cadence, never later than it plus every paused day.
    assert last + timedelta(days=14) <= due
    paused = sum((p.end - p.start).days + 1 for p in pauses if p.end is not None)
    assert due <= last + relativedelta(months=1) + timedelta(days=paused)
    # Monotone: a later record never brings the next due date forward.
    after = next_due(cadence, last_held=last + timedelta(days=later), start_date=start, pauses=pauses)
    assert after is not None and after >= due
    # Pauses only ever push it later.
    assert due >= next_due(cadence, last_held=last, start_date=start)


def _config(**changes) -> CadenceConfig:
    base = content()
    changed = copy.copy(base)
    raw = copy.deepcopy(base.data["cadence"])
    for key, value in changes.items():
        target = raw
        *path, last = key.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    changed.data = {**base.data, "cadence": raw}
    return CadenceConfig.from_content(changed)


def test_the_shipped_settings_give_the_defaults():
    rules = _config().rules
    assert list(rules.cadences) == ["peer_supervision", "management_supervision", "co_reflection"]
    assert rules.cadences["peer_supervision"].first_every == relativedelta(weeks=2)
    assert rules.thresholds == Thresholds((7, 0), 14, 30)
    assert rules.remind_at == time(9) and rules.digest_weekday == 0 and rules.escalation_contact is None


@pytest.mark.parametrize(("change", "message"), [
    ({"types__peer_supervision__every": {"fortnights": 1}}, "types.peer_supervision.every must be one of"),
    ({"types__co_reflection__every": {"months": 0}}, "types.co_reflection.every must be a whole number of months"),
    ({"types__co_reflection__enabled": "yes"}, "types.co_reflection.enabled must be true or false"),
    ({"types__management_supervision__supervisor": "boss"}, "supervisor must be one of"),
    ({"types__management_supervision__escalate_to": "ceo"}, "escalate_to must be one of"),
    ({"remind_days_before": [7, -1]}, "remind_days_before must be a list"),
    ({"second_escalation_days": 10}, "second_escalation_days must be a whole number from 15"),
    ({"remind_at": "9am"}, "remind_at must be a time"),
    ({"digest_weekday": "monday"}, "digest_weekday must be one of"),
    ({"escalation_contact": 12}, "escalation_contact must be"),
])
def test_a_broken_settings_file_is_refused_with_the_key_named(change, message):
    with pytest.raises(ContentError, match=message) as caught:
        _config(**change)
    assert "cadence.yaml" in str(caught.value)
