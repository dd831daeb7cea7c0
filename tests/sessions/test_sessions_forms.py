"""The sessions forms as people fill them in (issue 10): a session with no place limit saves, a
refused form names every field to correct, every text box says its limit and the server keeps
to it, and each button says what it does."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.sessions.admin import MAX_CAPACITY, TEXT_FIELDS
from dialogs.sessions.browse import FIELDS
from storage.sessions.models import Meeting, Registration
from tests.factories import ALICE, FACILITATOR
from tests.sessions.test_sessions_admin import NEW, save
from tests.sessions.test_sessions_register import FORM, actions, card_of, count, first_session, nodes, rows, texts


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}


def error_of(card: dict[str, Any]) -> str:
    """The form's message about what to correct (the attention container's text)."""
    return texts({"body": [n for n in nodes(card) if n.get("style") == "attention"]})


def client_would_block_silently(element: dict[str, Any]) -> bool:
    """An input the client itself refuses (Teams and the Playground refuse to send the form) with
    no message of ours: its constraints fail on its own value and it has no errorMessage."""
    constrained = any(k in element for k in ("isRequired", "min", "max", "regex"))
    return constrained and not element.get("errorMessage")


def value_breaks_its_own_rules(element: dict[str, Any]) -> bool:
    if element.get("type") != "Input.Number" or "value" not in element:
        return False
    value = element["value"]
    # Teams shows "" and null in a number box as 0, and checks min and max against that.
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
    return not element.get("min", number) <= number <= element.get("max", number)


# --- a session with no place limit ------------------------------------------------------------

@pytest.mark.parametrize("verb", ["sessions.new", "sessions.edit"])
async def test_the_places_box_of_a_session_without_a_limit_is_empty_and_can_be_sent(harness, verb):
    sid = await first_session(harness)  # the shipped sessions have no place limit
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, verb, {"session_id": sid}, FACILITATOR)
    places = inputs(card)["capacity"]
    assert "value" not in places, "an empty box, not 0"
    assert "no limit" in places["label"]
    for element in inputs(card).values():
        assert not value_breaks_its_own_rules(element), element["id"]
        assert not client_would_block_silently(element), f"{element['id']} would stop Save without a word"


@pytest.mark.parametrize("places", ["", "0", " ", 0, 0.0, None])
async def test_a_session_without_a_limit_saves_from_an_empty_or_zero_box(harness, places):
    await harness.say("hi", FACILITATOR)
    card = await save(harness, {**NEW, "capacity": places})
    assert "Saved." in texts(card)
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    assert space.capacity is None


@pytest.mark.parametrize("places, stored", [("30", 30), (30, 30), (30.0, 30), (str(MAX_CAPACITY), MAX_CAPACITY)])
async def test_a_place_limit_saves_however_the_client_sends_it(harness, places, stored):
    await harness.say("hi", FACILITATOR)
    assert "Saved." in texts(await save(harness, {**NEW, "capacity": places}))
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    assert space.capacity == stored
    card = await card_of(harness, "sessions.edit", {"session_id": space.id}, FACILITATOR)
    assert inputs(card)["capacity"]["value"] == stored


@pytest.mark.parametrize("places", ["-1", "ten", "2.5", str(MAX_CAPACITY + 1), True, 2.5])
async def test_a_wrong_place_limit_is_refused_with_a_message(harness, places):
    await harness.say("hi", FACILITATOR)
    card = await save(harness, {**NEW, "capacity": places})
    assert "Places must be a whole number" in error_of(card)
    assert await count(harness, Meeting) == 0


# --- every invalid field named -----------------------------------------------------------------

async def test_a_refused_session_form_names_every_field_to_correct(harness):
    await harness.say("hi", FACILITATOR)
    card = await save(harness, {**NEW, "title": "", "presenters": "x" * 501, "end": "13:00",
                                "joining_url": "http://x", "capacity": "ten"})
    message = error_of(card)
    for expected in ("give the session a title", "presenters must be 500", "end time must be after",
                     "https://", "Places must be a whole number"):
        assert expected in message
    assert await count(harness, Meeting) == 0


async def test_a_refused_registration_names_every_field_to_correct(harness):
    sid = await first_session(harness)
    card = await card_of(harness, "sessions.register.submit",
                         {**FORM, "session_id": sid, "name": "", "organisation": " ", "hopes": "x" * 1001})
    message = error_of(card)
    for expected in ("give your name", "give your organisation", "like from the session must be 1000"):
        assert expected in message
    assert await count(harness, Registration) == 0


# --- text limits: said on the form, kept by the server -----------------------------------------

def _limits_said(card: dict[str, Any], limits: dict[str, int]) -> None:
    for key, limit in limits.items():
        box = inputs(card)[key]
        assert box["maxLength"] == limit, key
        said = f"{box.get('label', '')} {box.get('placeholder', '')}"
        assert str(limit) in said.replace(",", ""), f"{key}: the limit of {limit} is not said"


async def test_every_sessions_text_box_says_the_limit_the_server_keeps(harness):
    sid = await first_session(harness)
    _limits_said(await card_of(harness, "sessions.register.form", {"session_id": sid}),
                 {key: limit for key, limit, _ in FIELDS})
    await harness.say("hi", FACILITATOR)
    _limits_said(await card_of(harness, "sessions.new", {}, FACILITATOR),
                 {key: limit for key, limit, _ in TEXT_FIELDS} | {"joining_url": 2000})


@pytest.mark.parametrize("key, limit", [(k, n) for k, n, _ in FIELDS])
async def test_registration_text_at_the_limit_is_kept_whole_and_over_it_is_refused(harness, key, limit):
    sid = await first_session(harness)
    over = await card_of(harness, "sessions.register.submit", {**FORM, "session_id": sid, key: "y" * (limit + 1)})
    assert f"{limit} characters or fewer" in error_of(over)
    assert await count(harness, Registration) == 0
    await card_of(harness, "sessions.register.submit", {**FORM, "session_id": sid, key: "y" * limit})
    [registration] = await rows(harness, Registration)
    assert getattr(registration, key) == "y" * limit
