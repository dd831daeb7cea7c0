"""Outbox leases: renewed while sends are slow, lost leases detected, fast recovery after a crash."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messenger import Messenger
from scheduler.clock import SystemClock
from scheduler.dispatcher import Dispatcher
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage
from tests.conftest import make_settings, start_harness
from tests.factories import Person
from tests.storage.test_outbox import _enqueue, _markers, _user_id

RECOVERY_TARGET = timedelta(seconds=60)


async def _people_with_messages(harness, clock, count: int) -> list[str]:
    """One message due now for each of `count` people, each in their own conversation."""
    open_db = harness.components.services.db
    keys = []
    for i in range(count):
        person = Person(f"29:l{i}", f"aad-l{i}", f"Lease {i}")
        await harness.install(person)
        keys.append(f"m-lease-{i}")
        await _enqueue(open_db, await _user_id(open_db, person), keys[-1], clock.now())
    return keys


async def _statuses(open_db) -> Counter:
    async with open_db() as db:
        return Counter((await db.scalars(select(OutboxMessage.status))).all())


async def test_a_live_dispatcher_keeps_its_rows_however_slow_the_connector(db_url, connector, clock):
    """Each send takes twice the lease; the second replica starts once the first's lease would
    have lapsed without renewal, and finds nothing of the first's to take."""
    settings = make_settings(db_url, rate_global_per_second=10_000, rate_per_conversation_per_second=1_000)
    harness = await start_harness(settings, connector, clock)
    other_engine = create_engine(settings.database_url)
    lease = timedelta(seconds=1)
    try:
        keys = await _people_with_messages(harness, clock, 15)
        connector.latency = 2 * lease.total_seconds()
        deliver = harness.components.delivery.deliver
        first = Dispatcher(harness.components.services.db, deliver, SystemClock(), batch_size=5, lease=lease)
        second = Dispatcher(create_sessionmaker(other_engine), deliver, SystemClock(), batch_size=5, lease=lease)

        async def later():
            await asyncio.sleep(1.3 * lease.total_seconds())
            return await second.drain()

        results = await asyncio.gather(first.drain(), later())
        statuses = await _statuses(harness.components.services.db)
    finally:
        await other_engine.dispose()
        await harness.client.close()
    assert Counter(_markers(connector)) == Counter(keys), "each message exactly once"
    assert sum(r.sent for r in results) == len(keys) and all(r.sent for r in results)
    assert sum(r.lost for r in results) == 0
    assert statuses == Counter({"sent": len(keys)})


class _Stall:
    """Wraps `deliver` to hold every row before (or after) the real delivery until released."""

    def __init__(self, deliver, rows: int, *, after: bool) -> None:
        self._deliver, self._rows, self._after = deliver, rows, after
        self.entered, self.release = asyncio.Event(), asyncio.Event()

    async def _hold(self) -> None:
        self._rows -= 1
        if self._rows == 0:
            self.entered.set()  # every row of the batch has reached the stall
        await self.release.wait()

    async def __call__(self, message, *confirm):
        if not self._after:
            await self._hold()
        result = await self._deliver(message, *confirm)
        if self._after:
            await self._hold()
        return result


@pytest.mark.parametrize("stall_after_send", [False, True], ids=["before-send", "after-send"])
async def test_a_stalled_dispatcher_that_lost_its_lease_logs_it_and_records_nothing(
        db_url, connector, clock, caplog, stall_after_send):
    """A dispatcher stalls past its lease (a long GC pause, a frozen VM) and another takes its
    rows over. Stalled before sending, it must not send; stalled between sending and recording
    (one duplicate per message in flight is the price), it must not count the rows as its own."""
    settings = make_settings(db_url, rate_global_per_second=10_000, rate_per_conversation_per_second=1_000)
    harness = await start_harness(settings, connector, clock)
    open_db = harness.components.services.db
    other_engine = create_engine(settings.database_url)
    lease = timedelta(seconds=30)
    try:
        keys = await _people_with_messages(harness, clock, 3)
        deliver = harness.components.delivery.deliver
        stall = _Stall(deliver, len(keys), after=stall_after_send)
        stalled = Dispatcher(open_db, stall, clock, lease=lease)
        task = asyncio.create_task(stalled.run_once())
        await asyncio.wait_for(stall.entered.wait(), 10)
        clock.advance(2 * lease)  # no renewal ran meanwhile: the process was frozen
        taken_over = await Dispatcher(create_sessionmaker(other_engine), deliver, clock, lease=lease).drain()
        with caplog.at_level(logging.WARNING, logger="scheduler.dispatcher"):
            stall.release.set()
            stats = await asyncio.wait_for(task, 10)
        statuses = await _statuses(open_db)
    finally:
        await other_engine.dispose()
        await harness.client.close()
    assert taken_over.sent == len(keys)
    assert stats.sent == 0 and stats.lost == len(keys)
    assert statuses == Counter({"sent": len(keys)})
    expected = Counter(keys) + (Counter(keys) if stall_after_send else Counter())
    assert Counter(_markers(connector)) == expected
    lines = [r.getMessage() for r in caplog.records if "lease lost" in r.getMessage()]
    assert len(lines) == len(keys)
    assert not any("m-lease" in line for line in lines), "no message text in the log"


async def test_rows_of_a_killed_dispatcher_are_sent_within_a_minute_of_the_restart(
        settings, connector, clock, monkeypatch):
    first = await start_harness(settings, connector, clock)
    keys = await _people_with_messages(first, clock, 5)
    sending = asyncio.Semaphore(0)

    async def hang(*_args, **_kwargs):
        sending.release()
        await asyncio.Event().wait()

    monkeypatch.setattr(Messenger, "send", hang)
    tick = asyncio.create_task(first.components.dispatcher.run_once())
    for _ in keys:
        await asyncio.wait_for(sending.acquire(), 10)
    tick.cancel()  # the process is killed with its batch claimed and nothing sent or recorded
    with pytest.raises(asyncio.CancelledError):
        await tick
    monkeypatch.undo()
    try:
        assert await _statuses(first.components.services.db) == Counter({"sending": len(keys)})
    finally:
        await first.client.close()
    assert _markers(connector) == []

    restarted_at = clock.now()  # the worst case: restarted at once, the dead claims still fresh
    second = await start_harness(settings, connector, clock)
    tick = timedelta(seconds=settings.dispatch_interval_seconds)
    try:
        delivered_after = None
        while clock.now() - restarted_at <= 2 * RECOVERY_TARGET:
            await second.components.dispatcher.drain()  # one scheduler tick
            if len(_markers(connector)) >= len(keys):
                delivered_after = clock.now() - restarted_at
                break
            clock.advance(tick)
    finally:
        await second.client.close()
    assert delivered_after is not None and delivered_after <= RECOVERY_TARGET, delivered_after
    assert Counter(_markers(connector)) == Counter(keys), "nothing lost, nothing twice"
