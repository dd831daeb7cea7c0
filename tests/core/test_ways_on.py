"""Cards that end a path offer the next step (issue 10): no feedback due, "Nothing deleted", an
empty report list, typed words the bot does not know, and every notice (sessions, feedback,
check-ins, my data) lead on, at least to the menu."""

from __future__ import annotations

from typing import Any

from tests.factories import ALICE, FACILITATOR
from tests.sessions.test_sessions_register import nodes


def verbs(card: dict[str, Any]) -> set[str]:
    """The verbs of a card's buttons."""
    return {n["verb"] for n in nodes(card) if n.get("type") == "Action.Execute"}


async def card_after(harness, verb: str, data: dict[str, Any] | None = None, person=ALICE) -> dict[str, Any]:
    body = await harness.press(verb, data or {}, person)
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def test_no_feedback_due_leads_to_the_sessions_and_the_menu(harness):
    await harness.say("hi")
    card = await card_after(harness, "feedback.list")
    assert "no session waiting" in str(card)
    assert {"sessions.browse", "menu.show"} <= verbs(card)


async def test_an_empty_report_list_leads_on(harness):
    await harness.say("hi", FACILITATOR)
    card = await card_after(harness, "feedback.reports", person=FACILITATOR)
    assert "No session has closed its feedback yet" in str(card)
    assert {"sessions.browse", "menu.show"} <= verbs(card)


async def test_nothing_deleted_leads_back_to_my_data_and_the_menu(harness):
    await harness.say("my data")
    card = await card_after(harness, "my_data.keep")
    assert "Nothing was deleted" in str(card)
    assert verbs(card) == {"my_data.show", "menu.show"}


async def test_deleted_data_leads_to_the_menu(harness):
    await harness.say("my data")
    await card_after(harness, "my_data.delete")
    card = await card_after(harness, "my_data.delete.confirm")
    assert "Your data has been deleted" in str(card) and verbs(card) == {"menu.show"}


async def test_typed_words_the_bot_does_not_know_lead_to_the_menu(harness):
    await harness.say("purple monkey dishwasher")
    [card] = harness.connector.sent[-1].cards
    assert verbs(card) == {"menu.show"}


async def test_check_in_data_with_nothing_kept_leads_back(harness):
    await harness.say("hi")
    card = await card_after(harness, "checkins.data")
    assert "checkins.home" in verbs(card)


async def test_check_in_and_feedback_notices_lead_on(harness):
    await harness.say("hi")
    skipped = await card_after(harness, "checkins.skip", {"day": "2026-11-23"})
    assert {"checkins.home", "menu.show"} <= verbs(skipped)
    closed = await card_after(harness, "feedback.open", {"session": "f" * 32})
    assert "Nothing was saved" in str(closed) and {"feedback.list", "menu.show"} <= verbs(closed)
    unknown = await card_after(harness, "sessions.register.form", {"session_id": "nope"})
    assert "no longer exists" in str(unknown) and {"sessions.browse", "menu.show"} <= verbs(unknown)
