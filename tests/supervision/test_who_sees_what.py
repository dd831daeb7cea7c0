"""Who sees which supervision records, on every read path, and "my data": the worker all of theirs;
their peer supervisor peer and clinical supervision in full and the rest as date, type and status;
their line manager management supervision in full and the rest likewise; nobody else anything.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import User
from storage.people import repository as people
from storage.people.models import LinkKind, RecordStatus
from storage.supervision.records import record_attendance
from tests.supervision.helpers import (
    MAX, OUTSIDERS, SAM, WREN, form, records, set_up, shown,
)

PEER_ACTION = "Peeraction Quokka"
MGMT_ACTION = "Mgmtaction Wombat"
READ_VERBS = ("supervision.mine", "supervision.team", "supervision.record", "menu.show", "my_data.show")


async def wren_has_supervision(harness):
    ids = await set_up(harness)
    wren = ids.persons[WREN.teams_id]
    await harness.press("supervision.record.save", form(wren, actions=PEER_ACTION, held_on="2026-11-02"), SAM)
    await harness.press("supervision.record.save",
                        form(wren, "management_supervision", actions=MGMT_ACTION, held_on="2026-11-09"), MAX)
    peer, mgmt = await records(harness)
    await harness.press("supervision.confirm", {"record": peer.id}, WREN)
    async with harness.components.services.db() as db, db.begin():
        await record_attendance(db, wren, date(2026, 11, 3), "occurrence-1")
    return ids, peer, mgmt


async def test_the_worker_sees_all_of_theirs_newest_first_with_who_gave_it(harness):
    _, peer, mgmt = await wren_has_supervision(harness)
    mine = await shown(harness, "supervision.mine", {"worker": "someone-else"}, WREN)
    assert PEER_ACTION in mine and MGMT_ACTION in mine
    assert mine.index("9 November 2026") < mine.index("3 November 2026") < mine.index("2 November 2026")
    assert "Sam Peersup" in mine and "Max Manager" in mine and "From attendance" in mine
    assert "Confirmed" in mine and "Not confirmed yet" in mine
    assert f'"record": "{mgmt.id}"' in mine  # waiting for her answer: the buttons are there
    assert f'"record": "{peer.id}"' not in mine  # answered


async def test_each_supervisor_sees_their_own_type_in_full_and_the_rest_as_dates(harness):
    await wren_has_supervision(harness)
    wren = (await records(harness))[0].worker_id
    overview = await shown(harness, "supervision.team", {}, SAM)  # the newest two per person
    assert "Wren Worker" in overview and "1 older records not shown" in overview
    assert "Management supervision, 9 November 2026" in overview and "Group co-reflection, 3 November 2026" in overview
    assert f'"worker": "{wren}"' in overview  # "all of Wren's records"
    sam = await shown(harness, "supervision.team", {"worker": wren}, SAM)
    assert PEER_ACTION in sam and "60 minutes" in sam and "Peer supervision (1:1), 2 November 2026" in sam
    assert MGMT_ACTION not in sam and "Max Manager" not in sam
    max_ = await shown(harness, "supervision.team", {"worker": wren}, MAX)
    assert MGMT_ACTION in max_ and PEER_ACTION not in max_ and "Sam Peersup" not in max_
    assert "Peer supervision (1:1), 2 November 2026" in max_


async def test_nobody_else_sees_anything_on_any_read_path(harness):
    ids, peer, mgmt = await wren_has_supervision(harness)
    wren = ids.persons[WREN.teams_id]
    crafted = {"worker": wren, "record": mgmt.id, "type": "management_supervision"}
    for role, person in OUTSIDERS.items():
        seen = [await shown(harness, verb, crafted, person) for verb in READ_VERBS]
        seen.append(await shown(harness, "supervision.dispute", {"record": mgmt.id}, person))
        seen.append(await shown(harness, "supervision.dispute", {"record": peer.id}, person))
        everything = "\n".join(seen)
        for secret in (PEER_ACTION, MGMT_ACTION, "Wren", "2 November 2026", "9 November 2026", wren):
            assert secret not in everything, (role, secret)
    # The refusal is said, not an empty list.
    assert "You can see the records of the people you supervise or manage now" in await shown(
        harness, "supervision.team", {"worker": wren}, OUTSIDERS["unrelated supervisor"])
    assert "You don't supervise or manage anyone" in await shown(
        harness, "supervision.team", {}, OUTSIDERS["admin"])
    assert [r.status for r in await records(harness)] == \
        [RecordStatus.CONFIRMED, RecordStatus.CONFIRMED, RecordStatus.UNCONFIRMED]


async def test_a_supervisor_whose_link_ended_sees_nothing_more(harness):
    ids, _, _ = await wren_has_supervision(harness)
    async with harness.components.services.db() as db, db.begin():
        link = await people.current_link(db, ids.persons[WREN.teams_id], LinkKind.PEER_SUPERVISOR)
        await people.end_link(db, link, date(2026, 11, 22))
    harness.components.services.actors.clear()
    seen = await shown(harness, "supervision.team", {"worker": ids.persons[WREN.teams_id]}, SAM)
    seen += await shown(harness, "supervision.team", {}, SAM)
    assert PEER_ACTION not in seen and "Wren" not in seen
    assert "There is nobody you can record supervision for yet" in await shown(
        harness, "supervision.record.save", form(ids.persons[WREN.teams_id], held_on="2026-11-21"), SAM)


async def test_my_data_lists_records_both_ways_and_erasing_keeps_the_supervisees_record(harness):
    ids, peer, _ = await wren_has_supervision(harness)
    listed = await shown(harness, "my_data.show", {}, SAM)
    assert "Supervision you gave or recorded for others" in listed
    assert "2 November 2026: Peer supervision (1:1) for Wren Worker, Confirmed" in listed
    listed = await shown(harness, "my_data.show", {}, WREN)
    assert "9 November 2026: Management supervision, Not confirmed yet" in listed

    await harness.press("my_data.delete", {}, SAM)
    await harness.press("my_data.delete.confirm", {}, SAM)
    kept = {r.id: r for r in await records(harness)}
    assert len(kept) == 3
    assert kept[peer.id].supervisor_id is None and kept[peer.id].recorded_by is None
    assert kept[peer.id].actions == PEER_ACTION  # the supervisee's record
    assert "Someone no longer using PeerSpace" in await shown(harness, "supervision.mine", {}, WREN)

    await harness.press("my_data.show", {}, WREN)
    await harness.press("my_data.delete", {}, WREN)
    await harness.press("my_data.delete.confirm", {}, WREN)
    assert await records(harness) == []
    async with harness.components.services.db() as db:
        assert await db.scalar(select(User.id).where(User.teams_id == WREN.teams_id)) is None
