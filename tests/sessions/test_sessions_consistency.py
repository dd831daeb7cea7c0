"""One rule wherever it applies: a withdrawal that changes nothing leaves the session (and its
calendar SEQUENCE) as it was, and reminders follow the attendee's zone on every path."""

from __future__ import annotations

from datetime import datetime, timezone

from storage.sessions.recurrence import ReminderOffset, reminder_instant
from storage.models import OutboxMessage
from storage.sessions.models import Meeting
from tests import factories
from tests.factories import ALICE, BOB, FACILITATOR
from tests.sessions.test_sessions_admin import NEW, save
from tests.sessions.test_sessions_day import delivery
from tests.sessions.test_sessions_register import FORM, card_of, first_session, register, rows, texts

UTC = timezone.utc
NEW_YORK = "America/New_York"
SEVEN_DAYS = ReminderOffset.parse("7d")


async def _version(harness, session_id: str) -> int:
    return (await rows(harness, Meeting.version, Meeting.id == session_id))[0]


async def test_withdrawing_without_a_place_leaves_the_session_version_alone(harness):
    sid = await first_session(harness)
    await register(harness, sid, ALICE)
    before = await _version(harness, sid)
    card = await card_of(harness, "sessions.withdraw", {"session_id": sid}, BOB)
    assert "don't have a place" in texts(card)
    assert await _version(harness, sid) == before, "nothing changed, so the .ics SEQUENCE must not move"
    await card_of(harness, "sessions.withdraw", {"session_id": sid}, ALICE)
    assert await _version(harness, sid) == before + 1
    await card_of(harness, "sessions.withdraw", {"session_id": sid}, ALICE)
    assert await _version(harness, sid) == before + 1, "a second withdrawal changes nothing either"


async def _press_in_zone(harness, verb: str, data: dict, person, zone: str) -> dict:
    activity = factories.execute(verb, data, person, service_url=harness.connector.url)
    activity["entities"] = [{"type": "clientInfo", "locale": "en-US", "timezone": zone}]
    return (await (await harness.post(activity)).json())["value"]


async def _seven_day_due(harness) -> datetime:
    return (await rows(harness, OutboxMessage.due_at, OutboxMessage.idempotency_key.endswith(":7d"),
                       OutboxMessage.status == "pending"))[0]


async def test_a_seven_day_reminder_follows_the_attendees_zone_on_every_path(harness, clock):
    await harness.say("hi", FACILITATOR)
    await save(harness, {**NEW, "date": "2027-03-12", "capacity": ""})
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    await card_of(harness, "sessions.open", {"session_id": space.id}, FACILITATOR)
    await _press_in_zone(harness, "sessions.register.submit", {**FORM, "session_id": space.id}, ALICE, NEW_YORK)
    assert await _seven_day_due(harness) == reminder_instant(space.starts_at, NEW_YORK, SEVEN_DAYS)

    # Moved to 19 March, 14:00 in London: New York's clocks went forward on the 14th, London's
    # not until the 28th, so a week before at the same wall-clock time differs by an hour.
    await save(harness, {**NEW, "date": "2027-03-19", "capacity": ""}, space.id)
    [moved] = await rows(harness, Meeting, Meeting.id == space.id)
    ny_rule = reminder_instant(moved.starts_at, NEW_YORK, SEVEN_DAYS)
    assert ny_rule == datetime(2027, 3, 12, 15, tzinfo=UTC) != reminder_instant(
        moved.starts_at, moved.time_zone, SEVEN_DAYS)
    assert await _seven_day_due(harness) == ny_rule, "re-queued after the move"

    async with harness.components.services.db() as db, db.begin():
        await db.execute(OutboxMessage.__table__.delete())
    clock.set(datetime(2027, 3, 11, 15, tzinfo=UTC))  # within the safety net's horizon
    assert (await delivery(harness).tick())["queued"] >= 1
    assert await _seven_day_due(harness) == ny_rule, "queued again by the periodic safety net"
