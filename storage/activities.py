"""Remembering which activities were already processed (Teams redelivers slow turns and invokes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.dialect import insert_for
from storage.models import ProcessedActivity, utcnow


class ActivityLedger:
    """First-writer-wins claim on (conversation id, activity id)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(self, conversation_id: str, activity_id: str) -> bool:
        """True for the first delivery of this activity, False for any repeat."""
        async with self._sessions() as session, session.begin():
            stmt = insert_for(session, ProcessedActivity).values(
                conversation_id=conversation_id[:300], activity_id=activity_id[:200], received_at=utcnow()
            )
            result = await session.execute(stmt.on_conflict_do_nothing())
            return result.rowcount == 1

    async def remember_response(self, conversation_id: str, activity_id: str, body: Any) -> None:
        """Keep an invoke's answer so a redelivery can be given the same one."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(ProcessedActivity)
                .where(ProcessedActivity.conversation_id == conversation_id[:300],
                       ProcessedActivity.activity_id == activity_id[:200])
                .values(response=body)
            )

    async def response(self, conversation_id: str, activity_id: str) -> Any:
        async with self._sessions() as session:
            return await session.scalar(
                select(ProcessedActivity.response).where(
                    ProcessedActivity.conversation_id == conversation_id[:300],
                    ProcessedActivity.activity_id == activity_id[:200]))

    async def release(self, conversation_id: str, activity_id: str) -> None:
        """Forget a claim whose processing failed, so a redelivery can try again."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(ProcessedActivity).where(
                    ProcessedActivity.conversation_id == conversation_id[:300],
                    ProcessedActivity.activity_id == activity_id[:200],
                )
            )

    async def prune(self, before: datetime) -> int:
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(ProcessedActivity).where(ProcessedActivity.received_at < before))
            return result.rowcount or 0
