"""The feedback form and the "you said, we did" form as people fill them in (issue 10): a refused
form names every answer to correct, and an answer over the limit the form states is refused with
a message, never cut."""

from __future__ import annotations

from typing import Any

from dialogs.feedback.form import FeedbackConfig
from storage.feedback.models import FeedbackResponse
from tests.factories import ALICE
from tests.feedback.test_feedback_loop import GOOD, make_session, responses
from tests.sessions.test_sessions_register import nodes, texts


def error_of(card: dict[str, Any]) -> str:
    return texts({"body": [n for n in nodes(card) if n.get("style") == "attention"]})


def limit(harness) -> int:
    return FeedbackConfig.from_content(harness.components.content).max_chars


async def test_a_refused_feedback_form_names_every_answer_to_correct(harness):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    body = await harness.press("feedback.submit", {"session": sid, "overall": "5", "discussion": "9",
                                                   "topics": "astrology", "share": "maybe"}, ALICE)
    message = error_of(body["value"])
    for question in ("How useful was the presentation part?", "How useful was the discussion part?",
                     "topics from the list", "sharing your practice"):
        assert question in message
    assert "Overall, how was the session?" not in message, "the answered question is not named"
    assert await responses(harness) == []


async def test_the_form_says_the_text_limit_it_keeps(harness):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    body = await harness.press("feedback.open", {"session": sid}, ALICE)
    boxes = [n for n in nodes(body["value"]) if n.get("type") == "Input.Text"]
    assert {b["id"] for b in boxes} == {"helpful", "better"}
    for box in boxes:
        assert box["maxLength"] == limit(harness)
        assert f"Up to {limit(harness)} characters" in box["placeholder"]


async def test_an_answer_over_the_limit_is_refused_not_cut_and_one_at_it_is_kept_whole(harness):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    most = limit(harness)
    body = await harness.press("feedback.submit", {"session": sid, **GOOD, "better": "word " * (most // 5) + "x"},
                               ALICE)
    message = error_of(body["value"])
    assert f"What could be better? (optional)\" is {most + 1} characters long" in message
    assert await responses(harness) == []
    whole = ("word " * (most // 5))[:most - 3] + "end"
    await harness.press("feedback.submit", {"session": sid, **GOOD, "better": whole}, ALICE)
    [row] = await responses(harness)
    assert isinstance(row, FeedbackResponse) and row.better_text == whole.strip()
