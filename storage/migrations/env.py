"""Alembic environment: runs on a connection handed in by `storage.migrate`, or on DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context

from storage.db import create_engine
from storage.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_url(config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]))
