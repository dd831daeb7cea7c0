"""Recording supervision through the bot: who may record for whom, validation naming each field,
the other party's confirmation or dispute (only theirs, once), the one reminder at local time,
someone asked before they installed, scrubbed agreed actions. SQLite and PostgreSQL."""

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


async def test_who_may_record_for_whom(harness):
    ids = await set_up(harness)
    wren, olly = ids.persons[WREN.teams_id], ids.persons[OLLY.teams_id]
    # A line manager does not record peer supervision, nor a peer supervisor management supervision.
    assert "only for yourself, or for someone whose peer supervisor you are" in await shown(
        harness, "supervision.record.save", form(wren, "peer_supervision"), MAX)
    assert "only for yourself, or for someone whose line manager you are" in await shown(
        harness, "supervision.record.save", form(wren, "management_supervision"), SAM)
    # Someone else's supervisor, and card data naming a worker they do not support.
    assert "Who it was for: please choose someone from the list." in await shown(
        harness, "supervision.record.save", form(wren), UMA)
    for who in (LEAD, ADMIN, FACILITATOR):
        assert "There is nobody you can record supervision for yet" in await shown(
            harness, "supervision.record.save", form(wren), who)
        assert "There is nobody you can record supervision for yet" in await shown(
            harness, "supervision.record", {"worker": wren}, who)
    assert await records(harness) == []
    # The form offers only the people someone may record for; Olly is Uma's.
    offered = await shown(harness, "supervision.record", {}, UMA)
    assert olly in offered and wren not in offered and "Olly Other" in offered


async def test_the_form_is_prefilled_from_card_data_and_says_never_the_content(harness):
    ids = await set_up(harness)
    wren = ids.persons[WREN.teams_id]
    card = await shown(harness, "supervision.record", {"type": "management_supervision", "worker": wren}, MAX)
    assert f'"value": "{wren}"' in card and '"value": "management_supervision"' in card
    assert "Never write what was talked about" in card and '"maxLength": 500' in card
    assert "Agreed actions (optional, up to 500 characters)" in card and '"max": "2026-11-23"' in card
    own = await shown(harness, "supervision.record", {"type": "co_reflection", "worker": "someone"}, WREN)
    assert f'"value": "{wren}"' in own and "Myself" in own and '"value": "peer_supervision"' in own


async def test_bad_input_names_each_field_and_saves_nothing(harness):
    ids = await set_up(harness)
    wren = ids.persons[WREN.teams_id]
    bad = {"worker": "nobody", "type": "gossip", "held_on": "2026-11-24", "minutes": "0", "actions": "a" * 501}
    answer = await shown(harness, "supervision.record.save", bad, SAM)
    for message in ("Who it was for:", "Type: please choose", "Date: it can't be in the future",
                    "Length: please give a whole number of minutes from 5 to 480",
                    "Agreed actions: please keep them to 500 characters (you wrote 501)"):
        assert message in answer
    cases = [({"held_on": "2025-11-01"}, "Date: it can't be more than 365 days ago"),
             ({"held_on": "20/11/2026"}, "Date: please give the date"),
             ({"minutes": "481"}, "Length:"), ({"minutes": "½"}, "Length:"), ({"minutes": "6.5"}, "Length:"),
             ({"actions": "call\x00back"}, "Agreed actions: something you typed holds an invisible control")]
    for change, message in cases:
        assert message in await shown(harness, "supervision.record.save", {**form(wren), **change}, SAM), change
    assert await records(harness) == []
    async with harness.components.services.db() as db:
        assert list(await db.scalars(select(OutboxMessage.id).where(OutboxMessage.kind.like("supervision%")))) == []


async def test_the_same_supervision_twice_is_refused(harness):
    ids = await set_up(harness)
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id]), SAM)
    assert "is already recorded for Wren Worker" in await shown(
        harness, "supervision.record.save", form(ids.persons[WREN.teams_id]), WREN)
    assert len(await records(harness)) == 1


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
    for job in harness.components.scheduler._jobs:  # the hourly job asks no more
        if job[0] == "supervision.ask":
            await job[1]()
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
    job = next(j[1] for j in harness.components.scheduler._jobs if j[0] == "supervision.ask")
    assert await job() == 1
    assert await job() == 0  # idempotent
    await drain(harness)
    assert "Did this supervision happen?" in cards_to(harness, WREN)
    async with harness.components.services.db() as db:
        due = await db.scalar(select(OutboxMessage.due_at).where(OutboxMessage.kind == "supervision.remind"))
    assert due == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # three days from when they were asked


async def test_agreed_actions_lose_other_peoples_identifiers_but_keep_the_two_names(harness):
    ids = await set_up(harness)
    typed = ("Wren to shadow Olly Other on Ward 3; Sam Peersup to email jo.bloggs@nhs.net "
             "or call 07700 900123 about it")
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id], actions=typed), SAM)
    [record] = await records(harness)
    assert record.actions is not None
    assert "Olly" not in record.actions and "jo.bloggs" not in record.actions and "07700" not in record.actions
    assert "Wren to shadow [name]" in record.actions and "Sam Peersup to email [email]" in record.actions
