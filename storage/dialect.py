"""Upserts and counted writes that work on both SQLite and PostgreSQL (the two engines we support)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
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
