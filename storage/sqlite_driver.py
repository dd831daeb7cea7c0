"""The SQLite driver SQLAlchemy's async engine runs on: aiosqlite's interface, no thread hops.

aiosqlite gives each connection a thread and hands it every cursor call separately (make the
cursor, execute, fetch, close: four trips per statement, each a queue put, a thread wake-up, a
GIL hand-over and a loop wake-up), which cost far more CPU than the statements: SQLite answers
our queries from its page cache in microseconds. Here statements run on the event loop's own
thread. What could block the loop for long is handled so that it cannot:

- waiting for another connection's write lock: connections are opened with no busy timeout,
  and a statement that finds the database locked is retried after an `asyncio.sleep`, so the
  loop keeps running (and the lock holder, often another task here, can finish) for up to the
  `timeout` the engine was given, as SQLite's own busy timeout would;
- writing to disk: WAL mode with `synchronous=NORMAL` (storage/db.py), so a commit appends to
  the log without waiting for the disk; the log is synced and checkpointed on a thread of its own;
- one turn holding the loop: after each commit the loop runs what else is ready (`_turn_over`).

Long-running queries would block the loop; the bot has none (reports aggregate a few thousand
rows at most). PostgreSQL remains the database for larger and replicated deployments.
SQLAlchemy's own aiosqlite dialect drives this module exactly as it drives aiosqlite
(`create_engine(..., module=...)` in storage/db.py); results are identical.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

__version__ = "1.0"

# What SQLAlchemy's dialect reads off the driver module.
DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info


_FIRST_RETRY, _MAX_RETRY = 0.0005, 0.02  # seconds between attempts on a locked database


def _locked(error: BaseException) -> bool:
    # Plain SQLITE_BUSY only: BUSY_SNAPSHOT and the like will not clear by waiting.
    return isinstance(error, sqlite3.OperationalError) and getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY"


async def _turn_over() -> None:
    """Let the loop run what else is ready. Statements run on the loop's thread without awaiting
    anything, so without this a whole turn (its reads, its dialog step, its writes) would be one
    callback of 10-30 ms during which no other turn, timer or socket is served. After a commit no
    lock is held, so a turn that runs meanwhile cannot meet this one's write lock (as it did when
    commits ran on a thread). (Turning over after every read as well cut the longest callbacks
    further but made each turn wait behind all the others: turn latency p50 3.6 s against 1.0 s.)"""
    await asyncio.sleep(0)


class _Immediate:
    """Where SQLAlchemy's isolation-level setter queues work for aiosqlite's thread: run it now."""

    @staticmethod
    def put_nowait(job: tuple[asyncio.Future, Callable[[], Any]]) -> None:
        future, function = job
        try:
            future.set_result(function())
        except Exception as exc:  # noqa: BLE001 - handed to whoever awaits the future
            future.set_exception(exc)


class Connection:
    """One sqlite3 connection, used on the event loop's thread."""

    # SQLAlchemy marks aiosqlite's thread as a daemon when connecting: there is no thread here.
    _thread = SimpleNamespace(daemon=True)
    _tx = _Immediate()

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        self._connector = connector
        self._busy_timeout = busy_timeout
        self._connection: sqlite3.Connection | None = None

    def __await__(self):
        return self._open().__await__()

    async def _open(self) -> "Connection":
        self._connection = await self._run(self._connector)
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    async def _run(self, function: Callable[[], Any]) -> Any:
        """Run `function` now; while the database is locked, let the loop run and try again."""
        delay, waited = _FIRST_RETRY, 0.0
        while True:
            try:
                return function()
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or waited >= self._busy_timeout:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, _MAX_RETRY)

    # --- the DB-API surface SQLAlchemy's adapter uses --------------------------------------

    def cursor(self) -> "Cursor":
        return Cursor(self)

    async def execute_batch(self, steps: list[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Run statements in order and commit: each statement's rows, in order. On an error
        nothing of the batch stays (and a locked database retries the whole batch)."""
        conn = self._conn

        def run() -> list[list[Any]]:
            results = []
            try:
                for sql, parameters in steps:
                    raw = conn.execute(sql, parameters)
                    try:
                        results.append(raw.fetchall() if raw.description else [])
                    finally:
                        raw.close()
                if conn.in_transaction:
                    conn.commit()
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            return results

        results = await self._run(run)
        await _turn_over()
        return results

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """As aiosqlite's: execute and fetch every row (storage/fastpath.py uses it)."""
        return await (await self.cursor().execute(sql, parameters)).fetchall()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    async def commit(self) -> None:
        if self.in_transaction:
            await self._run(self._conn.commit)
            await _turn_over()

    async def rollback(self) -> None:
        if self.in_transaction:
            await self._run(self._conn.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self._run(lambda: self._conn.create_function(*args, **kwargs))

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate, e.g. for a connection it gave up on)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class Cursor:
    """A cursor whose statement runs, fetches its rows and closes in one call."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    async def _call(self, call: Callable[[sqlite3.Cursor], Any]) -> "Cursor":
        conn = self._connection._conn

        def run() -> tuple[Any, int, int | None, list[Any]]:
            raw = conn.cursor()
            try:
                call(raw)
                rows = raw.fetchall() if raw.description else []
                return raw.description, raw.rowcount, raw.lastrowid, rows
            finally:
                raw.close()

        self.description, self.rowcount, self.lastrowid, rows = await self._connection._run(run)
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> "Cursor":
        return await self._call(lambda raw: raw.execute(sql, parameters))

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> "Cursor":
        return await self._call(lambda raw: raw.executemany(sql, seq_of_parameters))

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __aiter__(self) -> "Cursor":
        return self

    async def __anext__(self) -> Any:
        if not self._rows:
            raise StopAsyncIteration
        return self._rows.popleft()

    async def close(self) -> None:
        self._rows.clear()


def connect(database: str, *, timeout: float = 5.0, **kwargs: Any) -> Connection:
    """Like `aiosqlite.connect`: await the result to open the connection. `timeout` is how long
    a statement waits for another connection's lock, without blocking the event loop."""
    # No busy timeout inside SQLite: it would wait on this thread, which runs the event loop.
    kwargs["check_same_thread"] = False  # used on the loop thread; SQLAlchemy may close it from another
    return Connection(lambda: sqlite3.connect(database, timeout=0, **kwargs), timeout)
