"""Scaling out: the outbox never takes the whole connection pool from turns, and two real bot
replicas on one PostgreSQL database, under turns, redeliveries and proactive work at once,
answer every turn once and deliver every outbox row and check-in prompt once.

The replicas test is bench/replicas.py's run, short and untimed: it asserts counts, never speed."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import event

from tests.conftest import make_settings, start_harness
from tests.factories import Person
from tests.storage.test_outbox import _enqueue, _markers, _user_id

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import replicas  # noqa: E402 - bench/replicas.py


async def test_a_dispatch_batch_holds_at_most_the_pool_size_of_connections(db_url, connector, clock):
    """Unbounded, a batch of 40 settled at once checked out 40 connections (the pool's overflow
    included), and on a busy replica turns then waited past the pool's timeout."""
    settings = make_settings(db_url, db_pool_size=3, rate_global_per_second=10_000,
                             rate_per_conversation_per_second=1_000)
    harness = await start_harness(settings, connector, clock)
    held, peak = [0], [0]
    try:
        open_db = harness.components.services.db
        keys = []
        for i in range(40):
            person = Person(f"29:pool{i}", f"aad-pool{i}", f"Pool {i}")
            await harness.install(person)
            keys.append(f"m-pool-{i}")
            await _enqueue(open_db, await _user_id(open_db, person), keys[-1], clock.now())
        pool = harness.components.engine.sync_engine.pool

        def checkout(*_args) -> None:
            held[0] += 1
            peak[0] = max(peak[0], held[0])

        def checkin(*_args) -> None:
            held[0] -= 1

        event.listen(pool, "checkout", checkout)
        event.listen(pool, "checkin", checkin)
        stats = await harness.components.dispatcher.drain()
    finally:
        await harness.client.close()
    assert stats.sent == 40 and sorted(_markers(connector)) == sorted(keys)
    # The bound, plus the two uses that must never queue behind it (scheduler/dispatcher.py): a
    # lease renewal, and the next batch's claim, which drain makes while this batch still settles.
    assert 1 <= peak[0] <= 3 + 2, peak[0]


async def test_two_replicas_answer_every_turn_once_and_send_every_message_once(pg_url, tmp_path):
    load = replicas.Load(replicas=2, seconds=4, conversations=6, redeliver=3, outbox_rows=60, checkin_people=20)
    result = await replicas.run_once(pg_url, load, tmp_path)
    assert result.turns >= 6 and result.redelivered >= 1 and min(result.per_replica) >= 1
    assert result.duplicates == {"replies": 0, "outbox": 0, "prompts": 0}
    assert result.losses == {"replies": 0, "outbox": 0, "prompts": 0}
    assert (result.outbox_delivered, result.prompts_delivered) == (60, 20)
    assert not result.errors and not result.logged_errors, (result.errors, result.logged_errors[:3])
    assert result.peak_connections <= 2 * 2 * 10  # replicas x what one replica's pool may open
