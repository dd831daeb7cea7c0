"""Engine and session factory: the only place that knows which database engine is in use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import sqlite3

from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_driver


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine; for SQLite, make sure the folder exists and enable WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy's aiosqlite dialect on our driver, which runs SQLite on the event loop's
        # thread and waits for locks (up to `timeout` seconds) without blocking it.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=20, max_overflow=10,
                                     module=AsyncAdapt_aiosqlite_dbapi(sqlite_driver, sqlite3))

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cursor = dbapi_conn.cursor()
            # WAL lets readers proceed while the dispatcher writes; foreign keys are off by default.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


OpenDb = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def bounded(open_db: OpenDb, limit: int) -> OpenDb:
    """Sessions from `open_db`, at most `limit` open at once; the rest wait here, not in the pool.

    The outbox dispatcher settles a whole batch (200 rows) concurrently, and each row opens a
    session to render and another to record it. Unbounded, a batch queued 200 checkouts ahead of
    the turns on a 20-connection pool, and on a busy replica turns waited past the pool's 30 s
    timeout (503s). Bounded, background work holds at most `limit` connections, and a session
    opened under this bound must not open another under it (none does)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    gate = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def open_bounded() -> AsyncIterator[AsyncSession]:
        async with gate, open_db() as db:
            yield db

    return open_bounded


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False
