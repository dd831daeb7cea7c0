"""Sessions buttons say what they do and offer only what can work (issue 10): a booked session
shows its booking with "Change my details" and "Cancel my place"; the register is offered once it
is open and otherwise says when it opens; "Stop telling me about new sessions" has a way back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage.sessions.models import Registration, SeriesSubscription
from tests.factories import FACILITATOR
from tests.sessions.test_sessions_register import (
    FORM, actions, card_of, count, first_session, register, rows, texts,
)

OPENS = datetime(2026, 12, 11, 13, 30, tzinfo=timezone.utc)  # 30 minutes before the first session


def buttons(card) -> list[str]:
    return [a["title"] for a in actions(card) if a.get("type") != "Action.Submit"]


def session_block(card, session_id: str) -> dict:
    """The list's container for one session (the one whose buttons carry its id)."""
    return next(c for c in card["body"] if c.get("type") == "Container"
                and any(a.get("data", {}).get("session_id") == session_id for a in actions(c)))


async def test_a_booked_session_shows_the_booking_and_what_can_be_done_with_it(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    listed = session_block(await card_of(harness, "sessions.browse"), sid)
    assert "You have a place" in texts(listed)
    # Each button names its session, so a screen reader's list of buttons says which is which.
    assert buttons(listed) == ["Change my details for Friday 11 December", "Cancel my place on Friday 11 December"]
    form = await card_of(harness, "sessions.register.form", {"session_id": sid})
    assert form["body"][0]["text"].startswith("Change my details: ")
    assert "Register" not in buttons(form) and buttons(form)[:2] == ["Save changes", "Cancel my place"]
    changed = await card_of(harness, "sessions.register.submit", {**FORM, "session_id": sid, "role": "Team lead"})
    assert "Your registration is updated" in texts(changed)
    assert (await rows(harness, Registration))[0].role == "Team lead"


async def test_a_session_not_booked_offers_register(harness):
    sid = await first_session(harness)
    listed = session_block(await card_of(harness, "sessions.browse"), sid)
    assert buttons(listed) == ["Register for Friday 11 December"]
    form = await card_of(harness, "sessions.register.form", {"session_id": sid})
    assert form["body"][0]["text"].startswith("Register: ") and buttons(form)[0] == "Register"


async def test_news_of_new_sessions_can_be_stopped_and_started_again(harness):
    sid = await first_session(harness)
    await register(harness, sid)  # asked for news on the form
    mine = await card_of(harness, "sessions.mine")
    assert "Stop telling me about new sessions" in buttons(mine)
    stopped = await card_of(harness, "sessions.unsubscribe")
    assert await count(harness, SeriesSubscription) == 0
    assert "Tell me about new sessions" in buttons(stopped) and "Changed your mind" in texts(stopped)
    started = await card_of(harness, "sessions.subscribe")
    assert await count(harness, SeriesSubscription) == 1
    assert "I'll tell you when a new session is announced" in texts(started)
    assert "Stop telling me about new sessions" in buttons(started)
    await card_of(harness, "sessions.subscribe")
    assert await count(harness, SeriesSubscription) == 1, "pressing twice subscribes once"


async def test_the_register_is_offered_only_once_it_is_open_and_says_when_it_opens(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid)
    await harness.say("hi", FACILITATOR)
    manage = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    assert "Register (who's in the room)" not in buttons(manage)
    assert "opens on Friday 11 December 2026 at 13:30, 30 minutes before the start" in texts(manage)
    early = await card_of(harness, "sessions.attendance", {"session_id": sid}, FACILITATOR)
    assert "Save the register" not in buttons(early), "an old card's button leads to no refusal"
    clock.set(OPENS)
    manage = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    assert "Register (who's in the room)" in buttons(manage) and "opens on" not in texts(manage)
    sheet = await card_of(harness, "sessions.attendance", {"session_id": sid}, FACILITATOR)
    assert "Save the register" in buttons(sheet)
    [person] = await rows(harness, Registration)
    saved = await card_of(harness, "sessions.attendance.save", {"session_id": sid, "attended": person.id}, FACILITATOR)
    assert "The register is saved" in texts(saved)


async def test_im_here_before_the_register_opens_says_when_and_after_the_end_says_closed(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid)
    await harness.press("sessions.here", {"session_id": sid})
    early = harness.connector.sent[-1].cards[0]
    assert "opens on Friday 11 December 2026 at 13:30" in texts(early)
    assert {"sessions.mine", "menu.show"} <= {a["verb"] for a in actions(early) if "verb" in a}
    clock.set(OPENS + timedelta(hours=3))
    await harness.press("sessions.here", {"session_id": sid})
    assert "The register for that session is closed" in texts(harness.connector.sent[-1].cards[0])
    assert (await rows(harness, Registration))[0].attended_at is None
