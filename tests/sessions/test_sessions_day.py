"""Reminders and the day itself, through the outbox: right instants across clock changes,
nothing stale, "starting now" and "I'm here", facilitator register, feedback requests queued at
the end, reminders surviving a restart, planning reminders, and the last place on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from dialogs.sessions.delivery import SessionsDelivery
from storage.sessions import repository as repo
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, User
from storage.sessions.models import Meeting, Registration, Series
from tests.conftest import start_harness
from tests.factories import ALICE, BOB, FACILITATOR
from tests.sessions.test_sessions_admin import NEW, save, user_id
from tests.sessions.test_sessions_register import card_of, first_session, register, rows, texts

UTC = timezone.utc


def delivery(harness) -> SessionsDelivery:
    from dialogs.sessions.common import SessionsConfig

    services = harness.components.services
    return SessionsDelivery(services, SessionsConfig.load(services.content))


def cards_to(harness, person) -> list[dict]:
    return [c for s in harness.connector.to(person.conversation_id) for c in s.cards]


async def test_reminders_at_the_right_instants_across_the_spring_clock_change(harness, clock):
    await harness.say("hi", FACILITATOR)
    await harness.say("hi", ALICE)
    # A session on Friday 2 April 2027, the week after the clocks go forward.
    await save(harness, {**NEW, "date": "2027-04-02", "capacity": ""})
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    await card_of(harness, "sessions.open", {"session_id": space.id}, FACILITATOR)
    await register(harness, space.id)
    due = {m.idempotency_key.rsplit(":", 1)[-1]: m.due_at for m in await rows(harness, OutboxMessage)}
    assert due == {"7d": datetime(2027, 3, 26, 14, tzinfo=UTC),  # 14:00 GMT
                   "1d": datetime(2027, 4, 1, 13, tzinfo=UTC),  # 14:00 BST
                   "1h": datetime(2027, 4, 2, 12, tzinfo=UTC),
                   "starting": datetime(2027, 4, 2, 13, tzinfo=UTC)}


async def test_reminders_are_delivered_with_the_link_and_never_when_stale(harness, clock):
    await harness.say("hi", FACILITATOR)
    await harness.say("hi", ALICE)
    await save(harness, {**NEW, "date": "2026-12-04"})
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    await card_of(harness, "sessions.open", {"session_id": space.id}, FACILITATOR)
    await register(harness, space.id)
    # The bot was down from before the 7-day reminder until 30 minutes before the start.
    clock.set(datetime(2026, 12, 4, 13, 30, tzinfo=UTC))
    stats = await harness.components.dispatcher.drain()
    assert (stats.sent, stats.expired) == (1, 2), "7d and 1d are past their use; 1h still useful"
    [reminder] = cards_to(harness, ALICE)[-1:]
    assert "Reminder: Starting in 1 hour(s)" in texts(reminder)
    assert any(a.get("url") == NEW["joining_url"] for a in reminder["actions"])


async def test_reminders_queued_before_a_restart_are_sent_after_it(settings, connector, clock):
    first = await start_harness(settings, connector, clock)
    sid = await first_session(first)
    await register(first, sid)
    await first.client.close()
    clock.set(datetime(2026, 12, 10, 14, 5, tzinfo=UTC))  # just after the 1-day reminder fell due
    second = await start_harness(settings, connector, clock)
    try:
        stats = await second.components.dispatcher.drain()
        assert stats.sent == 1
        assert "Reminder: 1 day(s) to go" in texts(cards_to(second, ALICE)[-1])
    finally:
        await second.client.close()


async def test_starting_card_im_here_register_and_feedback_request_at_the_end(harness, clock):
    sid = await first_session(harness)
    await harness.say("hi", BOB)
    await register(harness, sid, ALICE)
    await register(harness, sid, BOB)
    clock.set(datetime(2026, 12, 11, 14, 0, tzinfo=UTC))
    await harness.components.dispatcher.drain()
    [starting] = [c for c in cards_to(harness, ALICE) if "Starting now" in texts(c)]
    assert not any("Reminder" in texts(c) for c in cards_to(harness, ALICE)), "no reminder once it has started"
    shown = texts(starting)
    assert "Starting now" in shown and "Please stay on mute unless you are speaking." in shown
    assert "Respect privacy" in shown and "This session is not recorded." in shown
    card = await card_of(harness, "sessions.here", {"session_id": sid})
    assert "you're in the register" in texts(card)

    # The facilitator ticks Bob in; an id from elsewhere is refused.
    await harness.say("hi", FACILITATOR)
    await card_of(harness, "sessions.attendance", {"session_id": sid}, FACILITATOR)
    bad = await card_of(harness, "sessions.attendance.save", {"session_id": sid, "attended": "nobody"}, FACILITATOR)
    assert "Choose people from the list" in texts(bad)
    regs = {r.name: r for r in await rows(harness, Registration)}
    ids = f"{regs[ALICE.name].id},{regs[BOB.name].id}"
    card = await card_of(harness, "sessions.attendance.save", {"session_id": sid, "attended": ids}, FACILITATOR)
    assert "The register is saved" in texts(card)

    clock.set(datetime(2026, 12, 11, 16, 1, tzinfo=UTC))
    result = await delivery(harness).tick()
    assert result["finished"] == 1
    [space] = await rows(harness, Meeting, Meeting.id == sid)
    assert space.status == "held"
    requests = await rows(harness, OutboxMessage, OutboxMessage.kind == "feedback_request")
    expected = [f"feedback_request:{sid}:{await user_id(harness, ALICE)}",
                f"feedback_request:{sid}:{await user_id(harness, BOB)}"]
    assert sorted(r.idempotency_key for r in requests) == sorted(expected)
    assert all(r.payload == {"session_id": sid} for r in requests)
    assert all(r.not_after - r.due_at == timedelta(days=14) for r in requests)
    assert (await delivery(harness).tick())["finished"] == 0, "the end is handled once"
    assert len(await rows(harness, OutboxMessage, OutboxMessage.kind == "feedback_request")) == 2


async def test_im_here_outside_the_session_records_nothing(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid)
    await harness.press("sessions.here", {"session_id": sid})
    assert "opens on Friday 11 December 2026 at 13:30" in texts(harness.connector.sent[-1].cards[0])
    assert (await rows(harness, Registration))[0].attended_at is None


async def test_facilitators_are_reminded_when_next_quarter_has_no_session(harness, clock):
    await harness.say("hi", FACILITATOR)
    await harness.say("hi", ALICE)
    jobs = delivery(harness)
    assert (await jobs.tick())["nudged"] == 0, "December: Q1 2027 has the 5 March session"
    clock.set(datetime(2027, 2, 10, 9, tzinfo=UTC))
    assert (await jobs.tick())["nudged"] == 1
    assert (await jobs.tick())["nudged"] == 0, "once per quarter"
    [row] = await rows(harness, OutboxMessage, OutboxMessage.idempotency_key.startswith("sessions_plan:"))
    assert row.user_id == await user_id(harness, FACILITATOR)
    assert "Friday 4 June 2027, 14:00 to 16:00" in str(row.payload)


async def test_two_people_taking_the_last_place_at_once_on_postgres(pg_url):
    engine = create_engine(pg_url)
    open_db = create_sessionmaker(engine)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    try:
        async with open_db() as db, db.begin():
            series = Series(name="s")
            db.add(series)
            await db.flush()
            people = [User(teams_id=f"29:p{i}", name=f"P{i}") for i in range(8)]
            db.add_all(people)
            spaces = [Meeting(series_id=series.id, title=f"t{i}", starts_at=now + timedelta(days=30),
                              ends_at=now + timedelta(days=30, hours=2), status="registration_open",
                              capacity=1) for i in range(4)]
            db.add_all(spaces)
            await db.flush()
            pairs = [(s.id, people[2 * i].id, people[2 * i + 1].id) for i, s in enumerate(spaces)]

        async def take(space_id: str, uid: str) -> str:
            async with open_db() as db, db.begin():
                details = repo.RegistrationDetails("n", "o", "r", "", "", "", False)
                result = await repo.register(db, space_id, uid, details, now)
                await asyncio.sleep(0.05)  # hold the lock while the other one arrives
                return result.status

        for space_id, a, b in pairs:
            outcomes = await asyncio.gather(take(space_id, a), take(space_id, b))
            assert sorted(outcomes) == ["registered", "waitlisted"]
        async with open_db() as db:
            taken = await db.scalar(select(Registration).where(Registration.status == "registered").limit(1))
            assert taken is not None
    finally:
        await engine.dispose()


async def test_facilitators_reach_the_register_after_the_session(harness, clock):
    sid = await first_session(harness)
    await harness.say("hi", FACILITATOR)
    clock.set(datetime(2026, 12, 11, 17, tzinfo=UTC))
    await delivery(harness).tick()
    card = await card_of(harness, "sessions.browse", person=FACILITATOR)
    assert "Recent sessions (facilitators)" in texts(card)
    assert "Recent sessions" not in texts(await card_of(harness, "sessions.browse", person=ALICE))
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    titles = [a.get("title") for a in card.get("actions", [])] + texts(card).split("\n")
    assert "Download register (CSV)" in titles and "Edit or reschedule" not in titles


async def test_the_periodic_job_is_registered_and_fills_in_missing_reminders(harness, clock):
    assert "sessions.tick" in harness.components.scheduler.job_ids
    sid = await first_session(harness)
    await register(harness, sid)
    async with harness.components.services.db() as db, db.begin():
        await db.execute(OutboxMessage.__table__.delete())
    assert (await delivery(harness).tick())["queued"] == 0, "18 days ahead: beyond the horizon"
    clock.set(datetime(2026, 12, 3, 15, tzinfo=UTC))
    assert (await delivery(harness).tick())["queued"] == 4
    assert (await delivery(harness).tick())["queued"] == 0


async def test_you_said_we_did_reaches_the_starting_and_announcement_cards(harness, clock):
    from storage.feedback.you_said import FeedbackAction

    sid = await first_session(harness)
    await register(harness, sid, ALICE)
    async with harness.components.services.db() as db, db.begin():
        space = await db.get(Meeting, sid)
        db.add(FeedbackAction(series_id=space.series_id, theme_id="session_format",
                              action="We now share the slides a week before each session."))
        space_copy = space
    clock.set(datetime(2026, 12, 11, 14, 0, tzinfo=UTC))
    await harness.components.dispatcher.drain()
    [starting] = [c for c in cards_to(harness, ALICE) if "Starting now" in texts(c)]
    assert "You said, we did" in texts(starting)
    assert "We now share the slides a week before each session." in texts(starting)

    from storage.sessions.events import stamp
    from storage.outbox import ClaimedMessage

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # an announcement goes out before the day
    message = ClaimedMessage(id=0, kind="session_announcement", user_id=await user_id(harness, ALICE),
                             conversation_id=None, payload={"session_id": sid, "starts_at": stamp(space_copy)},
                             due_at=clock.now(), not_after=None, attempts=1, claim_token="t")
    async with harness.components.services.db() as db:
        activity = await delivery(harness).render_announcement(db, message)
    announcement = activity.attachments[0].content
    assert "We now share the slides a week before each session." in texts(announcement)
