"""The check-in through HTTP with the fake connector: opting in, prompts at local times through
the outbox, skip, snooze, pause, resume and stop, the kind reply, looking back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage.models import OutboxStatus
from tests.checkins.helpers import check_in, checkins, outbox_rows, set_up, text_of, tick
from tests.factories import ALICE

UTC = timezone.utc
MONDAY_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's start


async def test_typing_check_in_offers_setup_and_nobody_is_enrolled_by_default(harness):
    await harness.say("check in")
    card = text_of(harness.connector.sent[-1].cards[0])
    assert "Choose when I'm asked" in card and "Check in now" in card
    assert await outbox_rows(harness) == []
    await harness.install()  # the welcome offers it too
    assert "checkins.setup" in text_of(harness.connector.sent[-1].cards[0])


async def test_setup_queues_the_next_prompt_at_local_time_and_the_prompt_is_the_check_in_card(harness, clock):
    body = await set_up(harness)
    assert "Monday 17:30" in text_of(body["value"]) and "Europe/London" in text_of(body["value"])
    rows = await outbox_rows(harness)
    assert [(r.kind, r.due_at) for r in rows] == [("checkin_prompt", datetime(2026, 11, 23, 17, 30, tzinfo=UTC))]
    assert rows[0].not_after == datetime(2026, 11, 23, 20, 30, tzinfo=UTC)

    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    assert (await harness.components.dispatcher.drain()).sent == 1
    prompt = text_of(harness.connector.sent[-1].cards[0])
    for words in ("How are you feeling right now?", "Really struggling", "Great", "Skip today",
                  "Ask me in 30 minutes", "Ask me in 60 minutes", "Pause or stop", "Stop daily check-ins"):
        assert words in prompt

    body = await check_in(harness, feeling="4", needs="rest", day="2026-11-23")
    assert "Thank you for checking in" in text_of(body["value"])
    assert len(await checkins(harness)) == 1
    # The hourly job runs again: today is done, tomorrow is queued, nothing twice.
    await tick(harness)
    await tick(harness)
    keys = [r.idempotency_key for r in await outbox_rows(harness)]
    assert len(keys) == len(set(keys)) == 2 and keys[1].endswith("2026-11-24:prompt")


async def tick(harness) -> None:
    from dialogs.checkins.delivery import CheckinDelivery  # noqa: F401 - the job's owner

    await harness.components.scheduler.job("checkins.queue")()


async def test_a_prompt_for_a_day_already_checked_in_is_not_sent(harness, clock):
    await set_up(harness)
    await check_in(harness, feeling="3")
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    before = len(harness.connector.sent)
    stats = await harness.components.dispatcher.drain()
    assert stats.claimed == 1 and stats.sent == 0 and len(harness.connector.sent) == before


async def test_skip_snooze_pause_resume_and_stop(harness, clock):
    await set_up(harness)
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    await harness.components.dispatcher.drain()

    body = await harness.press("checkins.snooze", {"day": "2026-11-23", "minutes": "30"})
    assert "30 minutes" in text_of(body["value"])
    clock.advance(timedelta(minutes=30))
    assert (await harness.components.dispatcher.drain()).sent == 1
    assert "Skip today" in text_of(harness.connector.sent[-1].cards[0])
    await harness.press("checkins.snooze", {"day": "2026-11-23", "minutes": "60"})
    body = await harness.press("checkins.snooze", {"day": "2026-11-23", "minutes": "60"})
    assert "won't ask again today" in text_of(body["value"])  # two snoozes a day at most

    body = await harness.press("checkins.skip", {"day": "2026-11-23"})
    assert "Skipped" in text_of(body["value"])
    clock.advance(timedelta(hours=2))
    assert (await harness.components.dispatcher.drain()).sent == 0  # the pending snooze went with the skip

    body = await harness.press("checkins.pause", {"until": "2026-11-26"})
    assert "Thursday 26 November 2026" in text_of(body["value"])
    for _ in range(3 * 24):
        clock.advance(timedelta(hours=1))
        await tick(harness)
        await harness.components.dispatcher.drain()
    prompts = [r for r in await outbox_rows(harness) if r.status == OutboxStatus.SENT]
    assert [r.idempotency_key.split(":")[2] for r in prompts] == ["2026-11-23", "2026-11-23", "2026-11-26"]

    body = await harness.press("checkins.pause", {"until": "2026-12-10"})
    body = await harness.press("checkins.resume", {})
    assert "Monday 17:30" in text_of(body["value"])
    pending = [r for r in await outbox_rows(harness) if r.status == OutboxStatus.PENDING]
    assert [r.idempotency_key.split(":")[2] for r in pending] == ["2026-11-27"]

    body = await harness.press("checkins.stop", {})
    assert "won't ask again" in text_of(body["value"])
    assert [r for r in await outbox_rows(harness) if r.status == OutboxStatus.PENDING] == []
    clock.advance(timedelta(days=2))
    await tick(harness)
    assert [r for r in await outbox_rows(harness) if r.status == OutboxStatus.PENDING] == []
    body = await harness.press("checkins.now", {})  # checking in still works any time
    assert "How are you feeling right now?" in text_of(body["value"])


async def test_a_schedule_change_applies_from_the_next_prompt(harness, clock):
    await set_up(harness)
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    await set_up(harness, times={"mon": "16:30", "tue": "08:00"})
    pending = [(r.idempotency_key.split(":")[2], r.due_at) for r in await outbox_rows(harness)
               if r.status == OutboxStatus.PENDING]
    assert pending == [("2026-11-23", datetime(2026, 11, 23, 16, 30, tzinfo=UTC)),
                       ("2026-11-24", datetime(2026, 11, 24, 8, 0, tzinfo=UTC))]
    # Changed again after today's prompt went: no second prompt today.
    clock.set(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    await harness.components.dispatcher.drain()
    await set_up(harness, times={"mon": "18:00"})
    assert [r for r in await outbox_rows(harness) if r.status == OutboxStatus.PENDING] == []


async def test_a_zone_change_moves_the_prompt(harness, clock):
    await set_up(harness, times={"mon": "17:30"}, zone="America/New_York")
    [row] = await outbox_rows(harness)
    assert row.due_at == datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    await set_up(harness, times={"mon": "17:30"}, zone="Europe/London")
    [row] = [r for r in await outbox_rows(harness)]
    assert row.due_at == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)


async def test_after_downtime_a_late_prompt_expires_instead_of_arriving_next_morning(harness, clock):
    await set_up(harness)
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # the bot was down all evening
    stats = await harness.components.dispatcher.drain()
    assert stats.sent == 0 and stats.expired == 1
    # Down for an hour only: the prompt still goes, late but useful.
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    await tick(harness)
    assert (await harness.components.dispatcher.drain()).sent == 1


async def test_the_reply_answers_what_was_asked_for(harness):
    content = harness.components.content.data["checkins"]["replies"]["close"]
    await harness.say("hi")
    rest = text_of((await check_in(harness, feeling="3", needs="rest"))["value"])
    connection = text_of((await check_in(harness, feeling="3", needs="connection"))["value"])
    assert any(line in rest for line in content["rest"]) and not any(line in rest for line in content["connection"])
    assert any(line in connection for line in content["connection"]) and not any(
        line in connection for line in content["rest"])
    # An ordinary day has no signposting block.
    assert "not a crisis service" not in rest


async def test_my_checkins_shows_the_trend_needs_and_what_went_well(harness, clock):
    await harness.say("hi")
    for day, feeling, well in ((0, "2", "Good chat with Sam"), (1, "3", ""), (3, "5", "Ward round went well")):
        clock.set(MONDAY_0900 + timedelta(days=day))
        await check_in(harness, feeling=feeling, needs="rest", well1=well)
    body = await harness.press("checkins.history", {"days": "7"})
    assert body["type"] == "application/vnd.microsoft.activity.message"  # the card comes as a message
    card = harness.connector.sent[-1].cards[0]
    chart = next(el for el in card["body"] if el.get("type") == "Chart.Line")
    assert [(v["x"], v["y"]) for v in chart["data"][0]["values"]] == [("Mon 23 Nov", 2), ("Tue 24 Nov", 3),
                                                                      ("Thu 26 Nov", 5)]
    assert chart["fallback"]["type"] == "TextBlock"
    # Every day's answer in words beside the chart, for every client and screen reader.
    facts = next(el for el in card["body"] if el.get("type") == "FactSet")["facts"]
    assert [(f["title"], f["value"]) for f in facts] == [("Mon 23 Nov", "Low"), ("Tue 24 Nov", "OK"),
                                                         ("Thu 26 Nov", "Great")]
    text = text_of(card)
    assert "3 of the last 7" in text and "Rest" in text
    assert text.index("Ward round went well") < text.index("Good chat with Sam")


async def test_setup_and_pause_refuse_bad_values_and_change_nothing(harness):
    await harness.say("hi")
    for data, message in (({"mon": "25:00"}, "24-hour clock"), ({"zone": "Mars/Olympus"}, "time zone"),
                          ({"zone": "../../etc/passwd"}, "time zone"), ({"retention": "7"}, "how long"),
                          ({"weekly": "9"}, "weekly reflection")):
        body = await harness.press("checkins.setup.save", {"zone": "Europe/London", "retention": "90",
                                                           "mon": "17:30", **data})
        assert message in text_of(body["value"]) and "When should I ask you?" in text_of(body["value"]), data
    assert await outbox_rows(harness) == []
    await set_up(harness)
    for until in ("2026-11-23", "2020-01-01", "next week", "2028-01-01"):
        body = await harness.press("checkins.pause", {"until": until})
        assert "date after today" in text_of(body["value"]), until
    assert len([r for r in await outbox_rows(harness) if r.status == OutboxStatus.PENDING]) == 1


async def test_the_weekly_reflection_gathers_what_went_well(harness, clock):
    await set_up(harness, times={}, weekly="4")  # Fridays, at 18:00
    for day, well in ((0, "Supervision helped"), (2, "Lunch with the team")):
        clock.set(MONDAY_0900 + timedelta(days=day))
        await check_in(harness, feeling="4", well1=well)
    clock.set(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    await tick(harness)
    clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    assert (await harness.components.dispatcher.drain()).sent == 1
    card = text_of(harness.connector.sent[-1].cards)
    assert "This week you said these went well" in card and "Supervision helped" in card and "Lunch with" in card


async def test_typed_words_with_control_characters_are_refused_and_nothing_is_saved(harness):
    await harness.say("hi")
    for bad in ("a\x00b", "tab\x07bell", "lone \ud800 surrogate"):
        body = await check_in(harness, feeling="2", note=bad)
        assert "invisible control character" in text_of(body["value"]), bad
    assert await checkins(harness) == []
    body = await check_in(harness, feeling="2", note="a line\nand another")
    assert len(await checkins(harness)) == 1
