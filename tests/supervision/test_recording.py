"""Recording supervision through the bot: who may record for whom, the form, validation naming
each field, duplicates, scrubbed agreed actions. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.supervision.helpers import (
    ADMIN, FACILITATOR, LEAD, MAX, OLLY, SAM, UMA, WREN, form, records, set_up, shown,
)


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


async def test_agreed_actions_lose_other_peoples_identifiers_but_keep_the_two_names(harness):
    ids = await set_up(harness)
    typed = ("Wren to shadow Olly Other on Ward 3; Sam Peersup to email jo.bloggs@nhs.net "
             "or call 07700 900123 about it")
    await harness.press("supervision.record.save", form(ids.persons[WREN.teams_id], actions=typed), SAM)
    [record] = await records(harness)
    assert record.actions is not None
    assert "Olly" not in record.actions and "jo.bloggs" not in record.actions and "07700" not in record.actions
    assert "Wren to shadow [name]" in record.actions and "Sam Peersup to email [email]" in record.actions
