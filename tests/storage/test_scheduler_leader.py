"""One scheduler leads: with two on one PostgreSQL database only the leader runs the periodic
producers (both run the jobs registered `everywhere`, such as the outbox dispatcher); when the
leader's connection ends, the other takes over within a check interval. Stopping is quiet: jobs
running finish, and one cut off after the grace ends without a traceback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from sqlalchemy import func, select

from scheduler.replicas import Leadership
from scheduler.service import SchedulerService
from storage.db import create_engine
from storage.models import OutboxMessage
from storage.replicas import LockConnection
from tests.conftest import make_settings, start_harness
from tests.databases import pg_exec
from tests.factories import ALICE
from tests.storage.test_outbox import _enqueue, _markers, _user_id

CHECK = 0.2  # seconds between leadership checks


def _scheduler(url: str, name: str, runs: Counter) -> tuple[SchedulerService, LockConnection]:
    lock = LockConnection(url, timeout=5)
    scheduler = SchedulerService(Leadership(lock), leader_check_seconds=CHECK)

    async def produce() -> None:
        runs[f"{name}.produce"] += 1

    async def dispatch() -> None:
        runs[f"{name}.dispatch"] += 1

    scheduler.every("feature.produce", 3600, produce)
    scheduler.every("outbox.dispatch", CHECK, dispatch, everywhere=True)
    return scheduler, lock


async def _until(condition, seconds: float) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            raise AssertionError(f"not within {seconds} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - began


async def test_only_the_leader_runs_producers_and_another_takes_over_when_its_connection_ends(pg_url, caplog):
    caplog.set_level(logging.INFO)
    runs: Counter = Counter()
    (one, one_lock), (two, two_lock) = _scheduler(pg_url, "one", runs), _scheduler(pg_url, "two", runs)
    one.start()
    two.start()
    try:
        await _until(lambda: runs["one.dispatch"] >= 3 and runs["two.dispatch"] >= 3, 10)
        await _until(lambda: one.leading or two.leading, 10)
        leader, follower = (one, two) if one.leading else (two, one)
        leader_name, follower_name = ("one", "two") if leader is one else ("two", "one")
        leader_lock = one_lock if leader is one else two_lock
        await asyncio.sleep(5 * CHECK)  # the follower checked several times and stayed a follower
        assert not follower.leading and runs[f"{follower_name}.produce"] == 0
        assert runs[f"{leader_name}.produce"] == 1, "the leader's producer ran once, at start"

        # The leader's database connection is ended (a network cut, its server process killed).
        await pg_exec(pg_url, f"SELECT pg_terminate_backend({leader_lock.pid})")
        took = await _until(lambda: runs[f"{follower_name}.produce"] == 1, 10)
        assert took <= 2 * CHECK + 1.0, took  # one check interval, plus a loaded machine's delay
        assert follower.leading
        await _until(lambda: not leader.leading, 10)
        assert runs[f"{leader_name}.produce"] == 1
    finally:
        await one.stop()
        await two.stop()
    assert not one.leading and not two.leading
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_leader_stopping_hands_over_at_once(pg_url):
    runs: Counter = Counter()
    (one, _), (two, _) = _scheduler(pg_url, "one", runs), _scheduler(pg_url, "two", runs)
    one.start()
    try:
        await _until(lambda: one.leading, 10)
        two.start()
        await asyncio.sleep(3 * CHECK)
        assert not two.leading
        await one.stop()
        await _until(lambda: two.leading and runs["two.produce"] == 1, 10)
    finally:
        await one.stop()
        await two.stop()


async def test_the_app_registers_the_features_jobs_on_the_leader_only(db_url, connector, clock):
    harness = await start_harness(make_settings(db_url), connector, clock)
    try:
        scheduler = harness.components.scheduler
        producers = set(scheduler.job_ids) - set(scheduler.everywhere_ids)
        assert {"checkins.queue", "supervision.ask", "tripartite.reminders", "sessions.tick", "cadence.queue",
                "coreflections.tick", "maintenance.prune", "checkins.retention"} <= producers
        everywhere = {"outbox.dispatch"} | ({"replicas.heartbeat", "scheduler.leadership"}
                                            if db_url.startswith("postgresql") else set())
        assert set(scheduler.everywhere_ids) == everywhere
    finally:
        await harness.client.close()


async def test_sqlite_scheduler_leads_alone_and_runs_producers():
    runs: Counter = Counter()
    scheduler = SchedulerService()

    async def produce() -> None:
        runs["produce"] += 1

    scheduler.every("feature.produce", 3600, produce)
    scheduler.start()
    try:
        await _until(lambda: runs["produce"] == 1, 10)
        assert scheduler.leading and "scheduler.leadership" not in scheduler.job_ids
    finally:
        await scheduler.stop()


async def test_stop_lets_a_running_job_finish_without_a_traceback(caplog):
    caplog.set_level(logging.INFO)
    finished: list[str] = []
    started = asyncio.Event()
    scheduler = SchedulerService()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append("slow")

    scheduler.every("outbox.dispatch", 3600, slow, everywhere=True)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    await scheduler.stop(timeout=5)
    assert finished == ["slow"], "the running job finished instead of being cancelled"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_stop_cuts_off_a_job_past_its_grace_in_one_line(caplog):
    caplog.set_level(logging.INFO)
    started = asyncio.Event()
    scheduler = SchedulerService()

    async def stuck() -> None:
        started.set()
        await asyncio.sleep(3600)

    scheduler.every("outbox.dispatch", 3600, stuck, everywhere=True)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    await scheduler.stop(timeout=0.2)
    assert not scheduler.running
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "stopping 1 scheduled jobs still running after 0.2 s", "scheduled job outbox.dispatch stopped mid-run"]


async def test_an_app_stopped_mid_dispatch_settles_its_batch_quietly(db_url, connector, clock, caplog):
    """The app's cleanup used to cancel the dispatcher mid-batch (APScheduler logged the
    cancellation's traceback, and rows waited out their lease); now the batch in hand is
    settled, no new one claimed, and nothing is logged above a warning."""
    caplog.set_level(logging.INFO)
    rows = 12
    settings = make_settings(db_url, scheduler_enabled=True, dispatch_interval_seconds=0.1, dispatch_batch_size=4,
                             rate_global_per_second=1000, rate_per_conversation_per_second=1000)
    harness = await start_harness(settings, connector, clock)
    closed = False
    try:
        await harness.install()
        open_db = harness.components.services.db
        uid = await _user_id(open_db, ALICE)
        keys = [f"m-stop-{i}" for i in range(rows)]
        connector.latency = 0.4
        for key in keys:
            await _enqueue(open_db, uid, key, clock.now())
        await _until(lambda: connector.in_flight > 0, 20)
        await harness.client.close()
        closed = True
    finally:
        if not closed:
            await harness.client.close()
    sent = _markers(connector)
    assert sent and len(sent) == len(set(sent)) and len(sent) < rows, sent
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            statuses = dict((await conn.execute(select(OutboxMessage.status, func.count())
                                                .group_by(OutboxMessage.status))).all())
    finally:
        await engine.dispose()
    assert statuses == {"sent": len(sent), "pending": rows - len(sent)}, "no row left claimed by a stopped replica"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
