"""The test databases are shared per worker on PostgreSQL (tests/databases.py): nothing one test
writes may be seen by the next, so each test must start exactly as on a fresh migrated copy."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import asyncpg
import pytest
from sqlalchemy import func, select, text

from storage import outbox
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage
from storage.schema import Base
from storage.users import SeenConversation, SeenUser, upsert_conversation, upsert_user
from tests.databases import pg_exec, plain_dsn, with_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


async def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {t.name: await conn.scalar(select(func.count()).select_from(t))
                    for t in Base.metadata.sorted_tables}
    finally:
        await engine.dispose()


async def _first_outbox_id(url: str) -> int:
    """The id the next outbox row gets (written, then rolled back: the row goes, the id is used)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db:
            await outbox.enqueue(db, kind="card", idempotency_key="probe", conversation_id="a:probe", due_at=NOW)
            row_id = await db.scalar(select(OutboxMessage.id))
            await db.rollback()
        return row_id
    finally:
        await engine.dispose()


async def _leave_rows_behind(url: str) -> None:
    """Rows in tables that refer to each other, and sequences moved on."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            user = await upsert_user(db, SeenUser("29:leak", "aad-leak", "Lee K", "t", None, None), "Europe/London")
            await db.flush()
            await upsert_conversation(db, SeenConversation("a:leak", "personal", "t", None, None, {}), user)
            for key in ("leak-1", "leak-2"):
                await outbox.enqueue(db, kind="card", idempotency_key=key, user_id=user.id, due_at=NOW)
    finally:
        await engine.dispose()


async def _assert_fresh(url: str) -> None:
    counts = await _row_counts(url)
    assert {name: n for name, n in counts.items() if n} == {}, "rows left by an earlier test"
    assert await _first_outbox_id(url) == 1, "a sequence left moved on by an earlier test"


@pytest.mark.parametrize("run", range(4))
async def test_each_test_starts_on_an_empty_database(db_url, run):
    # Four runs per engine, one after another on a worker: a leak from any of them fails the next.
    await _assert_fresh(db_url)
    await _leave_rows_behind(db_url)


async def test_taking_the_shared_database_again_empties_it_exactly(pg_shared):
    if pg_shared is None:
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")
    # The checkout runs its own event loop, so here it runs on a thread without one.
    url = await asyncio.to_thread(pg_shared.checkout)
    await _leave_rows_behind(url)
    await _first_outbox_id(url)  # the sequence moves on
    forgotten = create_engine(url)  # a transaction left open, holding a lock, as a test's forgotten engine might
    conn = await forgotten.connect()
    await conn.execute(text("SELECT 1 FROM outbox FOR UPDATE"))
    try:
        assert await asyncio.wait_for(asyncio.to_thread(pg_shared.checkout), 60) == url  # the same database
    finally:
        await conn.invalidate()
        await forgotten.dispose()
    await _assert_fresh(url)
    await asyncio.to_thread(pg_shared.checkout)
    conn = await asyncpg.connect(plain_dsn(url))
    try:  # truncated tables have empty files and no statistics, as on a fresh copy
        for table in ("users", "outbox"):
            assert await conn.fetchval("SELECT pg_relation_size($1)", table) == 0
            assert await conn.fetchval("SELECT reltuples FROM pg_class WHERE relname = $1", table) == -1
    finally:
        await conn.close()


async def test_a_shared_database_a_test_dropped_comes_back(pg_shared):
    if pg_shared is None:
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")
    from tests.conftest import PG_URL

    url = await asyncio.to_thread(pg_shared.checkout)
    await pg_exec(PG_URL, f'DROP DATABASE "{pg_shared.name}" WITH (FORCE)')
    assert await asyncio.to_thread(pg_shared.checkout) == url == with_db(PG_URL, pg_shared.name)
    await _assert_fresh(url)
