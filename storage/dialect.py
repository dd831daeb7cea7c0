"""Upserts and counted writes that work on both SQLite and PostgreSQL (the two engines we support)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, ScalarSelect, Select, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


def insert_for(db: AsyncSession, table: Any):
    """Return the dialect's INSERT construct, which offers ON CONFLICT clauses."""
    return insert_for_dialect(db.get_bind().dialect.name, table)


async def rows_changed(db: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE and return how many rows it changed.

    Such statements always give a CursorResult, but AsyncSession.execute is typed to return the
    plain Result (SQLAlchemy's documented way round is this cast), which has no rowcount.
    """
    result = cast(CursorResult[Any], await db.execute(statement))
    return result.rowcount or 0


def insert_for_engine(engine: AsyncEngine, table: Any):
    return insert_for_dialect(engine.dialect.name, table)


def insert_for_dialect(name: str, table: Any):
    if name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- lists inside one statement ("my data": one statement per feature) ---------------------------


def json_rows(dialect: str, statement: Select, *order_by: str) -> ScalarSelect:
    """A scalar subquery giving `statement`'s rows as one JSON array of arrays (read it with
    `rows_of`), so a statement can carry lists next to counts. `order_by` names selected columns,
    "-name" for descending. PostgreSQL orders inside the aggregate; SQLite (3.40 has no ORDER BY
    in aggregates) aggregates an ordered subquery, which it reads in order."""
    if dialect == "postgresql":
        rows = statement.subquery()
        order = [rows.c[name[1:]].desc() if name.startswith("-") else rows.c[name] for name in order_by]
        array = func.json_build_array(*rows.c)
        agg = func.json_agg(aggregate_order_by(array, *order)) if order else func.json_agg(array)
        return select(func.coalesce(agg, literal_column("'[]'::json"))).scalar_subquery()
    columns = statement.selected_columns
    rows = statement.order_by(*[columns[name[1:]].desc() if name.startswith("-") else columns[name]
                                for name in order_by]).subquery()
    return select(func.json_group_array(func.json_array(*rows.c))).scalar_subquery()


def rows_of(value: Any) -> list[list[Any]]:
    """The rows a `json_rows` column holds. Times come as ISO text (see `utc_of`), dates as ISO
    dates, booleans as true/false on PostgreSQL and 1/0 on SQLite."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, (str, bytes)) else list(value)


def utc_of(value: str) -> datetime:
    """A stored UTC time read from `rows_of` (naive UTC on both engines, as UTCDateTime keeps it)."""
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
