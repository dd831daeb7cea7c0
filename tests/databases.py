"""The tests' PostgreSQL databases: one migrated database per pytest(-xdist) worker, emptied
before each test, instead of a new database per test (CREATE DATABASE ... TEMPLATE plus DROP cost
more than most tests). Tests marked `own_database` still get a fresh copy of the template.

Emptying is exact, not just "no rows": every table that was written to (its file is no longer
empty) is truncated, which gives it new empty files and resets its planner statistics as a fresh
copy has them, and every sequence that was used restarts. Autovacuum is off on the shared
database's tables, as it in effect was on the short-lived per-test copies, so no statistics
gathered during one test steer the plans of the next.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine

# One round trip. Backends left by the previous test (a pool not disposed, a killed process) are
# ended first, as DROP DATABASE ... WITH (FORCE) ended them, so nothing holds a lock or writes later.
RESET = """
SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid();
DO $reset$
DECLARE
  written text[];
  s record;
BEGIN
  SELECT array_agg(format('%I.%I', schemaname, tablename)) INTO written FROM pg_tables
   WHERE schemaname = 'public' AND tablename <> 'alembic_version'
     AND pg_relation_size(format('%I.%I', schemaname, tablename)) > 0;
  IF written IS NOT NULL THEN
    -- CASCADE adds the tables referring to these: PostgreSQL truncates a table only with them.
    EXECUTE 'TRUNCATE ' || array_to_string(written, ', ') || ' CASCADE';
  END IF;
  FOR s IN SELECT schemaname, sequencename, start_value FROM pg_sequences WHERE last_value IS NOT NULL LOOP
    PERFORM setval(format('%I.%I', s.schemaname, s.sequencename), s.start_value, false);
  END LOOP;
END
$reset$;
"""

AUTOVACUUM_OFF = """
DO $off$
DECLARE t record;
BEGIN
  FOR t IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I.%I SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)',
                   t.schemaname, t.tablename);
  END LOOP;
END
$off$;
"""


@asynccontextmanager
async def sqlite_engine_with(path: Path, metadata: MetaData) -> AsyncIterator[AsyncEngine]:
    """An engine on a new SQLite file at `path` with `metadata`'s tables created, disposed after."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


def with_db(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def plain_dsn(url: str) -> str:
    """A SQLAlchemy asyncpg URL as asyncpg itself takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def pg_exec(url: str, *statements: str) -> None:
    """Run `statements` on their own connection to `url`."""
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class SharedPostgres:
    """One worker's database, reset before each test that takes it.

    It keeps one connection open on a private event loop (each test has its own loop, and the
    checkout happens in a synchronous fixture, between them), so a reset costs no new connection.
    """

    def __init__(self, admin_url: str, template: str) -> None:
        self._admin_url = admin_url
        self._template = template
        self.name = f"peerspace_w_{uuid.uuid4().hex[:10]}"
        self.url = with_db(admin_url, self.name)
        self._loop = asyncio.new_event_loop()
        self._conn: asyncpg.Connection | None = None
        self._run(self._create())

    def _run(self, coro):
        return self._loop.run_until_complete(coro)

    async def _create(self) -> None:
        await pg_exec(self._admin_url, f'CREATE DATABASE "{self.name}" TEMPLATE "{self._template}"')
        await pg_exec(self.url, AUTOVACUUM_OFF)

    async def _reset(self) -> None:
        for attempt in (1, 2):
            try:
                if self._conn is None or self._conn.is_closed():
                    if not await self._exists():
                        await self._create()  # a test dropped it without the `own_database` mark
                    self._conn = await asyncpg.connect(plain_dsn(self.url))
                await self._conn.execute(RESET)
                return
            except (asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, asyncpg.InterfaceError, OSError):
                # The kept connection was ended by a test (DROP DATABASE ... WITH FORCE): once more.
                self._conn = None
                if attempt == 2:
                    raise

    async def _exists(self) -> bool:
        conn = await asyncpg.connect(plain_dsn(self._admin_url))
        try:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self.name))
        finally:
            await conn.close()

    def checkout(self) -> str:
        """The worker database's URL, empty exactly as a fresh copy of the migrated template is."""
        self._run(self._reset())
        return self.url

    def close(self) -> None:
        """Drop the worker database (at the end of the session)."""
        if self._conn is not None:
            self._run(self._conn.close())
        self._run(pg_exec(self._admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._loop.close()
