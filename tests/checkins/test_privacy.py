"""Private by construction: no role reads another person's check-ins on any path; typed words
are sealed at rest (the database holds none of them) and never logged; deletion and retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from dialogs.checkins.data import EXPORT_PURPOSE
from storage.checkins import repository
from storage.checkins.models import Checkin, CheckinPlan
from storage.checkins.sealing import PrivateText, SealBroken, Sealer
from storage.models import RoleGrant
from tests.checkins.helpers import check_in, checkins, run_job, set_up, text_of, user_id
from tests.factories import ALICE, BOB, FACILITATOR, Person

UTC = timezone.utc
SECRETS = ("HARD-4b1e-ward-round", "WELL-77ac-good-chat", "NOTE-e2d9-private")
ADMIN = Person("29:ada", "aad-admin", "Ada Admin")  # named in the test settings' admin ids
ROLES = ("worker", "peer_supervisor", "line_manager", "facilitator", "admin")
READ_VERBS = ("checkins.history", "checkins.home", "checkins.now", "checkins.data", "checkins.start",
              "checkins.setup", "checkins.contact", "checkins.delete", "menu.show", "my_data.show",
              "feedback.reports", "sessions.manage")


async def alice_checks_in(harness) -> str:
    await set_up(harness, ALICE)
    await check_in(harness, ALICE, feeling="1", states="overwhelmed", needs="support", hard=SECRETS[0],
                   well1=SECRETS[1], note=SECRETS[2], let_go="true")
    return await user_id(harness, ALICE)


async def reader(harness, role: str) -> Person:
    person = {"admin": ADMIN, "facilitator": FACILITATOR}.get(role, Person(f"29:{role}", f"aad-{role}", role))
    await harness.say("hi", person)
    if role not in ("admin", "facilitator"):
        async with harness.components.services.db() as db, db.begin():
            db.add(RoleGrant(aad_object_id=person.aad, role=role, granted_by="aad-admin"))
    harness.components.services.actors.clear()
    return person


async def test_no_role_can_read_another_persons_checkins_on_any_path(harness):
    alice = await alice_checks_in(harness)
    async with harness.components.services.db() as db:
        checkin_id = await db.scalar(select(Checkin.id))
    crafted = {"user": alice, "user_id": alice, "owner": alice, "id": checkin_id, "days": "30"}
    links = harness.components.services.links
    for role in ROLES:
        person = await reader(harness, role)
        seen = [text_of(await harness.press(verb, crafted, person)) for verb in READ_VERBS]
        seen += [text_of(sent.cards) + sent.text for sent in harness.connector.to(person.conversation_id)]
        # A link is made for its holder's own file; one for another purpose, or altered, opens nothing.
        for purpose in (EXPORT_PURPOSE, "feedback.csv", "register_csv"):
            token = links.token(purpose, await user_id(harness, person))
            seen.append(await (await harness.client.get(f"/checkins/export/{token}.csv")).text())
        forged = links.token(EXPORT_PURPOSE, await user_id(harness, person)).rsplit(".", 1)[0] + ".AAAA"
        assert (await harness.client.get(f"/checkins/export/{forged}.csv")).status == 404
        everything = "\n".join(seen)
        for secret in SECRETS:
            assert secret not in everything, role
        assert "Alice" not in everything, role
        # Their own (empty) check-ins, whatever the card data named.
        assert "No check-ins in the last 30 days" in everything, role
        assert '"title": "Check-ins kept", "value": "0"' in everything, role


async def test_the_owner_reads_and_downloads_her_own(harness, clock):
    await alice_checks_in(harness)
    await harness.press("checkins.history", {"days": "7"}, ALICE)
    assert SECRETS[1] in text_of(harness.connector.sent[-1].cards)
    body = await harness.press("checkins.data", {}, ALICE)
    url = next(a["url"] for a in body["value"]["actions"] if a["type"] == "Action.OpenUrl")
    path = url.split("//", 1)[1].split("/", 1)[1]
    resp = await harness.client.get("/" + path)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    csv = (await resp.read()).decode("utf-8-sig")
    assert all(secret in csv for secret in SECRETS) and "Really struggling" in csv and "Overwhelmed" in csv
    clock.advance(timedelta(minutes=16))
    assert (await harness.client.get("/" + path)).status == 404  # expired


async def _database_text(harness) -> bytes:
    url = make_url(harness.components.settings.database_url)
    if url.get_backend_name() == "sqlite":
        await harness.components.engine.dispose()  # everything checkpointed or in the -wal file
        path = Path(url.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    dump = []
    async with harness.components.engine.connect() as conn:
        tables = await conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        for table in list(tables):
            rows = await conn.scalars(text(f'SELECT t::text FROM "{table}" t'))
            dump += list(rows)
    return "\n".join(dump).encode()


async def test_the_database_holds_no_typed_word_and_the_logs_none_either(harness, caplog):
    caplog.set_level(logging.DEBUG)
    await alice_checks_in(harness)
    await harness.press("checkins.history", {"days": "30"}, ALICE)
    await harness.press("checkins.submit", {"feeling": "9", "note": SECRETS[2]}, ALICE)  # rejected: not echoed
    raw = await _database_text(harness)
    assert raw, "nothing read from the database"
    for secret in SECRETS:
        assert secret.encode() not in raw and secret not in caplog.text
    assert [r.feeling for r in await checkins(harness)] == [1]  # the plain columns are there


def test_sealed_text_opens_only_for_its_owner_row_and_secret() -> None:
    sealer = Sealer(b"k" * 32)
    blob = sealer.seal("alice", "row1", PrivateText("hard", ("a", "b"), "note"))
    assert sealer.open("alice", "row1", blob) == PrivateText("hard", ("a", "b"), "note")
    assert b"hard" not in blob and b"note" not in blob
    for owner, row, key, data in (("bob", "row1", b"k" * 32, blob), ("alice", "row2", b"k" * 32, blob),
                                  ("alice", "row1", b"j" * 32, blob), ("alice", "row1", b"k" * 32,
                                                                       blob[:-1] + bytes([blob[-1] ^ 1]))):
        with pytest.raises(SealBroken):
            Sealer(key).open(owner, row, data)
    assert sealer.seal("alice", "row1", PrivateText()) is None


async def test_deleting_my_checkins_and_my_data_removes_them(harness):
    alice = await alice_checks_in(harness)
    await check_in(harness, BOB, feeling="4")
    body = await harness.press("checkins.delete", {}, ALICE)
    assert "Delete all your check-ins?" in text_of(body["value"])
    body = await harness.press("checkins.delete.confirm", {}, ALICE)
    assert "1 check-ins deleted" in text_of(body["value"])
    assert [c.user_id for c in await checkins(harness)] == [await user_id(harness, BOB)]
    await check_in(harness, ALICE, feeling="3")
    await harness.press("my_data.show", {}, ALICE)
    shown = text_of(harness.connector.sent[-1].cards)
    assert "Daily check-in times" in shown and "Monday 17:30" in shown and "1 (kept for 90 days)" in shown
    await harness.press("my_data.delete", {}, ALICE)
    await harness.press("my_data.delete.confirm", {}, ALICE)
    async with harness.components.services.db() as db:
        assert await db.get(CheckinPlan, alice) is None
        assert list(await db.scalars(select(Checkin.user_id))) == [await user_id(harness, BOB)]


async def test_retention_deletes_check_ins_older_than_each_persons_choice(harness, clock):
    for person, keep in ((ALICE, "30"), (BOB, "365")):
        await set_up(harness, person, retention=keep)
    carol = Person("29:carol", "aad-carol", "Carol Example")
    await harness.say("hi", carol)  # no schedule: the 90-day default
    start = clock.now()
    for days_ago in (400, 300, 91, 89, 31, 29):
        clock.set(start - timedelta(days=days_ago))
        for person in (ALICE, BOB, carol):
            await check_in(harness, person, feeling="3")
    clock.set(start)
    await run_job(harness, "checkins.retention")
    ages = {}
    for row in await checkins(harness):
        ages.setdefault(row.user_id, []).append((start - row.created_at).days)
    assert sorted(ages[await user_id(harness, ALICE)]) == [29]
    assert sorted(ages[await user_id(harness, BOB)]) == [29, 31, 89, 91, 300]
    assert sorted(ages[await user_id(harness, carol)]) == [29, 31, 89]
