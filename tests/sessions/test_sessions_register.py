"""Sessions, as attendees meet them: browse, register with validation, confirmation and calendar
file, capacity and waitlist, my sessions, cancelling a place, my data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from storage.models import OutboxMessage, User
from storage.sessions.models import Meeting, Registration, SeriesSubscription
from tests import factories
from tests.cards import unescape
from tests.factories import ALICE, BOB, FACILITATOR, Person

FORM = {"name": "Alice Example", "organisation": "Somerset NHS FT", "role": "Peer lead",
        "reason": "Setting up PSW roles", "hopes": "Supervision ideas", "access_needs": "", "wants_updates": "true"}
DEC = datetime(2026, 12, 11, 14, 0, tzinfo=timezone.utc)


def nodes(card: Any):
    """Every mapping in a card, depth first."""
    if isinstance(card, dict):
        yield card
        card = list(card.values())
    if isinstance(card, list):
        for value in card:
            yield from nodes(value)


def texts(card: dict[str, Any]) -> str:
    """Every text, title, value and label of a card as a person reads it (Markdown escapes
    undone), joined: enough to look for a sentence."""
    return unescape("\n".join(n[k] for n in nodes(card) for k in ("text", "title", "value", "label")
                               if isinstance(n.get(k), str)))


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in nodes(card) if str(n.get("type", "")).startswith("Action.")]


def path_of(url: str) -> str:
    return urlsplit(url).path


def url_of(card: dict[str, Any], title: str) -> str:
    return next(a["url"] for a in actions(card) if a.get("title") == title)


async def card_of(harness, verb: str, data: dict[str, Any] | None = None, person: Person = ALICE) -> dict:
    body = await harness.press(verb, data, person)
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def session_ids(harness) -> list[str]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(Meeting.id).order_by(Meeting.starts_at)))


async def first_session(harness) -> str:
    await harness.say("hi", ALICE)
    await card_of(harness, "sessions.browse")
    return (await session_ids(harness))[0]


async def rows(harness, model, *where) -> list:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(model).where(*where)))


async def count(harness, model, *where) -> int:
    async with harness.components.services.db() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def set_capacity(harness, session_id: str, capacity: int | None) -> None:
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(Meeting).where(Meeting.id == session_id).values(capacity=capacity))


async def register(harness, session_id: str, person: Person = ALICE, **changes: Any) -> dict:
    return await card_of(harness, "sessions.register.submit",
                         {**FORM, "name": person.name, **changes, "session_id": session_id}, person)


# --- browsing ---------------------------------------------------------------------------------

async def test_browse_shows_the_shipped_dates_still_ahead_in_my_zone(harness):
    await harness.say("hi", ALICE)
    card = await card_of(harness, "sessions.browse")
    shown = texts(card)
    # The clock is 23 November 2026: June and September are past; December and March are ahead.
    assert "Friday 11 December 2026, 14:00 to 16:00 (Europe/London)" in shown
    assert "Friday 5 March 2027, 14:00 to 16:00 (Europe/London)" in shown
    assert "June 2026" not in shown
    assert not [a for a in actions(card) if a.get("title", "").startswith("Manage")], "attendees see no facilitator buttons"
    assert url_of(card, "Subscribe in my calendar").startswith("webcal://")


async def test_viewer_in_another_zone_sees_local_times(harness):
    activity = factories.execute("sessions.browse", {}, ALICE, service_url=harness.connector.url)
    activity["entities"] = [{"type": "clientInfo", "locale": "en-US", "timezone": "America/New_York"}]
    card = (await (await harness.post(activity)).json())["value"]
    assert "Friday 11 December 2026, 09:00 to 11:00 (America/New_York)" in texts(card)


async def test_facilitators_see_manage_and_new_session(harness):
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.browse", person=FACILITATOR)
    titles = [a.get("title") for a in actions(card)]
    assert "Manage Friday 11 December" in titles and "New session" in titles


# --- registering ------------------------------------------------------------------------------

async def test_register_form_is_prefilled_with_my_teams_name(harness):
    sid = await first_session(harness)
    card = await card_of(harness, "sessions.register.form", {"session_id": sid})
    name_input = next(i for i in card["body"] if i.get("id") == "name")
    assert name_input["value"] == ALICE.name


async def test_bad_input_returns_the_form_with_a_message_and_saves_nothing(harness):
    sid = await first_session(harness)
    cases = [({"organisation": ""}, "Please give your organisation."),
             ({"name": "   "}, "Please give your name."),
             ({"role": "x" * 201}, "200 characters or fewer"),
             ({"hopes": "x" * 1001}, "1000 characters or fewer")]
    for change, message in cases:
        card = await register(harness, sid, **change)
        assert message in texts(card), change
        assert card["body"][0]["text"].startswith("Register")
    assert await count(harness, Registration) == 0
    card = await register(harness, "no-such-session")
    assert "not open" in texts(card) or "no longer exists" in texts(card)
    assert await count(harness, Registration) == 0


async def test_registration_confirms_with_agenda_and_calendar_file(harness):
    sid = await first_session(harness)
    card = await register(harness, sid)
    shown = texts(card)
    assert "You're registered" in shown
    assert "Friday 11 December 2026, 14:00 to 16:00 (Europe/London)" in shown
    assert "Housekeeping" in shown and "15:50" in shown, "the agenda, in my local time"
    [registration] = await rows(harness, Registration)
    assert (registration.organisation, registration.status) == ("Somerset NHS FT", "registered")
    assert await count(harness, SeriesSubscription) == 1, "asked to hear about future sessions"
    keys = sorted(m.idempotency_key.rsplit(":", 1)[-1] for m in await rows(harness, OutboxMessage))
    assert keys == ["1d", "1h", "7d", "starting"]

    resp = await harness.client.get(path_of(url_of(card, "Add to calendar")))
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/calendar")
    ics = (await resp.text()).replace("\r\n ", "")
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Europe/London" in ics
    assert "DTSTART;TZID=Europe/London:20261211T140000" in ics
    assert "DTEND;TZID=Europe/London:20261211T160000" in ics


async def test_calendar_links_cannot_be_guessed_or_tampered_with(harness):
    sid = await first_session(harness)
    assert (await harness.client.get(f"/calendar/session/{sid}.ics")).status == 404
    token = harness.components.services.links.token("session_ics", sid)
    payload, signature = token.split(".")
    tampered = ("y" if signature[0] == "x" else "x") + signature[1:]  # always a different signature
    assert (await harness.client.get(f"/calendar/session/{payload}.{tampered}.ics")).status == 404
    assert (await harness.client.get(f"/calendar/session/{token}.ics")).status == 200
    other_purpose = harness.components.services.links.token("register_csv", sid)
    assert (await harness.client.get(f"/calendar/session/{other_purpose}.ics")).status == 404


async def test_series_feed_lists_every_session_without_joining_links(harness):
    sid = await first_session(harness)
    async with harness.components.services.db() as db, db.begin():
        space = await db.get(Meeting, sid)
        space.joining_url = "https://teams.example/meet/secret"
        series_id = space.series_id
    token = harness.components.services.links.token("series_ics", series_id)
    ics = await (await harness.client.get(f"/calendar/series/{token}.ics")).text()
    assert ics.count("BEGIN:VEVENT") == 2
    assert "secret" not in ics


async def test_registering_twice_updates_the_same_place(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    card = await register(harness, sid, organisation="Another Trust")
    assert "Your registration is updated" in texts(card)
    [registration] = await rows(harness, Registration)
    assert registration.organisation == "Another Trust"


async def test_closed_registration_is_refused(harness):
    sid = await first_session(harness)
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(Meeting).values(status="registration_closed"))
    card = await register(harness, sid)
    assert "not open" in texts(card)
    assert await count(harness, Registration) == 0


# --- capacity and waitlist -------------------------------------------------------------------

async def test_full_session_waitlists_and_a_cancellation_promotes_the_first(harness, clock):
    sid = await first_session(harness)
    await harness.say("hi", BOB)
    carol = Person("29:carol", "aad-carol", "Carol Example")
    await harness.say("hi", carol)
    await set_capacity(harness, sid, 1)
    assert "You're registered" in texts(await register(harness, sid, ALICE))
    clock.advance(timedelta(seconds=1))
    card = await register(harness, sid, BOB)
    assert "You're on the waitlist" in texts(card) and "number 1" in texts(card)
    clock.advance(timedelta(seconds=1))
    assert "number 2" in texts(await register(harness, sid, carol))
    bob_id = (await rows(harness, User.id, User.teams_id == BOB.teams_id))[0]
    assert await count(harness, OutboxMessage, OutboxMessage.user_id == bob_id) == 0, "no reminders while waiting"

    card = await card_of(harness, "sessions.withdraw", {"session_id": sid}, ALICE)
    assert "Your place has been cancelled" in texts(card)
    statuses = {r.name: r.status for r in await rows(harness, Registration)}
    assert statuses == {"": "withdrawn", BOB.name: "registered", carol.name: "waitlisted"}, \
        "a withdrawn registration keeps none of the details typed"
    alice_id = (await rows(harness, User.id, User.teams_id == ALICE.teams_id))[0]
    pending = await rows(harness, OutboxMessage, OutboxMessage.user_id == alice_id, OutboxMessage.status == "pending")
    assert pending == [], "the withdrawn person's reminders are cancelled"
    bob_rows = await rows(harness, OutboxMessage, OutboxMessage.user_id == bob_id)
    kinds = sorted(m.kind for m in bob_rows)
    assert kinds == ["card", "session_reminder", "session_reminder", "session_reminder", "session_starting"]
    notice = next(m for m in bob_rows if m.kind == "card")
    assert "A place has opened up for you" in json.dumps(notice.payload)

    await harness.components.dispatcher.drain()
    assert any("A place has opened up" in texts(c) for s in harness.connector.to(BOB.conversation_id)
               for c in s.cards)


async def test_my_sessions_lists_and_cancels(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    card = await card_of(harness, "sessions.mine")
    assert "You have a place" in texts(card)
    assert "Stop telling me about new sessions" in [a.get("title") for a in actions(card)]
    card = await card_of(harness, "sessions.unsubscribe")
    assert "no longer hear" in texts(card)
    assert await count(harness, SeriesSubscription) == 0
    card = await card_of(harness, "sessions.withdraw", {"session_id": sid})
    assert "no places booked" in texts(card)
    card = await card_of(harness, "sessions.withdraw", {"session_id": sid})
    assert "don't have a place" in texts(card)
    assert await count(harness, OutboxMessage, OutboxMessage.status == "pending") == 0
    assert "You're registered" in texts(await register(harness, sid)), "taking the place back"
    assert await count(harness, OutboxMessage, OutboxMessage.status == "pending") == 4


async def test_my_data_lists_and_erases_registrations_and_frees_the_place(harness):
    sid = await first_session(harness)
    await harness.say("hi", BOB)
    await set_capacity(harness, sid, 1)
    await register(harness, sid, ALICE)
    await register(harness, sid, BOB)
    await harness.say("my data", ALICE)
    card = harness.connector.sent[-1].cards[0]
    assert "Session registration" in texts(card) and "You have a place" in texts(card)
    await harness.press("my_data.delete", person=ALICE)
    await harness.press("my_data.delete.confirm", person=ALICE)
    [left] = await rows(harness, Registration)
    assert (left.name, left.status) == (BOB.name, "registered")
    assert await count(harness, SeriesSubscription, SeriesSubscription.user_id != left.user_id) == 0
