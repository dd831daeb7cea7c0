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
def pings(monkeypatch):
    counted: list[int] = []

    def counting(original):
        def do_ping(dbapi_conn):
            counted.append(1)
            return original(dbapi_conn)
        return do_ping

    return counted, counting


async def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url, pings, monkeypatch):
    counted, counting = pings
    engine = create_engine(pg_url, pool_size=1)
    monkeypatch.setattr(engine.dialect, "do_ping", counting(engine.dialect.do_ping))
    try:
        first = await _backend_pid(engine)
        assert await _backend_pid(engine) == first  # the same pooled connection, reused
        assert counted == []
    finally:
        await engine.dispose()


async def test_a_connection_idle_long_enough_is_pinged_once_before_use(pg_url, pings, monkeypatch):
    counted, counting = pings
    engine = create_engine(pg_url, pool_size=1)
    monkeypatch.setattr(engine.dialect, "do_ping", counting(engine.dialect.do_ping))
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    try:
        first = await _backend_pid(engine)
        assert counted == []  # a new connection needs no ping
        assert await _backend_pid(engine) == first
        assert counted == [1]
    finally:
        await engine.dispose()


async def test_a_connection_that_does_not_answer_its_ping_is_replaced(pg_url, monkeypatch):
    engine = create_engine(pg_url, pool_size=1)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    try:
        first = await _backend_pid(engine)

        def silent(_dbapi_conn):
            raise OSError("no route to host")

        monkeypatch.setattr(engine.dialect, "do_ping", silent)
        second = await _backend_pid(engine)  # a new connection: its first use needs no ping
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_without_an_error(pg_url, pings, monkeypatch):
    counted, counting = pings
    engine = create_engine(pg_url, pool_size=1)
    monkeypatch.setattr(engine.dialect, "do_ping", counting(engine.dialect.do_ping))
    try:
        first = await _backend_pid(engine)
        # The server ends it (a restart, a failover, an idle timeout) while it sits in the pool.
        await pg_exec(pg_url, f"SELECT pg_terminate_backend({first}, 5000)")
        await asyncio.sleep(0.2)  # asyncpg notices when the event loop next reads the socket
        second = await _backend_pid(engine)
        assert second != first
        assert counted == []  # noticed without a round trip
    finally:
        await engine.dispose()
