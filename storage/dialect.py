"""Upserts that work on both SQLite and PostgreSQL (the two engines we support)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


def insert_for(session: AsyncSession, table: Any):
    """Return the dialect's INSERT construct, which offers ON CONFLICT clauses."""
    return insert_for_dialect(session.bind.dialect.name, table)


def insert_for_engine(engine: AsyncEngine, table: Any):
    return insert_for_dialect(engine.dialect.name, table)


def insert_for_dialect(name: str, table: Any):
    if name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
