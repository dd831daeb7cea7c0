"""Issue 15, fan-out CPU: one JSON POST per message, outcomes in batched transactions, turns reserved."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import event, select, update

from scheduler.ratelimit import Limit, RateLimiter
from storage import outbox
from storage.models import Conversation, OutboxMessage
from tests.core.test_fanout_pacing import VirtualTime
from tests.factories import Person

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello all"}]}


async def _people(harness, count: int) -> list[Person]:
    people = [Person(f"29:fc{i}", f"aad-fc{i}", f"Fan {i}") for i in range(count)]
    for person in people:
        await harness.install(person)
    return people


async def _queue_cards(open_db, people: list[Person], per_person: int, due) -> None:
    async with open_db() as db, db.begin():
        for person in people:
            for k in range(per_person):
                await outbox.enqueue(db, kind="card", idempotency_key=f"fc:{person.teams_id}:{k}", due_at=due,
                                     conversation_id=person.conversation_id, payload={"card": CARD})


async def test_a_card_row_goes_out_as_one_post_addressed_as_the_sdk_would_without_a_turn(harness, clock,
                                                                                          monkeypatch):
    """The SDK's proactive turn (continue_conversation) is never used for an outbox card; the
    connector still gets the activity addressed into the stored conversation."""
    (person,) = await _people(harness, 1)
    open_db = harness.components.services.db
    async with open_db() as db:
        reference = await db.scalar(select(Conversation.reference).where(Conversation.id == person.conversation_id))

    async def no_turn(*_args, **_kwargs):
        raise AssertionError("a proactive turn was built")

    monkeypatch.setattr(harness.components.adapter, "continue_conversation", no_turn)
    await _queue_cards(open_db, [person], 1, clock.now())
    before = len(harness.connector.sent)
    stats = await harness.components.dispatcher.drain()
    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 0)
    (sent,) = harness.connector.sent[before:]
    assert sent.conversation_id == person.conversation_id
    assert sent.cards[0]["body"] == CARD["body"]
    body = sent.activity
    assert body["from"] == reference["bot"] and body["recipient"] == reference["user"]
    assert body["conversation"] == reference["conversation"]  # with its tenantId
    assert (body["type"], body["channelId"], body["serviceUrl"]) == ("message", reference["channelId"],
                                                                     reference["serviceUrl"])
    async with open_db() as db:
        row = (await db.execute(select(OutboxMessage.status, OutboxMessage.activity_id))).one()
    assert row.status == "sent" and row.activity_id, "the connector's activity id is recorded"


async def test_outcomes_of_a_batch_are_committed_together_not_one_commit_per_row(harness, clock):
    people = await _people(harness, 6)
    open_db = harness.components.services.db
    await _queue_cards(open_db, people, 4, clock.now())
    commits = []
    listener = lambda _conn: commits.append(1)  # noqa: E731
    engine = harness.components.engine.sync_engine
    event.listen(engine, "commit", listener)
    try:
        stats = await harness.components.dispatcher.drain()
    finally:
        event.remove(engine, "commit", listener)
    assert stats.sent == 24
    assert len(commits) <= 8, f"{len(commits)} commits for 24 rows"
    async with open_db() as db:
        assert set((await db.scalars(select(OutboxMessage.status))).all()) == {"sent"}


async def test_settle_many_records_only_the_rows_whose_claim_is_still_held(harness, clock):
    people = await _people(harness, 1)
    open_db = harness.components.services.db
    await _queue_cards(open_db, people, 3, clock.now() - timedelta(minutes=1))
    async with open_db() as db, db.begin():
        claimed = await outbox.claim_due(db, now=clock.now(), limit=10, lease=timedelta(seconds=30))
    taken = claimed[1]
    async with open_db() as db, db.begin():  # another dispatcher took this row over
        await db.execute(update(OutboxMessage).where(OutboxMessage.id == taken.id).values(claim_token="other"))
    settlements = [outbox.Settlement.sent(claimed[0], at=clock.now(), activity_id="a-0"),
                   outbox.Settlement.sent(taken, at=clock.now(), activity_id="a-1"),
                   outbox.Settlement.retry(claimed[2], retry_at=clock.now() + timedelta(minutes=5), error="HTTP 503")]
    async with open_db() as db, db.begin():
        assert await outbox.settle_many(db, settlements) == [True, False, True]
    async with open_db() as db:
        rows = {r.id: r for r in (await db.execute(select(OutboxMessage))).scalars()}
    assert (rows[claimed[0].id].status, rows[claimed[0].id].activity_id) == ("sent", "a-0")
    assert (rows[taken.id].status, rows[taken.id].claim_token) == ("sending", "other"), "the new holder's"
    assert (rows[claimed[2].id].status, rows[claimed[2].id].last_error) == ("pending", "HTTP 503")
    assert rows[claimed[2].id].claim_token is None


def test_a_sender_that_wakes_late_catches_up_its_turns_and_waiters_wake_only_for_their_own():
    """30 requests at 10/s; every sleep ends 0.3 s later than asked (a busy machine). The turns
    are reserved 0.1 s apart, so the late ones go at once: about 3.2 s in all, not 0.4 s per
    request, and about one wake-up per request rather than every waiter at every token."""
    vt = VirtualTime()
    wakes = []

    async def late_sleep(seconds: float) -> None:
        wakes.append(seconds)
        await vt.sleep(seconds + 0.3)

    limiter = RateLimiter([Limit(10, 1.0, burst=1)], [], clock=vt.clock, sleep=late_sleep)
    finished: list[float] = []

    async def one(i: int) -> None:
        permit = await limiter.acquire(f"conv-{i}")
        limiter.release(permit)
        finished.append(vt.now)

    asyncio.run(vt.run(one(i) for i in range(30)))
    assert len(finished) == 30
    assert max(finished) <= 2.9 + 0.3 + 1e-6
    assert len(wakes) <= 30


def test_requests_past_their_turn_held_by_a_full_window_do_not_all_wake_at_every_free_slot():
    """The window (10 per second, each request held 0.2 s until its answer) is slower than the
    bucket's turns, so requests pile up past their turn; they look at the window one after the
    other, a few times per request, not every waiter at every slot."""
    vt = VirtualTime()
    wakes = []

    async def sleep(seconds: float) -> None:
        wakes.append(seconds)
        await vt.sleep(seconds)

    limiter = RateLimiter([Limit(10, 1.0, window=True), Limit(10, 1.0, burst=1)], [], clock=vt.clock, sleep=sleep)
    sent: list[float] = []

    async def one(i: int) -> None:
        permit = await limiter.acquire(f"conv-{i}")
        sent.append(vt.now)
        await vt.sleep(0.2)  # not the limiter's sleep: the request's round trip
        limiter.release(permit)

    asyncio.run(vt.run(one(i) for i in range(100)))
    assert len(sent) == 100
    assert max(sent) <= 9 * 1.2 + 1.0, "the window's pace: 10 per 1.2 s"
    assert len(wakes) <= 100 * 4, f"{len(wakes)} wake-ups for 100 requests"  # all at every slot: 859
