"""When prompts are due: per-weekday local times, both clock changes, zones, pause, skip,
changes applying from the next prompt, and the expiry window (no rules here touch a database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given, settings, strategies as st

from storage.checkins.schedule import PROMPT, WEEKLY, PlanView, Rules, due_between, local_instant, parse_time

UTC = timezone.utc
RULES = Rules(window=timedelta(hours=3), horizon=timedelta(hours=26), weekly_at=time(18, 0),
              weekly_window=timedelta(hours=12))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def plan(times: dict[str, str], zone: str = "Europe/London", **kw) -> PlanView:
    values = dict(user_id="u1", time_zone=zone, times=times, paused_until=None, skipped_on=None, weekly_day=None,
                  changed_at=LONG_AGO, version=1)
    values.update(kw)
    return PlanView(**values)


def prompts(p: PlanView, now: datetime, what: str = PROMPT) -> dict[date, datetime]:
    return {d.day: d.due_at for d in due_between(p, now, RULES) if d.what == what}


def hourly(p: PlanView, start: datetime, days: int = 6) -> dict[date, datetime]:
    """Every prompt an hourly job would queue from `start` on, as the scheduler runs it."""
    found: dict[date, datetime] = {}
    for hour in range(days * 24):
        found.update(prompts(p, start + timedelta(hours=hour)))
    return found


def test_a_local_time_keeps_its_wall_clock_across_the_spring_change() -> None:
    # Clocks go forward in the UK at 01:00 UTC on Sunday 29 March 2026.
    every_day = plan({d: "17:30" for d in ("fri", "sat", "sun", "mon")})
    assert prompts(every_day, datetime(2026, 3, 28, 9, tzinfo=UTC))[date(2026, 3, 28)] == \
        datetime(2026, 3, 28, 17, 30, tzinfo=UTC)
    assert prompts(every_day, datetime(2026, 3, 29, 9, tzinfo=UTC))[date(2026, 3, 29)] == \
        datetime(2026, 3, 29, 16, 30, tzinfo=UTC)


def test_a_local_time_keeps_its_wall_clock_across_the_autumn_change() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026.
    every_day = plan({d: "17:30" for d in ("sat", "sun")})
    assert prompts(every_day, datetime(2026, 10, 24, 9, tzinfo=UTC))[date(2026, 10, 24)] == \
        datetime(2026, 10, 24, 16, 30, tzinfo=UTC)
    assert prompts(every_day, datetime(2026, 10, 25, 9, tzinfo=UTC))[date(2026, 10, 25)] == \
        datetime(2026, 10, 25, 17, 30, tzinfo=UTC)


def test_night_shift_times_inside_the_changing_hour() -> None:
    # 01:30 does not exist on 29 March: asked at 02:30 BST (01:30 UTC). On 25 October 01:30
    # happens twice: asked the first time (BST, 00:30 UTC).
    assert local_instant(date(2026, 3, 29), time(1, 30), "Europe/London") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local_instant(date(2026, 10, 25), time(1, 30), "Europe/London") == \
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    nights = plan({"sun": "01:30"})
    assert prompts(nights, datetime(2026, 3, 28, 23, tzinfo=UTC)) == {date(2026, 3, 29): datetime(2026, 3, 29, 1, 30,
                                                                                                    tzinfo=UTC)}


def test_each_weekday_has_its_own_time_and_unlisted_days_are_not_asked() -> None:
    shifts = plan({"mon": "14:45", "tue": "21:45", "thu": "08:15"})  # early, late, end of a night
    assert hourly(shifts, datetime(2026, 11, 23, 0, tzinfo=UTC)) == {
        date(2026, 11, 23): datetime(2026, 11, 23, 14, 45, tzinfo=UTC),
        date(2026, 11, 24): datetime(2026, 11, 24, 21, 45, tzinfo=UTC),
        date(2026, 11, 26): datetime(2026, 11, 26, 8, 15, tzinfo=UTC)}


def test_the_plan_zone_decides_the_instant_and_a_zone_change_moves_it() -> None:
    times = {"mon": "17:30"}
    monday = datetime(2026, 11, 23, 6, tzinfo=UTC)
    london = prompts(plan(times), monday)[date(2026, 11, 23)]
    new_york = prompts(plan(times, "America/New_York"), monday)[date(2026, 11, 23)]
    assert london == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    assert new_york == datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    # In Auckland Monday 17:30 is 04:30 UTC: at 06:00 UTC it is late but within its window.
    assert prompts(plan(times, "Pacific/Auckland"), monday) == {
        date(2026, 11, 23): datetime(2026, 11, 23, 4, 30, tzinfo=UTC)}
    assert prompts(plan(times, "Pacific/Auckland"), monday + timedelta(hours=2)) == {}


def test_skip_pause_and_resume() -> None:
    times = {d: "17:30" for d in ("mon", "tue", "wed")}
    monday = datetime(2026, 11, 23, 0, tzinfo=UTC)
    assert set(hourly(plan(times), monday)) == {date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)}
    assert set(hourly(plan(times, skipped_on=date(2026, 11, 23)), monday)) == {date(2026, 11, 24), date(2026, 11, 25)}
    assert set(hourly(plan(times, paused_until=date(2026, 11, 25)), monday)) == {date(2026, 11, 25)}
    assert set(hourly(plan(times, paused_until=date(2026, 12, 1)), monday)) == set()


def test_a_change_applies_from_the_next_prompt() -> None:
    times = {"mon": "17:30", "tue": "17:30"}
    changed = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)  # ten minutes after Monday's time
    assert set(prompts(plan(times, changed_at=changed), changed)) == {date(2026, 11, 24)}


def test_a_prompt_expires_after_its_window_so_downtime_sends_no_late_prompt() -> None:
    times = {"mon": "17:30"}
    two_hours_late = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
    [late] = due_between(plan(times), two_hours_late, RULES)
    assert late.due_at < two_hours_late < late.not_after == datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    next_morning = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert prompts(plan(times), next_morning) == {}


def test_weekly_reflection_on_the_chosen_day() -> None:
    p = plan({}, weekly_day=4)  # Friday
    assert prompts(p, datetime(2026, 11, 26, 20, tzinfo=UTC), WEEKLY) == {
        date(2026, 11, 27): datetime(2026, 11, 27, 18, 0, tzinfo=UTC)}


@settings(derandomize=True, max_examples=200, deadline=None)
@given(zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                             "Pacific/Chatham", "America/St_Johns"]),
       day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
       hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]))
def test_a_prompt_is_at_the_local_time_or_just_after_a_skipped_one(zone, day, hour, minute) -> None:
    from zoneinfo import ZoneInfo

    instant = local_instant(day, time(hour, minute), zone)
    local = instant.astimezone(ZoneInfo(zone))
    wall = datetime.combine(day, time(hour, minute))
    assert timedelta(0) <= local.replace(tzinfo=None) - wall <= timedelta(hours=1)


def test_parse_time_accepts_clients_forms_and_refuses_the_rest() -> None:
    assert parse_time("17:30") == time(17, 30) and parse_time("7:05:00") == time(7, 5)
    for bad in ("", "24:00", "17:60", "5pm", None, 1730, "17:30:15"):
        assert parse_time(bad) is None
