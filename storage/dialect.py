"""Upserts that work on both SQLite and PostgreSQL (the two engines we support)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any):
    """Return the dialect's INSERT construct, which offers ON CONFLICT clauses."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
