"""Key/document store with optimistic concurrency, behind the bot's dialog and user state.

It knows nothing about botbuilder: documents are JSON-ready dicts and eTags are strings.
`bot/state_storage.py` adapts it to botbuilder's `Storage` interface.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.dialect import insert_for
from storage.models import BotStateItem, utcnow

ANY_ETAG = "*"


class ETagConflict(KeyError):
    """A write carried an eTag that no longer matches the stored one: someone else wrote first."""


@dataclass(frozen=True)
class StoredDocument:
    document: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class PendingWrite:
    document: dict[str, Any]
    # None or "*" writes unconditionally; any other value must match the stored eTag.
    expected_etag: str | None


class StateStore:
    """Reads and writes documents by key; every write gets a fresh eTag."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def read(self, keys: Iterable[str]) -> dict[str, StoredDocument]:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        async with self._sessions() as session:
            rows = await session.scalars(select(BotStateItem).where(BotStateItem.key.in_(keys)))
            return {row.key: StoredDocument(row.document, row.etag) for row in rows}

    async def write(self, changes: Mapping[str, PendingWrite]) -> dict[str, str]:
        """Write all changes in one transaction; returns the new eTag of each key."""
        new_etags: dict[str, str] = {}
        async with self._sessions() as session, session.begin():
            for key, change in changes.items():
                if change.expected_etag == "":
                    raise ValueError(f"empty eTag for {key!r}: pass None or '*' to overwrite")
                etag = uuid.uuid4().hex
                if change.expected_etag in (None, ANY_ETAG):
                    await _upsert(session, key, change.document, etag)
                else:
                    await _conditional_write(session, key, change, etag)
                new_etags[key] = etag
        return new_etags

    async def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(delete(BotStateItem).where(BotStateItem.key.in_(keys)))

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every key that starts with `prefix` (used when a person asks to be forgotten)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(BotStateItem).where(BotStateItem.key.like(escaped + "%", escape="\\"))
            )
            return result.rowcount or 0


async def _upsert(session: AsyncSession, key: str, document: dict[str, Any], etag: str) -> None:
    now = utcnow()
    stmt = insert_for(session, BotStateItem).values(key=key, document=document, etag=etag, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[BotStateItem.key],
        set_={"document": document, "etag": etag, "updated_at": now},
    )
    await session.execute(stmt)


async def _conditional_write(session: AsyncSession, key: str, change: PendingWrite, etag: str) -> None:
    result = await session.execute(
        update(BotStateItem)
        .where(BotStateItem.key == key, BotStateItem.etag == change.expected_etag)
        .values(document=change.document, etag=etag, updated_at=utcnow())
    )
    if result.rowcount == 1:
        return
    exists = await session.scalar(select(BotStateItem.key).where(BotStateItem.key == key))
    if exists is not None:
        raise ETagConflict(key)
    # The item was deleted since it was read: writing it again is what MemoryStorage does too.
    stmt = insert_for(session, BotStateItem).values(
        key=key, document=change.document, etag=etag, updated_at=utcnow()
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[BotStateItem.key]))
