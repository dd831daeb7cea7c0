"""The few statements every turn runs, executed on the database driver's own connection.

SQLAlchemy's async execution costs a large share of a millisecond of CPU per statement (the
ORM session more); with the redelivery claim, the dialog-state read and its write on every
turn, that was most of a turn's cost. These statements are still written with SQLAlchemy Core against the models and
compiled once for the engine's dialect, the connection still comes from SQLAlchemy's pool, and
every value goes through the column type's own bind and result processors, so rows are stored
exactly as the ORM stores them. Only the execution skips SQLAlchemy.

Two drivers are supported, the two the project uses: asyncpg, and for SQLite our own driver
(storage/sqlite_driver.py, aiosqlite's interface plus a batch of statements in one call).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import HasCTE
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

_Processor = Callable[[Any], Any] | None


class Prepared:
    """A Core statement compiled for one dialect: SQL text, positional parameter order and processors."""

    def __init__(self, engine: AsyncEngine, statement: HasCTE) -> None:
        dialect = engine.dialect
        self._engine, self._statement = engine, statement
        self._with: dict[int, Prepared] = {}
        self._depth = 0  # WITH clauses already added: each needs its own name
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)  # a DML or SELECT statement, never DDL
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._binds: tuple[_Processor, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self._names
        )
        # Values written into the statement (`status == "pending"`) are parameters too, with their
        # value already given; a name the caller passes wins.
        self._given: dict[str, Any] = {name: compiled.binds[name].effective_value for name in self._names
                                       if not compiled.binds[name].required}
        # A SELECT's columns, or what an INSERT/UPDATE returns (none when it returns nothing).
        columns = tuple(getattr(statement, "exported_columns", ()))
        self._results: tuple[_Processor, ...] = tuple(
            col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns
        )

    def running_first(self, other: "Prepared") -> "Prepared":
        """This statement with `other` (a data-changing one) in a WITH clause: both in one
        statement, which PostgreSQL runs in one round trip. Their parameter names must differ."""
        combined = self._with.get(id(other))
        if combined is None:
            cte = other._statement.cte(f"along_{self._depth}")
            combined = self._with[id(other)] = Prepared(self._engine, self._statement.add_cte(cte))
            combined._depth = self._depth + 1
        return combined

    def args(self, params: dict[str, Any]) -> list[Any]:
        if self._given:
            params = {**self._given, **params}
        return [value if process is None else process(value)
                for value, process in ((params[name], process) for name, process in zip(self._names, self._binds))]

    def row(self, raw: Any) -> tuple[Any, ...]:
        if not self._results:
            return tuple(raw)
        return tuple(value if process is None else process(value)
                     for value, process in zip(tuple(raw), self._results))


class Driver:
    """One checked-out driver connection, with the two drivers' calling conventions hidden."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self._conn = connection
        self._postgres = postgres

    async def fetch(self, prepared: Prepared, **params: Any) -> list[tuple[Any, ...]]:
        args = prepared.args(params)
        if self._postgres:
            rows = await self._conn.fetch(prepared.sql, *args)
        else:
            # One call for cursor, execute and fetch together.
            rows = await self._conn.execute_fetchall(prepared.sql, args)
        return [prepared.row(r) for r in rows]

    async def together(self, *steps: tuple[Prepared, dict[str, Any]]) -> list[list[tuple[Any, ...]]]:
        """Run statements in order, committed: on SQLite in one call into the driver (statements
        and commit), on PostgreSQL one round trip each, each committing on its own.
        Each statement's rows, in order."""
        if self._postgres:
            return [await self.fetch(prepared, **params) for prepared, params in steps]
        batches = await self._conn.execute_batch([(prepared.sql, prepared.args(params)) for prepared, params in steps])
        return [[prepared.row(r) for r in rows] for (prepared, _), rows in zip(steps, batches)]

    async def fetch_along(self, prepared: Prepared, params: dict[str, Any],
                          along: tuple[tuple[Prepared, dict[str, Any]], ...]) -> list[tuple[Any, ...]]:
        """`prepared`'s rows, committed with the `along` statements in the same round: on SQLite
        the same call into the driver, on PostgreSQL the same statement."""
        if not self._postgres:
            return (await self.together((prepared, params), *along))[0]
        merged = dict(params)
        for other, other_params in along:
            prepared = prepared.running_first(other)
            merged.update(other_params)
        return await self.fetch(prepared, **merged)

    @asynccontextmanager
    async def atomic(self, needed: bool = True) -> AsyncIterator[None]:
        """Several statements as one unit. On PostgreSQL each statement otherwise commits on its
        own (asyncpg outside a transaction), which is all a single statement needs and saves the
        BEGIN and COMMIT round trips; SQLite's statements already share the transaction that
        `driver_connection` commits or rolls back."""
        if needed and self._postgres:
            async with self._conn.transaction():
                yield
        else:
            yield


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Driver]:
    """A pooled connection's driver connection, straight from the pool (an `AsyncConnection`
    around it cost more than the statements). Leaving normally commits whatever SQLite still
    has open; an exception rolls it back. The pool's own checks (PostgreSQL's pre-ping) apply."""
    pooled = await engine.raw_connection()
    try:
        postgres = engine.dialect.name == "postgresql"
        connection = pooled.driver_connection
        assert connection is not None  # only a connection that was closed has none
        try:
            yield Driver(connection, postgres)
        except BaseException:
            if not postgres:
                await connection.rollback()
            raise
        if not postgres:
            await connection.commit()  # nothing to do when nothing is open
    finally:
        # Returning a connection may roll back through SQLAlchemy's adapter, which must run in
        # SQLAlchemy's greenlet context.
        await greenlet_spawn(pooled.close)
