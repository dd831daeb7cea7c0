"""The SQLite driver under SQLAlchemy: same results as aiosqlite, no thread hops, locks waited for."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from storage import sqlite_driver
from tests.databases import sqlite_engine_with

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
              Column("name", String(20), unique=True))


@pytest.fixture
async def engine(tmp_path):
    async with sqlite_engine_with(tmp_path / "driver.db", metadata) as engine:
        yield engine


@pytest.fixture
def trips(monkeypatch):
    """Counts the calls into SQLite."""
    count = {"n": 0}
    real = sqlite_driver.Connection._run

    async def counted(self, function):
        count["n"] += 1
        return await real(self, function)

    monkeypatch.setattr(sqlite_driver.Connection, "_run", counted)
    return count


async def test_the_engine_runs_on_this_driver(engine):
    assert engine.dialect.dbapi.aiosqlite is sqlite_driver
    async with engine.connect() as conn:
        assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"


async def test_rows_counts_ids_and_returning(engine):
    async with engine.begin() as conn:
        result = await conn.execute(insert(items).values(name="a"))
        assert result.inserted_primary_key == (1,)
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await conn.execute(update(items).where(items.c.name != "a").values(name=items.c.name + "!"))
        assert changed.rowcount == 2
        back = await conn.execute(update(items).where(items.c.id == 1).values(name="z").returning(items.c.id))
        assert back.all() == [(1,)]
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == ["z", "b!", "c!"]


async def test_errors_are_sqlalchemys_and_roll_back(engine):
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="x"))
            await conn.execute(insert(items).values(name="x"))
    async with engine.connect() as conn:
        assert await conn.scalar(select(items.c.id).where(items.c.name == "x")) is None


async def test_one_trip_per_statement_and_none_for_an_idle_rollback(engine, trips):
    async with engine.connect() as conn:
        await conn.execute(select(items))
    assert trips["n"] == 1  # execute+fetch+close together; nothing to roll back when returned
    trips["n"] = 0
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="t"))
    assert trips["n"] == 2  # the insert and its commit


async def test_concurrent_sessions_share_the_file(engine):
    async def add(i: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name=f"n{i}"))

    await asyncio.gather(*(add(i) for i in range(20)))
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM items")) == 20


async def test_stop_closes_at_once(tmp_path):
    connection = await sqlite_driver.connect(str(tmp_path / "stop.db"))
    assert await connection.execute_fetchall("SELECT 1") == [(1,)]
    connection.stop()
    with pytest.raises(ValueError):
        await connection.execute_fetchall("SELECT 1")


async def _holder_and_waiter(path: str, timeout: float):
    """Two connections to one file; the first holds the write lock (an uncommitted insert)."""
    holder = await sqlite_driver.connect(path)
    waiter = await sqlite_driver.connect(path, timeout=timeout)
    await holder.execute_fetchall("PRAGMA journal_mode=WAL")
    await holder.execute_batch([("CREATE TABLE t (x INTEGER)", ())])
    await holder.execute_fetchall("INSERT INTO t VALUES (1)")
    return holder, waiter


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(tmp_path):
    holder, waiter = await _holder_and_waiter(str(tmp_path / "lock.db"), timeout=5)
    ticks = 0

    async def release_later() -> None:
        nonlocal ticks
        for _ in range(20):
            ticks += 1  # the loop keeps running while the waiter waits
            await asyncio.sleep(0.005)
        await holder.commit()

    await asyncio.gather(release_later(), waiter.execute_batch([("INSERT INTO t VALUES (2)", ())]))
    assert ticks == 20
    assert await waiter.execute_fetchall("SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    await holder.close()
    await waiter.close()


async def test_a_lock_held_too_long_is_an_error(tmp_path):
    holder, waiter = await _holder_and_waiter(str(tmp_path / "stuck.db"), timeout=0.1)
    with pytest.raises(sqlite_driver.OperationalError, match="locked"):
        await waiter.execute_batch([("INSERT INTO t VALUES (2)", ())])
    await holder.close()
    await waiter.close()


async def test_a_batch_is_one_trip_committed_or_nothing(engine, trips):
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        rows = await driver.execute_batch([("INSERT INTO items (name) VALUES (?) RETURNING id", ("p",)),
                                           ("SELECT name FROM items", ())])
        assert rows == [[(1,)], [("p",)]] and trips["n"] == 1
        with pytest.raises(sqlite_driver.IntegrityError):
            await driver.execute_batch([("INSERT INTO items (name) VALUES (?)", ("q",)),
                                        ("INSERT INTO items (name) VALUES (?)", ("p",))])
        assert not driver.in_transaction
        assert await driver.execute_fetchall("SELECT name FROM items ORDER BY id") == [("p",)]
