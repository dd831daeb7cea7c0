"""Signposting in the same reply for each hard-day signal, with the database stopped too; the
"ask my peer supervisor" button with and without a recorded supervisor."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.checkins import repository
from storage.checkins.models import Checkin
from storage.checkins.signals import DistressPhrases, hard_day
from storage.models import OutboxMessage
from storage.people.models import PersonLink
from tests.checkins.helpers import check_in, checkins, outbox_rows, text_of, user_id
from tests.conftest import PG_URL, _pg_exec
from tests.factories import ALICE, BOB, Person

NATIONAL = ("116 123", "SHOUT to 85258", "choose the mental health option", "999")
HARD_DAYS = {
    "lowest point": {"feeling": "1"},
    "overwhelmed and needing support": {"feeling": "3", "states": "overwhelmed", "needs": "support"},
    "dysregulated and needing support": {"feeling": "4", "states": "present,dysregulated", "needs": "rest,support"},
    "distress words in the hard thing": {"feeling": "3", "hard": "Honestly I can't cope with that ward"},
    "distress words, typed without an apostrophe": {"feeling": "4", "note": "I CANT COPE"},
    "distress words with a curly apostrophe": {"feeling": "4", "hard": "don’t want to be here anymore"},
    "distress words in something that went well": {"feeling": "3", "well1": "didn't hurt myself today"},
}
ORDINARY_DAYS = {
    "low but not the lowest": {"feeling": "2"},
    "overwhelmed, needing rest": {"feeling": "2", "states": "overwhelmed", "needs": "rest"},
    "needing support, grounded": {"feeling": "3", "states": "grounded", "needs": "support"},
    "a word inside another word": {"feeling": "3", "note": "the unsafe-ish kitchen tap"},
}


def assert_signposted(card: dict, *, supervisor: str | None = None) -> None:
    text = text_of(card)
    for words in NATIONAL + ("not a crisis service", "Staff wellbeing service", "Occupational health",
                             "Employee assistance", "Ask my peer supervisor to get in touch", "Nobody is told"):
        assert words in text, words
    assert (f"Your peer supervisor, {supervisor}" in text) if supervisor else ("your peer supervisor" in text)


@pytest.mark.parametrize("answers", HARD_DAYS.values(), ids=HARD_DAYS.keys())
def test_each_signal_is_found(answers) -> None:
    phrases = DistressPhrases(["can't cope", "don't want to be here", "hurt myself", "not safe"])
    texts = [answers.get(k, "") for k in ("hard", "well1", "note")]
    assert hard_day(int(answers["feeling"]), answers.get("states", "").split(","),
                    answers.get("needs", "").split(","), texts, phrases)


@pytest.mark.parametrize("answers", ORDINARY_DAYS.values(), ids=ORDINARY_DAYS.keys())
def test_an_ordinary_day_has_no_signal(answers) -> None:
    phrases = DistressPhrases(["can't cope", "not safe"])
    texts = [answers.get(k, "") for k in ("hard", "well1", "note")]
    assert hard_day(int(answers["feeling"]), answers.get("states", "").split(","),
                    answers.get("needs", "").split(","), texts, phrases) == ()


async def test_every_signal_brings_signposting_into_the_same_reply(harness):
    await harness.say("hi")
    for name, answers in HARD_DAYS.items():
        body = await check_in(harness, **answers)
        assert body["type"] == "application/vnd.microsoft.card.adaptive", name
        assert_signposted(body["value"])
    for name, answers in ORDINARY_DAYS.items():
        body = await check_in(harness, **answers)
        assert "not a crisis service" not in text_of(body["value"]), name
    assert len(await checkins(harness)) == len(HARD_DAYS) + len(ORDINARY_DAYS)


async def _stop_database(harness) -> None:
    """Make the database unreachable for the running bot: its file or its PostgreSQL database goes."""
    url = make_url(harness.components.settings.database_url)
    await harness.components.engine.dispose()
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        path.unlink()
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        path.mkdir()  # a folder where the file was: SQLite cannot open it
    else:
        await _pg_exec(PG_URL, f'DROP DATABASE "{url.database}" WITH (FORCE)')


@pytest.mark.own_database  # it drops it
async def test_signposting_is_built_from_content_when_the_database_is_stopped(harness):
    await harness.say("hi")
    await _stop_database(harness)
    health = await harness.client.get("/healthz")
    assert health.status == 503
    body = await harness.press("checkins.submit", {"feeling": "1", "note": "a private note"})
    assert_signposted(body["value"])
    assert "couldn't save this check-in" in text_of(body["value"])
    assert "a private note" not in text_of(body)
    body = await harness.press("checkins.contact", {})
    assert "couldn't pass the message on" in text_of(body["value"])
    # Anything else still gets a 503, so Teams tries again later.
    resp = await harness.post(__import__("tests.factories", fromlist=["execute"]).execute(
        "checkins.history", {}, ALICE, service_url=harness.connector.url))
    assert resp.status == 503


async def test_a_save_that_fails_mid_turn_still_signposts(harness, monkeypatch):
    await harness.say("hi")

    async def broken(*_args, **_kw):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(repository, "add_checkin", broken)
    body = await check_in(harness, feeling="2", states="overwhelmed", needs="support")
    assert_signposted(body["value"])
    assert "couldn't save this check-in" in text_of(body["value"])
    assert await checkins(harness) == []


async def test_ask_my_peer_supervisor_without_one_recorded_says_so(harness):
    await harness.say("hi")
    body = await harness.press("checkins.contact", {})
    text = text_of(body["value"])
    assert "don't have a peer supervisor recorded" in text and "your peer supervisor" in text
    assert await outbox_rows(harness, "checkin_contact") == []


async def test_ask_my_peer_supervisor_sends_only_that_the_worker_would_like_a_chat(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", BOB)
    bob_id = await user_id(harness, BOB)
    # Bob becomes Alice's peer supervisor the way people do (the people feature fills the seam).
    await harness.press("people.request.save", {"kind": "peer_supervisor", "person": BOB.aad}, ALICE)
    await harness.press("people.confirm", {"link": await _pending_link(harness)}, BOB)
    await harness.components.dispatcher.drain()  # the people feature's own notices
    body = await check_in(harness, ALICE, feeling="1", note="SECRET-NOTE-7f3a", hard="SECRET-HARD-9c1d")
    assert_signposted(body["value"], supervisor="Bob Example")
    body = await harness.press("checkins.contact", {}, ALICE)
    assert "I've asked Bob Example" in text_of(body["value"])
    body = await harness.press("checkins.contact", {}, ALICE)
    assert "already passed this on" in text_of(body["value"])
    [row] = await outbox_rows(harness, "checkin_contact")
    assert row.user_id == bob_id and row.payload == {"worker": await user_id(harness, ALICE)}
    assert (await harness.components.dispatcher.drain()).sent == 1
    [sent] = harness.connector.to(BOB.conversation_id)[-1:]
    assert "Alice Example would like a chat" in text_of(sent.cards)
    for secret in ("SECRET", "Really struggling", "feeling"):
        assert secret not in text_of(sent.cards)


async def _pending_link(harness) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(PersonLink.id))
