"""Pooled PostgreSQL connections are checked cheaply before use: one the server closed is replaced
without a round trip, one idle for PING_IDLE_SECONDS is pinged first, and one used a moment ago
goes straight back to work (SQLAlchemy's pre-ping cost three round trips on every checkout)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage import db
from storage.db import create_engine
from tests.databases import pg_exec


async def _backend_pid(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


@pytest.fixture
async def pool(pg_url, monkeypatch):
    """A one-connection engine whose pings are counted: (engine, pings)."""
    engine = create_engine(pg_url, pool_size=1)
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_conn):
        pings.append(1)
        return ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    yield engine, pings
    await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(pool):
    engine, pings = pool
    first = await _backend_pid(engine)
    assert await _backend_pid(engine) == first  # the same pooled connection, reused
    assert pings == []


async def test_a_connection_idle_long_enough_is_pinged_once_before_use(pool, monkeypatch):
    engine, pings = pool
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    first = await _backend_pid(engine)
    assert pings == []  # a new connection needs no ping
    assert await _backend_pid(engine) == first
    assert pings == [1]


async def test_a_connection_that_does_not_answer_its_ping_is_replaced(pool, monkeypatch):
    engine, _ = pool
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    first = await _backend_pid(engine)

    def silent(_dbapi_conn):
        raise OSError("no route to host")

    monkeypatch.setattr(engine.dialect, "do_ping", silent)
    assert await _backend_pid(engine) != first  # a new connection: its first use needs no ping


async def test_a_connection_the_server_closed_is_replaced_without_an_error(pool, pg_url):
    engine, pings = pool
    first = await _backend_pid(engine)
    # The server ends it (a restart, a failover, an idle timeout) while it sits in the pool.
    await pg_exec(pg_url, f"SELECT pg_terminate_backend({first}, 5000)")
    await asyncio.sleep(0.2)  # asyncpg notices when the event loop next reads the socket
    assert await _backend_pid(engine) != first
    assert pings == []  # noticed without a round trip
