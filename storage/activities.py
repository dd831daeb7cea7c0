"""Remembering which activities were already processed (Teams redelivers slow turns and invokes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.dialect import insert_for_engine
from storage.fastpath import Prepared, driver_connection
from storage.models import ProcessedActivity, utcnow
from storage.state_store import StateStore, StoredDocument

_T = ProcessedActivity.__table__


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming an activity. On a first delivery, the conversation's dialog state
    (when asked for) was read in the same database round, as the turn needs it next."""

    first_delivery: bool
    state_key: str | None = None
    state: StoredDocument | None = None


class ActivityLedger:
    """First-writer-wins claim on (conversation id, activity id)."""

    def __init__(self, engine: AsyncEngine, state: StateStore) -> None:
        self._engine = engine
        self._state = state
        c = _T.c
        self._claim = Prepared(engine, insert_for_engine(engine, _T).values(
            conversation_id=bindparam("conversation_id", type_=c.conversation_id.type),
            activity_id=bindparam("activity_id", type_=c.activity_id.type),
            received_at=bindparam("now", type_=c.received_at.type),
        ).on_conflict_do_nothing().returning(literal_column("1")))
        self._remember = Prepared(engine, update(_T).where(
            c.conversation_id == bindparam("conversation_id"), c.activity_id == bindparam("activity_id"),
        ).values(response=bindparam("response", type_=c.response.type)))

    async def claim(self, conversation_id: str, activity_id: str, *, state_key: str | None = None) -> Claim:
        """First delivery of this activity, or a repeat; with `state_key`, also that state document."""
        claim = {"conversation_id": conversation_id[:300], "activity_id": activity_id[:200], "now": utcnow()}
        async with driver_connection(self._engine) as driver:
            if state_key is None:
                return Claim(bool(await driver.fetch(self._claim, **claim)))
            # Read even if this turns out to be a redelivery: one round for both is cheaper.
            claimed, state = await driver.together((self._claim, claim), self._state.read_step(state_key))
        if not claimed:
            return Claim(False)
        return Claim(True, state_key, self._state.document(state))

    async def remember_response(self, conversation_id: str, activity_id: str, body: Any) -> None:
        """Keep an invoke's answer so a redelivery can be given the same one."""
        async with driver_connection(self._engine) as driver:
            await driver.fetch(self._remember, conversation_id=conversation_id[:300],
                               activity_id=activity_id[:200], response=body)

    async def response(self, conversation_id: str, activity_id: str) -> Any:
        async with self._engine.connect() as conn:
            return await conn.scalar(select(_T.c.response).where(
                _T.c.conversation_id == conversation_id[:300], _T.c.activity_id == activity_id[:200]))

    async def release(self, conversation_id: str, activity_id: str) -> None:
        """Forget a claim whose processing failed, so a redelivery can try again."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(_T).where(
                _T.c.conversation_id == conversation_id[:300], _T.c.activity_id == activity_id[:200]))

    async def prune(self, before: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_T).where(_T.c.received_at < before))
            return result.rowcount or 0
