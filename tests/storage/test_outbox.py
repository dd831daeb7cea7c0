"""Outbox guarantees on a controllable clock: downtime, expiry, crashes, replicas, Teams errors."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.dispatcher import Dispatcher
from storage import outbox
from storage.db import create_engine, create_sessionmaker
from storage.models import Conversation, OutboxMessage, User
from tests.conftest import make_settings, start_harness
from tests.factories import ALICE, Person


def _card(marker: str) -> dict:
    return {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": marker}]}


def _markers(connector) -> list[str]:
    return [card["body"][0]["text"] for card in connector.all_cards() if card["body"][0]["text"].startswith("m-")]


async def _user_id(open_db, person: Person) -> str:
    async with open_db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == person.teams_id))


async def _enqueue(open_db, user_id, key, due_at, not_after=None):
    async with open_db() as db, db.begin():
        return await outbox.enqueue(db, kind="card", idempotency_key=key, user_id=user_id, due_at=due_at,
                                    not_after=not_after, payload={"card": _card(key)})


async def _status(open_db, key):
    async with open_db() as db:
        return await db.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


async def test_enqueue_is_idempotent(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    uid = await _user_id(open_db, ALICE)
    assert await _enqueue(open_db, uid, "m-1", clock.now()) is True
    assert await _enqueue(open_db, uid, "m-1", clock.now()) is False
    async with open_db() as db:
        assert len((await db.scalars(select(OutboxMessage))).all()) == 1


async def test_message_due_during_downtime_is_sent_once_after_restart(settings, connector, clock):
    first = await start_harness(settings, connector, clock)
    await first.install()
    open_db = first.components.services.db
    uid = await _user_id(open_db, ALICE)
    await _enqueue(open_db, uid, "m-downtime", clock.now() + timedelta(hours=1))
    await first.client.close()

    clock.advance(timedelta(hours=3))  # the bot was down when the message fell due
    second = await start_harness(settings, connector, clock)
    try:
        stats = await second.components.dispatcher.drain()
        assert stats.sent == 1
        assert (await second.components.dispatcher.drain()).claimed == 0
        assert _markers(connector) == ["m-downtime"]
        row = await _status(second.components.services.db, "m-downtime")
        assert row.status == "sent" and row.sent_at == clock.now() and row.activity_id
    finally:
        await second.client.close()


async def test_message_past_not_after_expires_unsent(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    uid = await _user_id(open_db, ALICE)
    await _enqueue(open_db, uid, "m-late", clock.now(), not_after=clock.now() + timedelta(minutes=30))
    clock.advance(timedelta(hours=2))
    stats = await harness.components.dispatcher.drain()
    assert stats.expired == 1 and stats.sent == 0
    assert _markers(harness.connector) == []
    assert (await _status(open_db, "m-late")).status == "expired"


async def test_not_yet_due_is_left_alone(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-future", clock.now() + timedelta(minutes=1))
    assert (await harness.components.dispatcher.drain()).claimed == 0
    clock.advance(timedelta(minutes=1))
    assert (await harness.components.dispatcher.drain()).sent == 1


async def test_crash_between_send_and_mark_costs_at_most_one_duplicate(settings, connector, clock, monkeypatch):
    first = await start_harness(settings, connector, clock)
    await first.install()
    open_db = first.components.services.db
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-crash", clock.now())

    async def crash(*_args, **_kwargs):
        raise RuntimeError("process died")

    monkeypatch.setattr(outbox, "settle_many", crash)  # the outcome is never recorded
    with pytest.raises(RuntimeError):
        await first.components.dispatcher.run_once()
    monkeypatch.undo()
    await first.client.close()
    assert _markers(connector) == ["m-crash"], "the message left before the crash"

    second = await start_harness(settings, connector, clock)
    try:
        assert (await second.components.dispatcher.drain()).claimed == 0, "lease still held"
        clock.advance(timedelta(minutes=6))  # the lease lapses
        assert (await second.components.dispatcher.drain()).sent == 1
        assert (await second.components.dispatcher.drain()).claimed == 0
        assert _markers(connector) == ["m-crash", "m-crash"]  # one duplicate, never a loss
        assert (await _status(second.components.services.db, "m-crash")).status == "sent"
    finally:
        await second.client.close()


async def test_two_dispatchers_on_one_database_send_each_message_once(db_url, connector, clock):
    """Rate limits are per process and not the point here, so sends are not paced."""
    settings = make_settings(db_url, rate_global_per_second=10_000, rate_per_conversation_per_second=1_000)
    harness = await start_harness(settings, connector, clock)
    open_db = harness.components.services.db
    people = [Person(f"29:p{i}", f"aad-p{i}", f"Person {i}") for i in range(20)]
    keys = []
    other_engine = create_engine(settings.database_url)
    try:
        for person in people:
            await harness.install(person)
        for i, person in enumerate(people):
            uid = await _user_id(open_db, person)
            for j in range(10):
                keys.append(f"m-{i}-{j}")
                await _enqueue(open_db, uid, keys[-1], clock.now())
        deliver = harness.components.delivery.deliver
        replicas = [
            Dispatcher(open_db, deliver, clock, batch_size=7),
            Dispatcher(create_sessionmaker(other_engine), deliver, clock, batch_size=7),
        ]
        results = await asyncio.gather(*(r.drain() for r in replicas))
    finally:
        await other_engine.dispose()
        await harness.client.close()
    assert sum(r.sent for r in results) == len(keys)
    assert all(r.sent > 0 for r in results), "both replicas took part"
    assert sorted(_markers(connector)) == sorted(keys)


async def test_429_with_retry_after_is_retried_and_sent_once(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-429", clock.now())
    harness.connector.fail_next(429, times=2, retry_after=0.01)
    assert (await harness.components.dispatcher.drain()).sent == 1
    assert _markers(harness.connector) == ["m-429"]


@pytest.mark.parametrize("status", [403, 404])
async def test_uninstalled_or_blocked_marks_the_conversation_inactive(harness, clock, status):
    open_db = harness.components.services.db
    await harness.install()
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-gone", clock.now())
    harness.connector.fail_next(status)
    stats = await harness.components.dispatcher.drain()
    assert stats.failed == 1
    assert len([s for s in harness.connector.sent]) == 1, "only the welcome: no retry after 403/404"
    async with open_db() as db:
        conv = await db.get(Conversation, ALICE.conversation_id)
    assert conv.active is False
    assert (await _status(open_db, "m-gone")).status == "failed"


async def test_persistent_5xx_is_rescheduled_with_backoff_not_lost(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-5xx", clock.now())
    harness.connector.fail_next(503, times=5)
    stats = await harness.components.dispatcher.drain()
    assert stats.retried == 1
    row = await _status(open_db, "m-5xx")
    assert row.status == "pending" and row.due_at > clock.now() and row.attempts == 1
    clock.advance(timedelta(minutes=2))
    assert (await harness.components.dispatcher.drain()).sent == 1
    assert _markers(harness.connector) == ["m-5xx"]


async def test_no_conversation_for_recipient_fails_without_sending(harness, clock):
    open_db = harness.components.services.db
    await harness.say("hello")
    uid = await _user_id(open_db, ALICE)
    async with open_db() as db, db.begin():
        conv = await db.get(Conversation, ALICE.conversation_id)
        conv.active = False
    await _enqueue(open_db, uid, "m-nobody", clock.now())
    assert (await harness.components.dispatcher.drain()).failed == 1
    assert (await _status(open_db, "m-nobody")).last_error == "no active conversation"


async def test_a_gone_conversation_is_active_again_when_the_person_writes(harness, clock):
    open_db = harness.components.services.db
    await harness.install()
    await harness.say("hello")  # the turn facts are now cached
    await _enqueue(open_db, await _user_id(open_db, ALICE), "m-gone-back", clock.now())
    harness.connector.fail_next(403)
    await harness.components.dispatcher.drain()
    await harness.say("hello again")
    async with open_db() as db:
        conv = await db.get(Conversation, ALICE.conversation_id)
    assert conv.active is True and conv.inactive_reason is None
