"""A peer lead sets up a group; invitations arrive (and wait for people who have not installed);
answers, "I'm here" only during the meeting, the register, one attendance record per person and
meeting, reminders at local times, the rota facilitator's reminder, moving and cancelling one
meeting, and the calendar feed over HTTP. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from storage.coreflections.events import REMINDER, ROTA, INVITATION, reach_person
from storage.coreflections.models import CoReflectionMember, CoReflectionResponse, OccurrenceStatus
from storage.models import OutboxStatus
from storage.people.models import Person as PersonRow, RecordStatus, SupervisionType
from storage.people.repository import ensure_person
from storage.models import User
from tests.coreflections.helpers import (
    CAROL, FORM, LEAD, cards_to, group_row, make_group, occurrences, outbox, person_id, records, run_tick,
    send_due, text_of, user_id,
)
from tests.factories import ALICE, BOB

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
FIRST = datetime(2026, 12, 1, 10, tzinfo=UTC)  # Tuesday 1 December 2026, 10:00 London (GMT)


async def test_a_peer_lead_creates_a_group_and_installed_members_are_invited(harness, clock):
    body = await make_group(harness)
    shown = text_of(body)
    assert "2 invited now; 1 not yet" in shown
    assert "The first Tuesday of each month, 10:00 to 11:00 (Europe/London)" in shown
    group = await group_row(harness)
    assert (group.rrule, group.starts_on, group.start_time, group.minutes) == \
        ("FREQ=MONTHLY;BYDAY=+1TU", date(2026, 12, 1), "10:00", 60)
    await harness.components.dispatcher.drain()
    for member in (ALICE, BOB):
        card = text_of(cards_to(harness, member))
        assert "You're invited: North ward co-reflection" in card and "Lena Lead" in card
        assert "Tuesday 1 December 2026, 10:00 to 11:00" in card and "coreflections.rsvp" in card
        assert "webcal://" in card
    assert not harness.connector.to(CAROL.conversation_id)
    # The rota follows the members' order: Alice, Bob, Carol, then Alice again.
    async with harness.components.services.db() as db:
        await run_tick(harness)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    await harness.press("coreflections.group", {"group_id": group.id}, LEAD)
    rota = [o.facilitator_id for o in await occurrences(harness)]
    ids = [await person_id(harness, p) for p in (ALICE, BOB, CAROL)]
    assert rota[:4] == [ids[0], ids[1], ids[2], ids[0]]


async def test_someone_picked_before_installing_is_invited_when_they_do(harness, clock):
    await make_group(harness)
    assert len(await outbox(harness, INVITATION)) == 2
    await harness.say("hi", CAROL)  # her first turn: the "person appeared" hooks link and invite her
    assert len(await outbox(harness, INVITATION)) == 3
    await harness.say("co-reflections", CAROL)  # her first look here invites nobody twice
    await harness.components.dispatcher.drain()
    assert "You're invited: North ward co-reflection" in text_of(cards_to(harness, CAROL))
    assert len(await outbox(harness, INVITATION)) == 3
    await run_tick(harness)
    assert len(await outbox(harness, INVITATION)) == 3, "invited once"


async def test_reach_person_is_the_hook_for_people_who_install(harness, clock):
    await make_group(harness)
    await harness.say("hi", CAROL)
    async with harness.components.services.db() as db, db.begin():
        user = await db.scalar(select(User).where(User.teams_id == CAROL.teams_id))
        carol = await ensure_person(db, user)
        # The "person appeared" hook already called it on her first turn: nothing is queued twice.
        assert await reach_person(db, carol.id, clock.now()) == 0
    # The periodic job does the same for anyone linked by other means.
    await run_tick(harness)
    assert len(await outbox(harness, INVITATION)) == 3


async def test_each_bad_field_is_named_and_nothing_is_saved(harness, clock):
    bad = {"name": "", "members": "", "joining_url": "http://insecure.example/x", "frequency": "daily",
           "weekday": "XX", "starts_on": "2020-01-01", "start": "25:00", "minutes": "7", "zone": "Mars/Base"}
    body = await make_group(harness, **bad)
    shown = text_of(body)
    for label in ("Name:", "Members:", "Joining link:", "How often:", "Day:", "Starting from:", "Start time:",
                  "Length:", "Time zone:"):
        assert label in shown, label
    async with harness.components.services.db() as db:
        assert await db.scalar(select(PersonRow.id).where(PersonRow.aad_object_id == CAROL.aad)) is None
    assert not await occurrences(harness)
    assert not await outbox(harness, INVITATION)
    # One bad field alone is named alone.
    body = await harness.press("coreflections.create", {**FORM, "joining_url": "javascript:alert(1)"}, LEAD)
    assert "Joining link:" in text_of(body) and "Time zone:" not in text_of(body)
    # A known person's id that does not exist is refused, not created.
    body = await harness.press("coreflections.create", {**FORM, "members": "p:" + "0" * 32}, LEAD)
    assert "Members:" in text_of(body)
    assert not await occurrences(harness)


async def test_the_fallback_people_list_offers_people_the_bot_knows(harness, clock):
    await make_group(harness)
    body = await harness.press("coreflections.new", {}, LEAD)
    picker = next(i for i in body["value"]["body"] if i.get("id") == "members")
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert {c["value"] for c in picker["choices"]} >= {ALICE.aad, BOB.aad}
    # A picked fallback choice for someone known only by id resolves too.
    async with harness.components.services.db() as db, db.begin():
        known = PersonRow(email="dee@nhs.example", name="Dee Email")
        db.add(known)
        await db.flush()
        dee = known.id
    body = await harness.press("coreflections.create", {**FORM, "name": "Second", "members": f"p:{dee}"}, LEAD)
    assert "1 not yet" in text_of(body)


async def test_answers_and_a_not_going_member_gets_no_reminder(harness, clock):
    await make_group(harness)
    first = (await occurrences(harness))[0]
    assert first.starts_at == FIRST
    body = await harness.press("coreflections.rsvp", {"occurrence_id": first.id, "answer": "not_going"}, ALICE)
    assert "You said: not going" in text_of(body)
    body = await harness.press("coreflections.rsvp", {"occurrence_id": first.id, "answer": "going"}, BOB)
    assert "You said: going" in text_of(body)
    body = await harness.press("coreflections.rsvp", {"occurrence_id": first.id, "answer": "maybe"}, BOB)
    async with harness.components.services.db() as db:
        answers = {r.person_id: r.answer for r in await db.scalars(select(CoReflectionResponse))}
    assert sorted(answers.values()) == ["going", "not_going"]
    # The day before at 09:00 local, and 15 minutes before.
    due = sorted({(m.due_at, m.payload["which"]) for m in await outbox(harness, REMINDER)})
    assert due == [(datetime(2026, 11, 30, 9, tzinfo=UTC), "day"), (datetime(2026, 12, 1, 9, 45, tzinfo=UTC), "soon")]
    harness.connector.sent.clear()
    await send_due(harness, clock, datetime(2026, 11, 30, 9, 1, tzinfo=UTC))
    assert "Tomorrow: North ward co-reflection" in text_of(cards_to(harness, BOB))
    assert "Tomorrow" not in text_of(cards_to(harness, ALICE))


async def test_reminders_go_at_each_members_local_time(harness, clock):
    await make_group(harness)
    async with harness.components.services.db() as db, db.begin():
        bob = await db.scalar(select(User).where(User.teams_id == BOB.teams_id))
        bob.time_zone = "America/New_York"
    await run_tick(harness)
    async with harness.components.services.db() as db, db.begin():
        from storage.models import OutboxMessage
        await db.execute(OutboxMessage.__table__.delete().where(OutboxMessage.kind == REMINDER))
    await run_tick(harness)
    bob_id = await user_id(harness, BOB)
    bob_day = [m.due_at for m in await outbox(harness, REMINDER) if m.user_id == bob_id and m.payload["which"] == "day"]
    assert bob_day == [datetime(2026, 11, 30, 14, tzinfo=UTC)]  # 09:00 in New York


async def test_im_here_only_during_the_meeting_and_the_record_is_written_once(harness, clock):
    await make_group(harness)
    first = (await occurrences(harness))[0]
    clock.set(FIRST - timedelta(minutes=30))
    body = await harness.press("coreflections.here", {"occurrence_id": first.id}, ALICE)
    assert "works from 10 minutes before" in text_of(body)
    assert not await records(harness)
    clock.set(FIRST + timedelta(minutes=5))
    body = await harness.press("coreflections.here", {"occurrence_id": first.id}, ALICE)
    assert "You are marked as here" in text_of(body)
    body = await harness.press("coreflections.here", {"occurrence_id": first.id}, ALICE)
    assert "already marked" in text_of(body)
    # The lead's register ticks Alice (already there) and Bob.
    alice, bob = await person_id(harness, ALICE), await person_id(harness, BOB)
    body = await harness.press("coreflections.register", {"occurrence_id": first.id}, LEAD)
    assert alice in body["value"]["body"][-1]["value"]
    await harness.press("coreflections.register.save", {"occurrence_id": first.id, "attended": f"{alice},{bob}"}, LEAD)
    written = await records(harness)
    assert sorted(r.worker_id for r in written) == sorted([alice, bob])
    for record in written:
        assert (record.type, record.status, record.source, record.held_on, record.minutes) == \
            (SupervisionType.CO_REFLECTION, RecordStatus.CONFIRMED, first.id, date(2026, 12, 1), 60)
        assert record.confirmed_at is not None
    # Unticking a mistaken mark takes its record away; after the end "I'm here" is refused.
    await harness.press("coreflections.register.save", {"occurrence_id": first.id, "attended": alice}, LEAD)
    assert [r.worker_id for r in await records(harness)] == [alice]
    clock.set(FIRST + timedelta(minutes=61))
    body = await harness.press("coreflections.here", {"occurrence_id": first.id}, BOB)
    assert "works from" in text_of(body)
    assert [r.worker_id for r in await records(harness)] == [alice]


async def test_the_register_refuses_people_outside_the_group_and_future_meetings(harness, clock):
    await make_group(harness)
    first = (await occurrences(harness))[0]
    body = await harness.press("coreflections.register.save", {"occurrence_id": first.id,
                                                               "attended": await person_id(harness, ALICE)}, LEAD)
    assert "once the meeting is about to start" in text_of(body)
    clock.set(FIRST)
    body = await harness.press("coreflections.register.save", {"occurrence_id": first.id, "attended": "stranger"}, LEAD)
    assert "Only the group's members" in text_of(body)
    assert not await records(harness)


async def test_the_rota_facilitator_is_reminded_the_week_before(harness, clock):
    await make_group(harness)
    rota = await outbox(harness, ROTA)
    assert [(m.user_id, m.due_at) for m in rota] == [(await user_id(harness, ALICE),
                                                      datetime(2026, 11, 24, 9, tzinfo=UTC))]
    await send_due(harness, clock, datetime(2026, 11, 24, 9, 1, tzinfo=UTC))
    assert "You're facilitating North ward co-reflection next week" in text_of(cards_to(harness, ALICE))
    assert "facilitating" not in text_of(cards_to(harness, BOB))
    # January's meeting is Bob's turn; the job queues it once it comes within reach.
    clock.set(datetime(2026, 12, 28, 9, tzinfo=UTC))
    await run_tick(harness)
    assert (await outbox(harness, ROTA))[-1].user_id == await user_id(harness, BOB)


async def test_moving_one_meeting_tells_members_and_reminders_follow(harness, clock):
    await make_group(harness)
    first, second = (await occurrences(harness))[:2]
    old_keys = {m.idempotency_key for m in await outbox(harness, REMINDER)}
    body = await harness.press("coreflections.move", {"occurrence_id": first.id, "date": "2026-12-03",
                                                      "time": "14:00"}, LEAD)
    assert "moved, and every member is told" in text_of(body)
    pending = {m.idempotency_key: m for m in await outbox(harness, REMINDER) if m.status == OutboxStatus.PENDING}
    assert not old_keys & set(pending)
    assert sorted(m.due_at for m in pending.values()) == [datetime(2026, 12, 2, 9, tzinfo=UTC)] * 2 + \
        [datetime(2026, 12, 3, 13, 45, tzinfo=UTC)] * 2
    await harness.components.dispatcher.drain()
    notice = text_of(cards_to(harness, ALICE))
    assert "Moved: North ward co-reflection" in notice
    assert "Tuesday 1 December 2026, 10:00 to 11:00" in notice and "Thursday 3 December 2026, 14:00 to 15:00" in notice
    # No reminder goes at the old time (the rota's, for the new date, does); the members' go the
    # day before the new date.
    harness.connector.sent.clear()
    await send_due(harness, clock, datetime(2026, 11, 30, 9, 5, tzinfo=UTC))
    sent = text_of([s.activity for s in harness.connector.sent])
    assert "Tomorrow" not in sent and "1 December" not in sent
    assert "Thursday 3 December 2026, 14:00 to 15:00" in text_of(cards_to(harness, ALICE))
    await send_due(harness, clock, datetime(2026, 12, 2, 9, 1, tzinfo=UTC))
    assert "Thursday 3 December 2026, 14:00 to 15:00" in text_of(cards_to(harness, BOB))
    rows = await occurrences(harness)
    moved = next(o for o in rows if o.id == first.id)
    assert (moved.status, moved.original_start) == (OccurrenceStatus.MOVED, FIRST)
    untouched = next(o for o in rows if o.id == second.id)
    assert (untouched.status, untouched.starts_at) == (OccurrenceStatus.SCHEDULED, datetime(2027, 1, 5, 10, tzinfo=UTC))
    # A bad time is named and changes nothing.
    body = await harness.press("coreflections.move", {"occurrence_id": second.id, "date": "2027-01-07",
                                                      "time": "nope"}, LEAD)
    assert "New start time:" in text_of(body)
    body = await harness.press("coreflections.move", {"occurrence_id": second.id, "date": "2020-01-07",
                                                      "time": "10:00"}, LEAD)
    assert "must be in the future" in text_of(body)
    assert (await occurrences(harness))[1].status == OccurrenceStatus.SCHEDULED


async def test_cancelling_one_meeting_asks_first_then_tells_members(harness, clock):
    await make_group(harness)
    first = (await occurrences(harness))[0]
    body = await harness.press("coreflections.cancel", {"occurrence_id": first.id}, LEAD)
    assert "Every member is told" in text_of(body)
    assert (await occurrences(harness))[0].status == OccurrenceStatus.SCHEDULED
    await harness.press("coreflections.cancel.confirm", {"occurrence_id": first.id}, LEAD)
    assert (await occurrences(harness))[0].status == OccurrenceStatus.CANCELLED
    assert not [m for m in await outbox(harness, REMINDER) if m.status == OutboxStatus.PENDING]
    assert not [m for m in await outbox(harness, ROTA) if m.status == OutboxStatus.PENDING]
    await harness.components.dispatcher.drain()
    for member in (ALICE, BOB):
        assert "Cancelled: North ward co-reflection" in text_of(cards_to(harness, member))
    body = await harness.press("coreflections.here", {"occurrence_id": first.id}, ALICE)
    assert "works from" in text_of(body)
    body = await harness.press("coreflections.rsvp", {"occurrence_id": first.id, "answer": "going"}, ALICE)
    assert "already happened, or was cancelled" in text_of(body)


async def test_the_calendar_feed_over_http_follows_moves_and_cancellations(harness, clock):
    await make_group(harness)
    group = await group_row(harness)
    first, second = (await occurrences(harness))[:2]
    await harness.press("coreflections.move", {"occurrence_id": second.id, "date": "2027-01-06", "time": "15:00"}, LEAD)
    await harness.press("coreflections.cancel.confirm", {"occurrence_id": first.id}, LEAD)
    body = await harness.press("coreflections.group", {"group_id": group.id}, ALICE)
    feed = next(a["url"] for i in body["value"]["body"] if i.get("type") == "ActionSet"
                for a in i["actions"] if a.get("url", "").startswith("webcal://"))
    resp = await harness.client.get("/" + feed.split("//", 1)[1].split("/", 1)[1])
    assert resp.status == 200 and resp.content_type == "text/calendar"
    cal = Calendar.from_ical(await resp.read())
    master = next(e for e in cal.walk("VEVENT") if "RRULE" in e)
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=+1TU"
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2026, 12, 1, 10, tzinfo=LONDON)]
    moved = next(e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e)
    assert moved.decoded("RECURRENCE-ID") == datetime(2027, 1, 5, 10, tzinfo=LONDON)
    assert moved.decoded("DTSTART") == datetime(2027, 1, 6, 15, tzinfo=LONDON)
    # A member who leaves stops getting the feed.
    async with harness.components.services.db() as db, db.begin():
        alice = await db.scalar(select(CoReflectionMember).where(
            CoReflectionMember.person_id == await person_id(harness, ALICE)))
        await db.delete(alice)
    resp = await harness.client.get("/" + feed.split("//", 1)[1].split("/", 1)[1])
    assert resp.status == 404


async def test_my_data_lists_the_groups_and_answers_and_deletes_them(harness, clock):
    from tests.core.test_my_data import _my_data

    await make_group(harness)
    first = (await occurrences(harness))[0]
    await harness.press("coreflections.rsvp", {"occurrence_id": first.id, "answer": "going"}, ALICE)
    facts = await _my_data(harness, ALICE)
    assert facts["Co-reflection groups"] == "North ward co-reflection: member"
    assert facts["Co-reflection meetings you answered or attended"] == "1"
    assert "North ward co-reflection: you lead it" in (await _my_data(harness, LEAD))["Co-reflection groups"]
    alice = await person_id(harness, ALICE)
    await harness.press("my_data.delete", person=ALICE)
    await harness.press("my_data.delete.confirm", person=ALICE)
    async with harness.components.services.db() as db:
        assert not list(await db.scalars(select(CoReflectionMember).where(CoReflectionMember.person_id == alice)))
        assert not list(await db.scalars(select(CoReflectionResponse).where(CoReflectionResponse.person_id == alice)))
        # Nothing else needed her colleague record, so the people feature erased it too.
        assert await db.scalar(select(PersonRow.id).where(PersonRow.aad_object_id == ALICE.aad)) is None
