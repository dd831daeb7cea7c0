"""Remembering which activities were taken (Teams redelivers slow turns and invokes), and whether
their turn finished.

A claim starts *in flight*: it holds a lease that its running turn renews, and it becomes final
(*done*) only when the turn completes. A process that dies mid-turn (kill -9) stops renewing, so
once the lease has run out a redelivery takes the claim over and the turn is processed after all.
Nothing of an activity's content is kept here: an invoke's answer can hold what a person typed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, literal_column, null, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.dialect import insert_for_engine
from storage.fastpath import Prepared, driver_connection
from storage.models import ProcessedActivity, utcnow
from storage.state_store import StateStore, StoredDocument

log = logging.getLogger(__name__)
_T = ProcessedActivity.__table__
FLUSH_SECONDS = 0.2
Step = tuple[Prepared, dict[str, Any]]


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming an activity. When won (`first_delivery`: a first delivery, or a
    takeover from a turn whose process died), `token` identifies this turn's hold on it and the
    conversation's dialog state (when asked for) was read in the same database round."""

    first_delivery: bool
    state_key: str | None = None
    state: StoredDocument | None = None
    key: tuple[str, str] | None = None
    token: str | None = None


class ActivityLedger:
    """First-writer-wins claim on (conversation id, activity id), leased until the turn is done."""

    def __init__(self, engine: AsyncEngine, state: StateStore, *, lease: timedelta) -> None:
        self._engine = engine
        self._state = state
        self.lease = lease
        self._pending: list[Step] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Future | None = None
        c = _T.c
        where_mine = (c.conversation_id == bindparam("conversation_id"), c.activity_id == bindparam("activity_id"),
                      c.owner == bindparam("token"))
        insert = insert_for_engine(engine, _T).values(
            conversation_id=bindparam("conversation_id", type_=c.conversation_id.type),
            activity_id=bindparam("activity_id", type_=c.activity_id.type),
            received_at=bindparam("now", type_=c.received_at.type),
            lease_until=bindparam("until", type_=c.lease_until.type),
            owner=bindparam("token", type_=c.owner.type),
        )
        # New, or taken over when its lease ran out (a NULL lease, done, never compares true).
        # One statement, so two copies cannot both take an expired claim.
        claim = insert.on_conflict_do_update(
            index_elements=[c.conversation_id, c.activity_id],
            set_={"received_at": insert.excluded.received_at, "lease_until": insert.excluded.lease_until,
                  "owner": insert.excluded.owner},
            where=c.lease_until < insert.excluded.received_at,
        ).returning(literal_column("1"))
        self._claim = Prepared(engine, claim)
        # PostgreSQL runs one statement per round trip: the claim and the state read as one (the
        # claim in a WITH clause, which runs whether or not it is read; whether it took the
        # activity is whether it returned a row). SQLite's driver runs both in one call anyway.
        self._claim_and_read: Prepared | None = None
        if engine.dialect.name == "postgresql":
            claimed = claim.cte("claimed")
            self._claim_and_read = Prepared(engine, select(
                select(func.count()).select_from(claimed).scalar_subquery(), *state.read_columns()))
        self._renew = Prepared(engine, update(_T).where(*where_mine, c.lease_until.is_not(None))
                               .values(lease_until=bindparam("until", type_=c.lease_until.type))
                               .returning(literal_column("1")))
        self._finish = Prepared(engine, update(_T).where(*where_mine).values(lease_until=null()))
        self._done = Prepared(engine, select(c.lease_until.is_(None)).where(
            c.conversation_id == bindparam("conversation_id"), c.activity_id == bindparam("activity_id")))

    async def claim(self, conversation_id: str, activity_id: str, *, state_key: str | None = None) -> Claim:
        """Take this activity unless another turn holds it or finished it; with `state_key`, also
        read that state document. Finishes waiting to be recorded go in the same round."""
        key = (conversation_id[:300], activity_id[:200])
        now, token = utcnow(), uuid.uuid4().hex
        claim = {"conversation_id": key[0], "activity_id": key[1], "now": now, "until": now + self.lease,
                 "token": token}
        # Read even if this turns out to be a redelivery: one round for both is cheaper.
        if self._claim_and_read is not None and state_key is not None and not self._pending:
            async with driver_connection(self._engine) as driver:
                [(won, document, etag)] = await driver.fetch(self._claim_and_read, **claim, key=state_key)
            if not won:
                return Claim(False)
            return Claim(True, state_key, StoredDocument(document, etag) if etag is not None else None, key, token)
        steps = [(self._claim, claim)] + ([self._state.read_step(state_key)] if state_key is not None else [])
        pending, self._pending = self._pending, []
        try:
            async with driver_connection(self._engine) as driver:
                rows = await driver.together(*steps, *pending)
        except BaseException:
            self._pending[:0] = pending
            raise
        if not rows[0]:
            return Claim(False)
        return Claim(True, state_key, self._state.document(rows[1]) if state_key is not None else None, key, token)

    async def is_done(self, conversation_id: str, activity_id: str) -> bool | None:
        """True once the activity's turn finished, False while one holds it, None if nobody does."""
        async with driver_connection(self._engine) as driver:
            rows = await driver.fetch(self._done, conversation_id=conversation_id[:300],
                                      activity_id=activity_id[:200])
        return bool(rows[0][0]) if rows else None

    async def renew(self, claim: Claim) -> bool:
        """Extend a running turn's lease; False if the claim is no longer this turn's."""
        async with driver_connection(self._engine) as driver:
            return bool(await driver.fetch(self._renew, **self._mine(claim), until=utcnow() + self.lease))

    def finish_step(self, claim: Claim) -> Step | None:
        """The statement making the claim final, to run in a database round the turn makes anyway."""
        return (self._finish, self._mine(claim)) if claim.token else None

    def finish_later(self, claim: Claim) -> None:
        """Make the claim final (the turn completed) with the next claim's database round, or
        within FLUSH_SECONDS if none comes: a turn that writes no state then costs no round of
        its own. Until then a copy arriving at another process waits, as for a running turn."""
        step = self.finish_step(claim)
        if step is None:
            return
        self._pending.append(step)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush_soon)

    def _flush_soon(self) -> None:
        self._timer = None
        if self._pending:
            self._flushing = asyncio.ensure_future(self._flush_logged())

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
        except Exception as exc:  # noqa: BLE001 - kept, and tried again with the next round
            log.error("could not record finished turns: %s", type(exc).__name__)
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush_soon)

    async def flush(self) -> None:
        """Record the finishes still waiting (also at shutdown)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            async with driver_connection(self._engine) as driver:
                await driver.together(*pending)
        except BaseException:
            self._pending[:0] = pending
            raise

    async def release(self, claim: Claim) -> None:
        """Forget a claim whose processing failed, so a redelivery can try again."""
        if claim.key is None:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(_T).where(_T.c.conversation_id == claim.key[0],
                                                _T.c.activity_id == claim.key[1], _T.c.owner == claim.token))

    async def prune(self, before: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_T).where(_T.c.received_at < before))
            return result.rowcount or 0

    @staticmethod
    def _mine(claim: Claim) -> dict[str, Any]:
        assert claim.key is not None and claim.token is not None
        return {"conversation_id": claim.key[0], "activity_id": claim.key[1], "token": claim.token}
