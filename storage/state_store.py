"""Key/document store with optimistic concurrency, behind the bot's dialog and user state.

It knows nothing about botbuilder: documents are JSON-ready dicts and eTags are strings.
`bot/state_storage.py` adapts it to botbuilder's `Storage` interface. Every turn reads one key
and often writes it, so those two go through `storage.fastpath` (statements compiled once, run
on the driver connection); the rarer operations use SQLAlchemy Core.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.dialect import insert_for_engine
from storage.fastpath import Driver, Prepared, driver_connection
from storage.models import BotStateItem, utcnow

ANY_ETAG = "*"
_T = BotStateItem.__table__


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

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        c = _T.c
        values = {"key": bindparam("key", type_=c.key.type), "document": bindparam("document", type_=c.document.type),
                  "etag": bindparam("etag", type_=c.etag.type), "updated_at": bindparam("now", type_=c.updated_at.type)}
        insert = insert_for_engine(engine, _T).values(**values)
        self._read = Prepared(engine, select(c.document, c.etag).where(c.key == bindparam("key")))
        self._exists = Prepared(engine, select(c.key).where(c.key == bindparam("key")))
        self._update = Prepared(engine, update(_T).where(c.key == bindparam("key"), c.etag == bindparam("expected"))
                                .values(document=values["document"], etag=values["etag"],
                                        updated_at=values["updated_at"]).returning(c.key))
        self._insert_new = Prepared(engine, insert.on_conflict_do_nothing(index_elements=[c.key]).returning(c.key))
        self._upsert = Prepared(engine, insert.on_conflict_do_update(
            index_elements=[c.key], set_={"document": insert.excluded.document, "etag": insert.excluded.etag,
                                          "updated_at": insert.excluded.updated_at}))

    async def read(self, keys: Iterable[str]) -> dict[str, StoredDocument]:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        if len(keys) == 1:
            async with driver_connection(self._engine) as driver:
                found = await self.read_one(driver, keys[0])
            return {keys[0]: found} if found is not None else {}
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(_T.c.key, _T.c.document, _T.c.etag).where(_T.c.key.in_(keys)))
            return {key: StoredDocument(document, etag) for key, document, etag in rows}

    async def read_one(self, driver: Driver, key: str) -> StoredDocument | None:
        prepared, params = self.read_step(key)
        return self.document(await driver.fetch(prepared, **params))

    @staticmethod
    def read_columns() -> tuple[ScalarSelect, ScalarSelect]:
        """The read as two columns (document and eTag, NULL when nothing is stored) bound by `key`,
        for a statement that reads alongside something else (the turn's claim on PostgreSQL)."""
        c = _T.c
        return (select(c.document).where(c.key == bindparam("key")).scalar_subquery(),
                select(c.etag).where(c.key == bindparam("key")).scalar_subquery())

    def read_step(self, key: str) -> tuple[Prepared, dict[str, Any]]:
        """The read as a step another statement can share a database round with (the turn's claim does)."""
        return self._read, {"key": key}

    @staticmethod
    def document(rows: list[tuple[Any, ...]]) -> StoredDocument | None:
        return StoredDocument(rows[0][0], rows[0][1]) if rows else None

    async def write(self, changes: Mapping[str, PendingWrite],
                    along: Sequence[tuple[Prepared, dict[str, Any]]] = ()) -> dict[str, str]:
        """Write all changes as one unit; returns the new eTag of each key. The `along` statements
        (the turn's redelivery claim made final) run after them, in the same database round."""
        for key, change in changes.items():
            if change.expected_etag == "":
                raise ValueError(f"empty eTag for {key!r}: pass None or '*' to overwrite")
        new_etags: dict[str, str] = {}
        single = len(changes) == 1
        async with driver_connection(self._engine) as driver, driver.atomic(needed=not single):

            async def run(prepared: Prepared, params: dict[str, Any]) -> list[tuple[Any, ...]]:
                # The usual case is one document: its statement and commit in one round. Several
                # documents stay in one transaction, committed when the connection is left.
                if single:
                    return await driver.fetch_along(prepared, params, tuple(along))
                return await driver.fetch(prepared, **params)

            for key, change in changes.items():
                etag = uuid.uuid4().hex
                params = {"key": key, "document": change.document, "etag": etag, "now": utcnow()}
                if change.expected_etag in (None, ANY_ETAG):
                    await run(self._upsert, params)
                elif not await run(self._update, {"expected": change.expected_etag, **params}):
                    await self._recreate(driver, params)
                new_etags[key] = etag
            for prepared, params in along if not single else ():
                await driver.fetch(prepared, **params)
        return new_etags

    async def _recreate(self, driver: Driver, params: dict[str, Any]) -> None:
        """A conditional write that matched no row: a conflict, unless the row is gone."""
        if await driver.fetch(self._exists, key=params["key"]):
            raise ETagConflict(params["key"])
        # The item was deleted since it was read: writing it again is what MemoryStorage does too.
        # If someone else created it in between, theirs stands and ours is the conflict.
        if not await driver.fetch(self._insert_new, **params):
            raise ETagConflict(params["key"])

    async def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(_T).where(_T.c.key.in_(keys)))
