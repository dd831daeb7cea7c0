"""Replicas on one PostgreSQL database share the app's proactive rate: each takes the whole rate
divided by the replicas alive, as they join, leave and vanish; the rate limiter takes a new rate
without forgetting what is in flight. On SQLite one process keeps the whole rate."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.ratelimit import Limit, RateLimiter
from storage.replicas import Replica
from tests.conftest import make_settings, start_harness
from tests.shared.test_rules import FakeTime

APP_RATE = 50.0


async def _replica_ids(open_db) -> set[str]:
    async with open_db() as db:
        return set(await db.scalars(select(Replica.id)))


async def test_each_replica_takes_its_share_of_the_app_rate_as_replicas_come_and_go(pg_url, connector, clock):
    settings = make_settings(pg_url, rate_global_per_second=APP_RATE, heartbeat_seconds=5,
                             replica_timeout_seconds=20)
    first = await start_harness(settings, connector, clock)
    second = await start_harness(settings, connector, clock)
    try:
        a, b = first.components, second.components
        assert a.membership is not None and b.membership is not None
        await a.membership.beat()
        assert (a.membership.alive, a.messenger.app_rate) == (1, APP_RATE)
        await b.membership.beat()
        await a.membership.beat()
        assert a.messenger.app_rate == b.messenger.app_rate == APP_RATE / 2

        # B stops beating (killed): once its row is older than the timeout, A takes the whole rate
        # and deletes the row.
        clock.advance(timedelta(seconds=15))
        await a.membership.beat()
        assert a.messenger.app_rate == APP_RATE / 2, "not yet gone: within the timeout"
        clock.advance(timedelta(seconds=10))
        await a.membership.beat()
        assert a.messenger.app_rate == APP_RATE
        assert await _replica_ids(a.services.db) == {a.membership.id}

        # B comes back; then stops cleanly: its row goes at once, not after the timeout.
        await b.membership.beat()
        await a.membership.beat()
        assert a.messenger.app_rate == APP_RATE / 2
        await b.membership.leave()
        await a.membership.beat()
        assert a.messenger.app_rate == APP_RATE
    finally:
        await second.client.close()
        await first.client.close()


async def test_a_replica_joining_others_sends_nothing_until_they_lowered_their_share(pg_url, connector, clock):
    settings = make_settings(pg_url, heartbeat_seconds=0.2, replica_timeout_seconds=1)
    first = await start_harness(settings, connector, clock)
    second = await start_harness(settings, connector, clock)
    runs: list[str] = []

    async def drain() -> None:
        runs.append("drain")

    try:
        a, b = first.components.membership, second.components.membership
        assert a is not None and b is not None
        await a.join()
        await a.after_join(drain)()
        assert runs == ["drain"], "alone: no wait"
        await b.join()
        await b.after_join(drain)()
        assert runs == ["drain"], "held back: A still sends at the whole rate until its next beat"
        await asyncio.sleep(0.35)
        await b.after_join(drain)()
        assert runs == ["drain", "drain"]
    finally:
        await second.client.close()
        await first.client.close()


async def test_sqlite_keeps_the_whole_rate_and_runs_no_heartbeat(tmp_path, sqlite_template, connector, clock):
    path = tmp_path / "solo.db"
    shutil.copy(sqlite_template, path)
    settings = make_settings(f"sqlite+aiosqlite:///{path}", scheduler_enabled=True, rate_global_per_second=APP_RATE)
    harness = await start_harness(settings, connector, clock)
    try:
        components = harness.components
        assert components.membership is None
        assert components.messenger.app_rate == APP_RATE
        assert "replicas.heartbeat" not in components.scheduler.job_ids
        assert components.scheduler.leading
        assert await _replica_ids(components.services.db) == set()
    finally:
        await harness.client.close()


def _per_app(rate: float) -> list[Limit]:
    return [Limit(rate, 1.0, window=True), Limit(rate, 1.0, burst=3)]


async def test_a_new_rate_keeps_requests_in_flight_counted():
    """Lowering 50/s to 10/s while 10 requests are in flight: none more may start until answers
    come back and their second has passed, and from then on at most 10 go out per second."""
    time = FakeTime()
    limiter = RateLimiter(_per_app(50), [], clock=time.clock, sleep=time.sleep)
    held = [await limiter.acquire(f"c{i}") for i in range(10)]
    limiter.set_global_limits(_per_app(10))
    for permit in held:
        limiter.release(permit)  # answered at t = 0.x: they count in the window until 1 s later
    answered_at = time.now
    starts = []
    for i in range(30):
        permit = await limiter.acquire(f"d{i}")
        starts.append(time.now)
        limiter.release(permit)
    assert starts[0] >= answered_at + 1.0 - 1e-9, "the ten in the window still count against the new rate"
    for start in starts:
        assert sum(1 for s in starts if start <= s < start + 1.0) <= 10


async def test_raising_the_rate_lets_more_through_and_rejects_other_kinds_of_limit():
    time = FakeTime()
    limiter = RateLimiter(_per_app(5), [], clock=time.clock, sleep=time.sleep)
    limiter.set_global_limits(_per_app(25))
    starts = []
    for i in range(50):
        permit = await limiter.acquire(f"c{i}")
        starts.append(time.now)
        limiter.release(permit)
    assert starts[-1] < 2.1, starts[-1]  # 50 at 25/s: about 2 s, not 10
    with pytest.raises(ValueError):
        limiter.set_global_limits([Limit(10, 1.0, burst=3)])
