"""Engine and session factory: the only place that knows which database engine is in use."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlite3

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_driver

log = logging.getLogger(__name__)


# WAL lets readers proceed while the dispatcher writes; foreign keys are off by default. A commit
# runs on the event loop (storage/sqlite_driver.py), so it must not wait for the disk: with
# synchronous=NORMAL a WAL commit is a write to the log, no fsync (1-12 ms on the shared VM, two
# per turn). Committed data survives the process crashing; after a power cut or an OS crash the
# commits since the log was last synced (by the checkpoint, `WalCheckpoints`, about a second)
# are rolled back, and the database is never corrupt. The log is checkpointed on a thread of its
# own; the automatic checkpoint (which would run inside some commit, on the loop, with two
# fsyncs) is left only as a backstop, at 10,000 pages (40 MB) instead of 1,000.
SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "wal_autocheckpoint=10000")


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
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _check_on_checkout(engine)
    return engine


# SQLAlchemy's pre-ping checks every checkout with three round trips on asyncpg (BEGIN, an empty
# query, ROLLBACK): more than a short turn's own statements. asyncpg notices a connection the
# server closed (a restart, a failover, an idle timeout) as soon as its socket closes, so that
# check costs nothing; only a connection idle for this long, whose network path may have gone
# silently, is pinged before use.
PING_IDLE_SECONDS = 10.0


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Replace dead pooled connections before use (the pool retries with a new connection when
    the check raises DisconnectionError), cheaply: see PING_IDLE_SECONDS."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_conn, record):  # pragma: no cover - trivial
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_conn, record, _proxy):
        if dbapi_conn.driver_connection.is_closed():
            raise DisconnectionError("the server closed the connection")
        idle_from = record.info.pop("idle_from", None)
        if idle_from is not None and time.monotonic() - idle_from >= PING_IDLE_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as exc:  # noqa: BLE001 - any failure: use a new connection instead
                raise DisconnectionError("the connection did not answer a ping") from exc


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


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


class WalCheckpoints:
    """PASSIVE checkpoints of a SQLite database's write-ahead log every `interval` seconds, on a
    thread and connection of their own, so the event loop never waits for the copy or its fsyncs.

    A PASSIVE checkpoint takes no lock that writers or readers wait for: it copies what no reader
    still needs and leaves the rest for next time. (Moving commits themselves to a thread was
    tried and made turns meet each other's write lock; a checkpoint holds no write lock.)"""

    def __init__(self, database: Path, interval: float = 1.0) -> None:
        self.database = database
        self.interval = interval
        self.runs = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal-checkpoint")
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task | None = None

    def _checkpoint(self) -> tuple[int, int, int]:
        if self._connection is None:
            # Only this thread uses it; a busy wait here blocks no one else.
            self._connection = sqlite3.connect(self.database, timeout=5, check_same_thread=False)
        busy, log_pages, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, log_pages, copied

    async def checkpoint(self) -> tuple[int, int, int]:
        """One checkpoint now: (1 if it could not run, pages in the log, pages copied)."""
        result = await asyncio.get_running_loop().run_in_executor(self._executor, self._checkpoint)
        self.runs += 1
        return result

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:  # the next run tries again; the backstop keeps the log bounded
                log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every(), name="wal-checkpoints")

    async def stop(self) -> None:
        """Stop the timer, run a last checkpoint and close the connection and thread."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.database.exists():
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:  # the log stays; SQLite replays it at the next open
                log.warning("last WAL checkpoint failed: %s", type(exc).__name__)
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, connection.close)
        self._executor.shutdown(wait=True)
