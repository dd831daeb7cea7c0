"""The SQLite driver SQLAlchemy's async engine runs on: aiosqlite's interface, fewer thread hops.

SQLite's library blocks, so each connection lives on a thread of its own and the event loop
hands it work, as aiosqlite does. aiosqlite hands over every cursor call separately (make the
cursor, execute, fetch, close: four trips between the loop and the thread per statement, each
a queue put, a thread wake-up and a loop wake-up), and rolls back on every return to the pool
even when nothing is open. Here one trip executes a statement, buffers its rows and closes the
cursor, and commit or rollback with no transaction open costs no trip at all. That was about a
third of a turn's CPU time. Results are identical: SQLAlchemy's own aiosqlite dialect drives
this module exactly as it drives aiosqlite (`create_engine(..., module=...)` in storage/db.py).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable
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


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Connection:
    """One sqlite3 connection and the thread that owns it."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        self._connector = connector
        self._connection: sqlite3.Connection | None = None
        # (future, function) pairs, the shape SQLAlchemy's isolation-level setter also puts here.
        self._tx: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="sqlite-connection", daemon=True)

    def __await__(self):
        return self._open().__await__()

    async def _open(self) -> "Connection":
        self._thread.start()
        self._connection = await self._run(self._connector)
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def _work(self) -> None:
        while True:
            job = self._tx.get()
            if job is None:
                return
            future, function = job
            try:
                result, error = function(), None
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                result, error = None, exc
            if future is None:
                continue  # fire and forget (closing a connection SQLAlchemy gave up on)
            try:
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                pass  # the loop is closed: nobody is waiting any more

    async def _run(self, function: Callable[[], Any]) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._tx.put_nowait((future, function))
        return await future

    # --- the DB-API surface SQLAlchemy's adapter uses --------------------------------------

    def cursor(self) -> "Cursor":
        return Cursor(self)

    async def execute_batch(self, steps: list[tuple[str, Iterable[Any]]]) -> list[list[Any]]:
        """Run statements in order and commit, in one trip: each statement's rows, in order.
        On an error nothing of the batch stays (it is rolled back in the same trip)."""
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

        return await self._run(run)

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
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

    async def rollback(self) -> None:
        if self.in_transaction:
            await self._run(self._conn.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self._run(lambda: self._conn.create_function(*args, **kwargs))

    async def close(self) -> None:
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            await self._run(connection.close)
        finally:
            self._tx.put_nowait(None)

    def stop(self) -> None:
        """Close without waiting (SQLAlchemy's terminate, e.g. for a connection it gave up on)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._tx.put_nowait((None, connection.close))
        self._tx.put_nowait(None)


class Cursor:
    """A cursor whose statement runs, fetches and closes in one trip to the connection's thread."""

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

    async def _one_trip(self, call: Callable[[sqlite3.Cursor], Any]) -> "Cursor":
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

    async def execute(self, sql: str, parameters: Iterable[Any] | dict[str, Any] = ()) -> "Cursor":
        return await self._one_trip(lambda raw: raw.execute(sql, parameters))

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> "Cursor":
        return await self._one_trip(lambda raw: raw.executemany(sql, seq_of_parameters))

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


def connect(database: str, **kwargs: Any) -> Connection:
    """Like `aiosqlite.connect`: await the result to open the connection on its thread."""
    kwargs["check_same_thread"] = False  # opened on its thread, used only there
    return Connection(lambda: sqlite3.connect(database, **kwargs))
