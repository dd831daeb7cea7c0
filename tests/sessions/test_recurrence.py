"""Calendar rules without the SDK: clock changes, other zones, quarterly proposals."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from storage.sessions.recurrence import (
    NonexistentLocalTime, ReminderOffset, in_zone, planning_due, propose_next, quarter_bounds,
    reminder_instant, reminder_window, to_utc,
)

LONDON = "Europe/London"
UTC = timezone.utc
D7, D1, H1 = (ReminderOffset.parse(x) for x in ("7d", "1d", "1h"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_late_march_session_after_clocks_go_forward():
    # Clocks go forward on Sunday 28 March 2027: the session is in BST, a week earlier was GMT.
    start = to_utc(date(2027, 4, 2), time(14), LONDON)
    assert start == utc(2027, 4, 2, 13)
    assert reminder_instant(start, LONDON, D7) == utc(2027, 3, 26, 14)  # 14:00 GMT
    assert in_zone(reminder_instant(start, LONDON, D7), LONDON).hour == 14
    assert reminder_instant(start, LONDON, D1) == utc(2027, 4, 1, 13)
    assert reminder_instant(start, LONDON, H1) == utc(2027, 4, 2, 12)


def test_late_october_session_after_clocks_go_back():
    # Clocks go back on Sunday 25 October 2026.
    start = to_utc(date(2026, 10, 30), time(14), LONDON)
    assert start == utc(2026, 10, 30, 14)
    assert reminder_instant(start, LONDON, D7) == utc(2026, 10, 23, 13)  # 14:00 BST
    assert reminder_instant(start, LONDON, D1) == utc(2026, 10, 29, 14)
    assert reminder_instant(start, LONDON, H1) == utc(2026, 10, 30, 13)


def test_viewer_in_another_zone_sees_their_local_time():
    start = to_utc(date(2026, 10, 30), time(14), LONDON)
    # New York has not changed its clocks yet (1 November): five hours behind, not four.
    assert in_zone(start, "America/New_York").strftime("%H:%M") == "10:00"
    assert in_zone(start, "Asia/Kolkata").strftime("%H:%M") == "19:30"


def test_a_skipped_local_time_is_refused():
    with pytest.raises(NonexistentLocalTime):
        to_utc(date(2027, 3, 28), time(1, 30), LONDON)


def test_next_session_proposed_same_weekday_and_local_time_thirteen_weeks_on():
    start, end = to_utc(date(2027, 3, 5), time(14), LONDON), to_utc(date(2027, 3, 5), time(16), LONDON)
    nstart, nend = propose_next(start, end, LONDON)
    assert in_zone(nstart, LONDON).strftime("%A %Y-%m-%d %H:%M") == "Friday 2027-06-04 14:00"
    assert in_zone(nend, LONDON).strftime("%H:%M") == "16:00"
    assert nstart == utc(2027, 6, 4, 13)  # BST by then


def test_reminder_window_never_passes_the_start():
    start = utc(2026, 12, 11, 14)
    assert reminder_window(start, start - timedelta(hours=1)) == start
    assert reminder_window(start, start - timedelta(days=1)) == start - timedelta(hours=18)
    assert reminder_window(start, start - timedelta(minutes=10)) == start
    assert reminder_window(start, start - timedelta(days=8)) == start - timedelta(days=6)


def test_offsets_parse_and_reject_nonsense():
    assert (D7.name, D7.lead) == ("7d", timedelta(days=7))
    assert ReminderOffset.parse("30m").lead == timedelta(minutes=30)
    for bad in ("", "0d", "7w", "-1d", "d"):
        with pytest.raises(ValueError):
            ReminderOffset.parse(bad)


def test_planning_is_due_within_the_lead_of_the_next_quarter():
    lead = timedelta(weeks=8)
    assert planning_due(utc(2027, 2, 10), LONDON, lead) == (2027, 2)
    assert planning_due(utc(2027, 1, 10), LONDON, lead) is None
    assert planning_due(utc(2026, 12, 1), LONDON, lead) == (2027, 1)
    begins, ends = quarter_bounds(2027, 2, LONDON)
    assert (begins, ends) == (utc(2027, 3, 31, 23), utc(2027, 6, 30, 23))
