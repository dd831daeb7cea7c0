"""The other party's answer through the bot: confirm or dispute (only theirs, once), the recorder
told of a dispute, the one reminder at local time, someone asked once they install. Both engines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from storage.models import OutboxMessage
from storage.people.models import RecordStatus
from tests.supervision.helpers import (
    ADMIN, FACILITATOR, LEAD, MAX, MIA, OLLY, SAM, UMA, WREN, cards_to, drain, form, records, set_up, shown,
)

UTC = timezone.utc


async def test_a_peer_supervisor_records_and_the_supervisee_confirms_once(harness):
    ids = await set_up(harness)
    wren = ids.persons[WREN.teams_id]
    answer = await shown(harness, "supervision.record.save", form(wren, actions="Book the training"), SAM)
    assert "Supervision recorded" in answer and "asked Wren Worker to confirm" in answer
    [record] = await records(harness)
    assert (record.status, record.supervisor_id, record.recorded_by, record.minutes) == \
        (RecordStatus.UNCONFIRMED, ids.persons[SAM.teams_id], ids.persons[SAM.teams_id], 60)
    assert await drain(harness) == 1
    card = cards_to(harness, WREN)
    assert "Did this supervision happen?" in card and "Yes, this happened" in card and "Book the training" in card
    assert "Sam Peersup recorded a supervision with you" in card

    done = await shown(harness, "supervision.confirm", {"record": record.id}, WREN)
    assert "is confirmed and now counts" in done
    again = await shown(harness, "supervision.confirm", {"record": record.id}, WREN)
    assert "already answered: Confirmed" in again
    late_dispute = await shown(harness, "supervision.dispute", {"record": record.id, "reason": "no"}, WREN)
    assert "already answered" in late_dispute
    [record] = await records(harness)
    assert record.status == RecordStatus.CONFIRMED and record.confirmed_at is not None
    assert record.dispute_reason is None


async def test_a_dispute_needs_a_reason_and_tells_the_recorder(harness):
    ids = await set_up(harness)
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id], "management_supervision"), MAX)
    [record] = await records(harness)
    asked = await shown(harness, "supervision.dispute", {"record": record.id}, WREN)
    assert "What isn't right?" in asked and '"maxLength": 500' in asked
    empty = await shown(harness, "supervision.dispute", {"record": record.id, "reason": "  "}, WREN)
    assert "Reason: please say briefly what isn't right." in empty
    long = await shown(harness, "supervision.dispute", {"record": record.id, "reason": "x" * 501}, WREN)
    assert "Reason: please keep it to 500 characters (you wrote 501)" in long
    assert (await records(harness))[0].status == RecordStatus.UNCONFIRMED

    done = await shown(harness, "supervision.dispute", {"record": record.id, "reason": "It was cancelled"}, WREN)
    assert "I've told Max Manager it isn't right" in done
    [record] = await records(harness)
    assert (record.status, record.dispute_reason) == (RecordStatus.DISPUTED, "It was cancelled")
    await drain(harness)
    told = cards_to(harness, MAX)
    assert "Wren Worker says the Management supervision on 20 November 2026 isn't right" in told
    assert "Their reason: It was cancelled" in told
    assert "supervision.record" in told  # a way on: record it again
    assert "already answered: Disputed" in await shown(harness, "supervision.confirm", {"record": record.id}, WREN)
    # A disputed record does not block recording the right one.
    assert "Supervision recorded" in await shown(
        harness, "supervision.record.save", form(ids.persons[WREN.teams_id], "management_supervision"), MAX)


async def test_a_self_recorded_supervision_is_confirmed_by_the_supervisor(harness):
    ids = await set_up(harness)
    answer = await shown(harness, "supervision.record.save", form(ids.persons[WREN.teams_id]), WREN)
    assert "asked Sam Peersup to confirm" in answer
    [record] = await records(harness)
    assert record.supervisor_id == ids.persons[SAM.teams_id] and record.recorded_by == ids.persons[WREN.teams_id]
    await drain(harness)
    assert "Wren Worker recorded a supervision with you" in cards_to(harness, SAM)
    assert "isn't waiting for your answer" in await shown(harness, "supervision.confirm", {"record": record.id}, WREN)
    assert "now counts" in await shown(harness, "supervision.confirm", {"record": record.id}, SAM)


async def test_nobody_else_may_confirm_or_dispute(harness):
    ids = await set_up(harness)
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id]), SAM)
    [record] = await records(harness)
    for who in (OLLY, UMA, MIA, MAX, SAM, LEAD, ADMIN, FACILITATOR):
        for verb, data in (("supervision.confirm", {"record": record.id}),
                           ("supervision.dispute", {"record": record.id}),
                           ("supervision.dispute", {"record": record.id, "reason": "not right"})):
            answer = await shown(harness, verb, data, who)
            assert "isn't waiting for your answer" in answer and "What isn't right" not in answer, who
    [after] = await records(harness)
    assert (after.status, after.dispute_reason) == (RecordStatus.UNCONFIRMED, None)


async def test_one_reminder_at_the_persons_local_time_after_three_days(harness, clock):
    ids = await set_up(harness)
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id]), SAM)
    async with harness.components.services.db() as db:
        due = await db.scalar(select(OutboxMessage.due_at).where(OutboxMessage.kind == "supervision.remind"))
    assert due == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 10:00 Europe/London (GMT in November)
    assert await drain(harness) == 1  # the request
    clock.set(datetime(2026, 11, 26, 9, 59, tzinfo=UTC))
    assert await drain(harness) == 0
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    assert await drain(harness) == 1
    assert "A reminder: Sam Peersup recorded this supervision" in cards_to(harness, WREN)
    [record] = await records(harness)
    assert record.reminded_at is not None and record.status == RecordStatus.UNCONFIRMED
    await harness.components.scheduler.job("supervision.ask")()  # the hourly job asks no more
    clock.advance(timedelta(days=10))
    assert await drain(harness) == 0
    assert "Not confirmed yet" in await shown(harness, "supervision.mine", {}, WREN)


async def test_no_reminder_once_answered(harness, clock):
    ids = await set_up(harness)
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id]), SAM)
    [record] = await records(harness)
    await harness.press("supervision.confirm", {"record": record.id}, WREN)
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    assert await drain(harness) == 0  # neither the request nor the reminder: already answered
    assert "Did this supervision happen" not in cards_to(harness, WREN)


async def test_someone_who_installs_later_is_asked_then(harness, clock):
    ids = await set_up(harness, install=(SAM, MAX, OLLY, UMA, MIA, LEAD, ADMIN, FACILITATOR))
    answer = await shown(harness, "supervision.record.save", form(ids.persons[WREN.teams_id]), SAM)
    assert "hasn't started using PeerSpace yet" in answer
    assert await drain(harness) == 0
    clock.advance(timedelta(days=5))
    await harness.say("hi", WREN)
    job = harness.components.scheduler.job("supervision.ask")
    assert await job() == 1
    assert await job() == 0  # idempotent
    await drain(harness)
    assert "Did this supervision happen?" in cards_to(harness, WREN)
    async with harness.components.services.db() as db:
        due = await db.scalar(select(OutboxMessage.due_at).where(OutboxMessage.kind == "supervision.remind"))
    assert due == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # three days from when they were asked
