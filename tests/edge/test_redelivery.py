"""Redeliveries: each activity runs once, a copy gets the first's answer, and a turn whose process
died mid-turn (kill -9) is run by Teams' retry. On SQLite and PostgreSQL.

Several apps on one database stand in for bot processes; the last test uses real processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.activities import ActivityLedger
from storage.db import create_engine
from storage.models import ProcessedActivity, utcnow
from storage.state_store import PendingWrite, StateStore, StoredDocument
from tests import factories
from tests.conftest import make_settings, start_harness
from tests.factories import ALICE
from tests.storage.test_replicas import _free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEASE = 0.5


@pytest.fixture
async def make_app(db_url, connector, clock) -> AsyncIterator[Callable]:
    """Start apps ("processes") on the one database, with a short redelivery lease."""
    started = []

    async def make():
        h = await start_harness(make_settings(db_url, redelivery_lease_seconds=LEASE), connector, clock)
        started.append(h)
        return h

    yield make
    for h in started:
        await h.client.close()


def held_turns(h, monkeypatch, *, fail: bool = False) -> tuple[asyncio.Event, list[int]]:
    """Make the app's turns wait for an event (then fail, if asked); count them."""
    adapter, gate, calls = h.components.adapter, asyncio.Event(), []
    real = adapter.process_activity

    async def held(*args, **kwargs):
        calls.append(1)
        await gate.wait()
        if fail and len(calls) == 1:
            raise RuntimeError("database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(adapter, "process_activity", held)
    return gate, calls


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_copies_of_a_running_invoke_get_its_answer(make_app, monkeypatch):
    h = await make_app()
    gate, calls = held_turns(h, monkeypatch)
    activity = factories.execute("about.show", None, ALICE, service_url=h.connector.url)
    first = asyncio.create_task(h.post(activity))
    await until(lambda: calls)
    copies = [asyncio.create_task(h.post(activity)) for _ in range(3)]
    await asyncio.sleep(0.3)
    assert not any(c.done() for c in copies), "a copy was answered before the first finished"
    gate.set()
    answers = [await (await r).json() for r in [first, *copies]]
    assert answers[0]["statusCode"] == 200 and answers[0]["value"]
    assert answers[1:] == [answers[0]] * 3
    assert len(calls) == 1


async def test_copy_of_a_running_message_sends_nothing_twice_and_runs_if_the_first_fails(make_app, monkeypatch):
    h = await make_app()
    gate, calls = held_turns(h, monkeypatch, fail=True)
    activity = factories.message("help", ALICE, service_url=h.connector.url)
    first = asyncio.create_task(h.post(activity))
    await until(lambda: calls)
    copy = asyncio.create_task(h.post(activity))
    await asyncio.sleep(0.2)
    gate.set()
    assert (await first).status == 503  # Teams would retry; the waiting copy is that retry
    assert (await copy).status == 200
    assert len(calls) == 2 and len(h.connector.sent) == 1
    # Done now: a later copy runs nothing.
    assert (await h.post(activity)).status == 200
    assert len(calls) == 2 and len(h.connector.sent) == 1


async def test_claim_of_a_dead_process_is_taken_over_by_one_copy(make_app, monkeypatch):
    from bot.redelivery import Redelivery

    async def dead(*_args):  # a process that died renews nothing
        return None

    monkeypatch.setattr(Redelivery, "_renew", dead)
    dying = await make_app()
    gate, calls = held_turns(dying, monkeypatch)
    activity = factories.message("help", ALICE, service_url=dying.connector.url)
    stuck = asyncio.create_task(dying.post(activity))
    await until(lambda: calls)
    others = [await make_app() for _ in range(3)]
    responses = await asyncio.gather(*(o.post(activity) for o in others))
    assert [r.status for r in responses] == [200] * 3
    assert len(dying.connector.sent) == 1, "run by exactly one of the copies"
    stuck.cancel()


async def test_copy_at_another_process_after_the_invoke_finished_gets_a_short_answer(make_app):
    a, b = await make_app(), await make_app()
    activity = factories.execute("about.show", None, ALICE, service_url=a.connector.url)
    first = await (await a.post(activity)).json()
    copy = await (await b.post(activity)).json()
    text = a.components.content.text("bot.already_received")
    assert copy == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
    assert first["value"] != text
    async with a.components.services.db() as db:
        assert await db.scalar(select(func.count()).select_from(ProcessedActivity)
                               .where(ProcessedActivity.lease_until.is_(None))) == 1


async def test_only_one_of_many_concurrent_claims_takes_an_expired_one(db_url):
    engine = create_engine(db_url)
    try:
        ledger = ActivityLedger(engine, StateStore(engine), lease=timedelta(seconds=LEASE))
        async with engine.begin() as conn:
            await conn.execute(ProcessedActivity.__table__.insert().values(
                conversation_id="c", activity_id="a", received_at=utcnow() - timedelta(minutes=1),
                lease_until=utcnow() - timedelta(seconds=1), owner="dead"))
        claims = await asyncio.gather(*(ledger.claim("c", "a", state_key="k") for _ in range(8)))
        assert sum(c.first_delivery for c in claims) == 1
        [winner] = [c for c in claims if c.first_delivery]
        ledger.finish_later(winner)
        await ledger.flush()
        assert await ledger.is_done("c", "a") is True
        assert not (await ledger.claim("c", "a")).first_delivery
    finally:
        await engine.dispose()


async def test_a_claim_reads_the_state_with_it_and_a_waiting_finish_rides_along(db_url):
    engine = create_engine(db_url)
    try:
        store = StateStore(engine)
        ledger = ActivityLedger(engine, store, lease=timedelta(seconds=LEASE))
        first = await ledger.claim("c", "a1", state_key="k")
        assert first.first_delivery and first.state is None, "nothing stored yet"
        [etag] = (await store.write({"k": PendingWrite({"turn": 1}, None)})).values()
        ledger.finish_later(first)  # recorded with the next claim's round
        second = await ledger.claim("c", "a2", state_key="k")
        assert second.first_delivery and second.state == StoredDocument({"turn": 1}, etag)
        assert await ledger.is_done("c", "a1") is True
        copy = await ledger.claim("c", "a2", state_key="k")
        assert not copy.first_delivery and copy.state is None, "a copy gets nothing to work on"
        assert await ledger.is_done("c", "a2") is False
    finally:
        await engine.dispose()


# --- real processes -----------------------------------------------------------------------------


def _serve(db_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PEERSPACE_DEV": "1", "DATABASE_URL": db_url, "PEERSPACE_SCHEDULER": "0",
           "PEERSPACE_REDELIVERY_LEASE": "1", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


async def _ready(http: aiohttp.ClientSession, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        assert time.monotonic() < deadline, "bot process did not start"
        await asyncio.sleep(0.1)


@pytest.mark.own_database  # other processes use it
async def test_turn_of_a_process_killed_mid_turn_is_run_by_the_retry(db_url, connector):
    ports = [_free_port(), _free_port()]
    procs = [_serve(db_url, port) for port in ports]
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await _ready(http, port)
            await http.post(f"http://127.0.0.1:{ports[1]}/api/messages",
                            json=factories.message("hi", ALICE, service_url=connector.url))  # known person
            sent_before = len(connector.sent)
            connector.latency = 60  # the first process's turn hangs on its reply...
            activity = factories.message("help", ALICE, service_url=connector.url)
            first = asyncio.create_task(http.post(f"http://127.0.0.1:{ports[0]}/api/messages", json=activity))
            await asyncio.sleep(1.0)
            os.killpg(procs[0].pid, signal.SIGKILL)  # ...and its process is killed mid-turn
            with pytest.raises(aiohttp.ClientError):
                await first
            connector.latency = 0
            retry = await http.post(f"http://127.0.0.1:{ports[1]}/api/messages", json=activity,
                                    timeout=aiohttp.ClientTimeout(total=15))
            assert retry.status == 200
            assert len(connector.sent) == sent_before + 1, "the retry was dropped: the person got no answer"
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        errors = [proc.communicate(timeout=20)[1].decode(errors="replace") for proc in procs]
    assert "Traceback" not in errors[1], errors[1]


async def test_a_turn_that_writes_state_makes_its_claim_final_in_that_write(harness, monkeypatch):
    """The hot path stays at its cost: no statement of its own to finish the claim."""
    finished = []

    monkeypatch.setattr(ActivityLedger, "finish_later", lambda _self, claim: finished.append(claim))
    assert (await harness.say("my data")).status == 200  # starts a dialog: its state is written
    assert finished == []
    async with harness.components.services.db() as db:
        assert list(await db.scalars(select(ProcessedActivity.lease_until))) == [None]
