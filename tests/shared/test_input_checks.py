"""Every text input refuses control characters and lone surrogates, with a message naming the
field, and changes nothing: on PostgreSQL a NUL used to fail the whole turn."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dialogs.shared.inputs import printable, storable
from storage.models import User
from storage.sessions.models import Meeting, Registration
from tests.factories import ALICE, FACILITATOR, Person
from tests.feedback.test_feedback_loop import GOOD, card_text, make_session, responses
from tests.sessions.test_sessions_admin import NEW, save
from tests.sessions.test_sessions_register import card_of, count, first_session, register, rows, texts

# NUL, escape, DEL, a C1 control (NEL), a lone surrogate; a tab and a line break for one-line fields.
BAD = ("\x00", "\x1b", "\x7f", "\x85", "\ud800")
BAD_IN_ONE_LINE = ("\t", "\n", "\r")
REGISTRATION = {"name": ("Your name", False), "organisation": ("Organisation", False),
                "role": ("Role or department", False), "reason": ("What brings you here?", True),
                "hopes": ("What would you most like from the session?", True),
                "access_needs": ("Access needs or reasonable adjustments", True)}
SESSION = {"title": "Title", "topic": "Hour-one topic", "presenters": "Presenters", "joining_url": "Joining link"}


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None), max_size=20), st.booleans())
def test_storable_refuses_exactly_control_characters_and_lone_surrogates(value, multiline):
    allowed = {"\t", "\n", "\r"} if multiline else set()
    refused = any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value)
    assert storable(value, multiline=multiline) is not refused
    assert storable(printable(value), multiline=False)


async def test_registration_refuses_control_characters_in_every_field_and_saves_nothing(harness):
    sid = await first_session(harness)
    for key, (label, multiline) in REGISTRATION.items():
        for bad in BAD + (() if multiline else BAD_IN_ONE_LINE):
            card = await register(harness, sid, **{key: f"Somer{bad}set"})
            shown = texts(card)
            assert f'"{label}" contains an invisible control character' in shown, (key, bad)
            assert card["body"][0]["text"].startswith("Register"), "the form comes back to correct"
    assert await count(harness, Registration) == 0
    card = await register(harness, sid, reason="Line one\nline two\twith a tab", hopes="a\r\nb")
    assert "You're registered" in texts(card), "tabs and line breaks are fine where lines are"


async def test_a_changed_registration_with_a_nul_keeps_the_details_it_had(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    await register(harness, sid, organisation="Evil\x00Org")
    [registration] = await rows(harness, Registration)
    assert registration.organisation == "Somerset NHS FT"


async def test_session_form_refuses_control_characters_and_changes_nothing(harness):
    await harness.say("hi", FACILITATOR)
    before = await count(harness, Meeting)
    for key, label in SESSION.items():
        value = "https://teams.microsoft.com/l/\x00" if key == "joining_url" else "Evil\x00text"
        card = await save(harness, {**NEW, key: value})
        assert f'"{label}" contains an invisible control character' in texts(card), key
    assert await count(harness, Meeting) == before


async def test_a_nul_in_a_session_id_is_an_unknown_session_not_a_failed_turn(harness):
    await first_session(harness)
    card = await card_of(harness, "sessions.withdraw", {"session_id": "abc\x00"})
    assert "don't have a place" in texts(card)
    card = await register(harness, "abc\x00def")
    assert "no longer exists" in texts(card)


async def test_a_teams_display_name_with_control_characters_is_stored_without_them(harness):
    person = Person("29:ctrl", "aad-ctrl", "Ev\x00e\x1b[31m Example")
    await harness.say("hi", person)
    names = await rows(harness, User.name, User.teams_id == person.teams_id)
    assert names == ["Eve[31m Example"]
    async with harness.components.services.db() as db:
        assert await db.scalar(select(User.name).where(User.name.contains("\x1b"))) is None


async def test_feedback_answers_refuse_control_characters_and_store_nothing(harness):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    for key in ("helpful", "better"):
        body = await harness.press("feedback.submit", {"session": sid, **GOOD, key: "Evil\x00text"}, ALICE)
        assert "contains an invisible control character" in card_text(body["value"]), key
    assert await responses(harness) == []
    body = await harness.press("feedback.submit", {"session": sid, **GOOD, "helpful": "One\nTwo\tthree"}, ALICE)
    assert "Thank you" in card_text(body["value"]), "line breaks and tabs are fine in a long answer"
