"""The check-in forms as people fill them in (issue 10): a refused form names every answer to
correct, and typed text over the limit the form states is refused, never cut."""

from __future__ import annotations

from dialogs.checkins.config import MAX_CHARS
from tests.checkins.helpers import check_in, checkins, text_of
from tests.sessions.test_sessions_register import nodes, texts
from tests.factories import ALICE


def error_of(card) -> str:
    return texts({"body": [n for n in nodes(card) if n.get("style") == "attention"]})


async def test_the_check_in_card_says_the_text_limit_it_keeps(harness):
    await harness.say("hi", ALICE)
    body = await harness.press("checkins.now", {}, ALICE)
    boxes = [n for n in nodes(body["value"]) if n.get("type") == "Input.Text"]
    assert len(boxes) == 5
    for box in boxes:
        assert box["maxLength"] == MAX_CHARS and f"Up to {MAX_CHARS} characters" in box["placeholder"]


async def test_text_over_the_limit_is_refused_and_named_not_cut(harness):
    await harness.say("hi", ALICE)
    body = await check_in(harness, hard="h" * (MAX_CHARS + 1), note="n" * (MAX_CHARS + 5))
    message = error_of(body["value"])
    assert f"One thing that was hard today (optional)\" is {MAX_CHARS + 1} characters" in message
    assert f"A private note, just for you (optional)\" is {MAX_CHARS + 5} characters" in message
    assert "h" * 50 not in text_of(body["value"]), "typed words are never sent back"
    assert await checkins(harness) == []
    await check_in(harness, hard="h" * MAX_CHARS)
    [row] = await checkins(harness)
    assert row is not None


async def test_a_refused_check_in_names_every_answer_to_correct(harness):
    await harness.say("hi", ALICE)
    body = await harness.press("checkins.submit", {"states": "sideways", "well2": "ok\x00"}, ALICE)
    message = error_of(body["value"])
    for expected in ("how you're feeling", "Please choose from the lists", "Something that went well today",
                     "control character", "Nothing was saved"):
        assert expected in message
    assert await checkins(harness) == []


async def test_a_refused_schedule_names_every_answer_to_correct(harness):
    await harness.say("hi", ALICE)
    body = await harness.press("checkins.setup.save", {"mon": "25:00", "wed": "9pm", "zone": "Mars/Olympus",
                                                       "retention": "7", "weekly": "9"}, ALICE)
    message = error_of(body["value"])
    for expected in ("Monday: please give a time", "Wednesday: please give a time", "time zone", "how long",
                     "weekly reflection"):
        assert expected in message
