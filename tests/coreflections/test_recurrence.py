"""Recurrence rules of co-reflection groups (no database): "first Tuesday" across months and both
clock changes, the other patterns, the rule read back, and the calendar feed parsed back with
icalendar (RRULE, EXDATE for a cancelled meeting, RECURRENCE-ID for a moved one)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import given, settings, strategies as st
from icalendar import Calendar

from dialogs.coreflections.calendar import build_feed
from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence, OccurrenceStatus
from storage.coreflections.recurrence import NTHS, WEEKDAYS, Pattern, first_start, index_of, instants

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
FIRST_TUESDAY = Pattern("monthly", "TU", 1).rule()


def test_first_tuesday_is_stored_as_an_rfc5545_rule_and_read_back():
    assert FIRST_TUESDAY == "FREQ=MONTHLY;BYDAY=+1TU"
    assert Pattern.of(FIRST_TUESDAY) == Pattern("monthly", "TU", 1)
    assert Pattern("weekly", "FR").rule() == "FREQ=WEEKLY;BYDAY=FR"
    assert Pattern("fortnightly", "WE").rule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert Pattern("monthly", "MO", -1).rule() == "FREQ=MONTHLY;BYDAY=-1MO"


def test_first_tuesday_across_a_year_keeps_ten_oclock_london_through_both_clock_changes():
    start = first_start(FIRST_TUESDAY, date(2026, 1, 1), time(10))
    assert start == datetime(2026, 1, 6, 10, 0)
    got = list(instants(FIRST_TUESDAY, start.date(), time(10), "Europe/London",
                        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    days = [i.astimezone(LONDON).date() for _, i in got]
    assert days == [date(2026, m, d) for m, d in ((1, 6), (2, 3), (3, 3), (4, 7), (5, 5), (6, 2), (7, 7),
                                                   (8, 4), (9, 1), (10, 6), (11, 3), (12, 1))]
    assert all(i.astimezone(LONDON).time() == time(10) for _, i in got)
    # In UTC the hour moves: 10:00 in winter (GMT), 09:00 in summer (BST).
    assert got[2][1].hour == 10 and got[3][1].hour == 9 and got[9][1].hour == 9 and got[10][1].hour == 10
    assert [index for index, _ in got] == list(range(12))


def test_a_start_in_the_skipped_hour_is_held_an_hour_later_and_the_repeated_hour_is_the_first():
    # Last Sunday of March 2027 is the spring change (01:00 -> 02:00 in London).
    rule = Pattern("monthly", "SU", -1).rule()
    march = list(instants(rule, date(2027, 3, 28), time(1, 30), "Europe/London",
                          datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)))
    assert march[0][1].astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 28, 2, 30)
    # Last Sunday of October 2027: 01:30 happens twice; the first (BST, 00:30 UTC) is used.
    october = list(instants(rule, date(2027, 3, 28), time(1, 30), "Europe/London",
                            datetime(2027, 10, 1, tzinfo=UTC), datetime(2027, 11, 1, tzinfo=UTC)))
    assert october[0][1] == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_fortnightly_and_index_of_for_the_rota():
    rule = Pattern("fortnightly", "WE").rule()
    got = list(instants(rule, date(2026, 12, 2), time(14), "Europe/London",
                        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 15, tzinfo=UTC)))
    assert [i.date() for _, i in got] == [date(2026, 12, 2), date(2026, 12, 16), date(2026, 12, 30), date(2027, 1, 13)]
    assert index_of(rule, date(2026, 12, 2), time(14), "Europe/London", got[3][1]) == 3
    assert index_of(rule, date(2026, 12, 2), time(14), "Europe/London", got[3][1] + timedelta(days=7)) is None


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.sampled_from(WEEKDAYS), st.sampled_from(NTHS), st.dates(date(2026, 1, 1), date(2030, 12, 31)),
       st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"]))
def test_monthly_instants_agree_with_dateutil_and_keep_the_local_time(day, nth, begin, zone):
    rule = Pattern("monthly", day, nth).rule()
    first = first_start(rule, begin, time(10))
    window_end = datetime.combine(begin, time(0), tzinfo=UTC) + timedelta(days=200)
    got = list(instants(rule, first.date(), time(10), zone, datetime.combine(begin, time(0), tzinfo=UTC) - timedelta(days=1),
                        window_end))
    expected = [d for d in rrulestr(rule, dtstart=first).between(first, window_end.replace(tzinfo=None) + timedelta(days=1),
                                                                 inc=True)]
    local = [i.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for _, i in got]
    assert local == [d for d in expected if datetime.combine(d.date(), d.time(), tzinfo=ZoneInfo(zone)) < window_end]
    assert all(d.weekday() == WEEKDAYS.index(day) for d in local)


def _group() -> CoReflectionGroup:
    return CoReflectionGroup(id="g1", name="North ward co-reflection", joining_url="https://teams.example/join",
                             rrule=FIRST_TUESDAY, starts_on=date(2026, 12, 1), start_time="10:00", minutes=60,
                             time_zone="Europe/London", active=True)


def test_the_feed_parses_back_with_the_rule_a_cancelled_exdate_and_a_moved_recurrence_id():
    january = datetime(2027, 1, 5, 10, tzinfo=UTC)
    march = datetime(2027, 3, 2, 10, tzinfo=UTC)
    moved_to = datetime(2027, 3, 9, 14, tzinfo=UTC)
    changed = [
        CoReflectionOccurrence(id="o1", group_id="g1", original_start=january, starts_at=january,
                               ends_at=january + timedelta(hours=1), status=OccurrenceStatus.CANCELLED, version=1),
        CoReflectionOccurrence(id="o2", group_id="g1", original_start=march, starts_at=moved_to,
                               ends_at=moved_to + timedelta(hours=1), status=OccurrenceStatus.MOVED, version=1),
    ]
    body = build_feed(_group(), changed, now=datetime(2026, 11, 23, tzinfo=UTC), description="Joining link")
    cal = Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")]
    master = next(e for e in events if "RRULE" in e)
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=+1TU"
    assert master.decoded("DTSTART") == datetime(2026, 12, 1, 10, tzinfo=LONDON)
    assert str(master["DTSTART"].params["TZID"]) == "Europe/London"
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [datetime(2027, 1, 5, 10, tzinfo=LONDON)]
    override = next(e for e in events if "RECURRENCE-ID" in e)
    assert override["UID"] == master["UID"]
    assert override.decoded("RECURRENCE-ID") == datetime(2027, 3, 2, 10, tzinfo=LONDON)
    assert override.decoded("DTSTART") == datetime(2027, 3, 9, 14, tzinfo=LONDON)
    assert override["SEQUENCE"] == 1
    assert [c["TZID"] for c in cal.walk("VTIMEZONE")] == ["Europe/London"]
    # Expanding the series as a calendar would: January gone, March moved, February untouched.
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master.decoded("DTSTART"))
    starts = [d for d in rule.between(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC), inc=True)
              if d not in exdates]
    assert [d.date() for d in starts] == [date(2026, 12, 1), date(2027, 2, 2), date(2027, 3, 2)]
