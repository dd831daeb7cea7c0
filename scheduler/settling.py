"""Outbox outcomes written in batches: one transaction for many rows instead of a commit per row.

A fan-out at Teams' 50 messages per second spent most of its database time committing one
outcome at a time (on SQLite each commit waits for a disk flush). Here every settled row's
outcome waits in a queue; one writer records up to `max_rows` of them in one transaction
(`storage.outbox.settle_many`), at most `max_delay` seconds after the first one queued, or at
once when the dispatcher says nothing else is being sent (`urgent`). Each caller gets its own
row's answer (was the claim still ours?) once its batch is committed, and the dispatcher keeps
renewing the row's lease until then.

The at-least-once window: a process that dies after a send and before its outcome is committed
sends that row again once the lease lapses. Batching widens that window from one row's commit to
`max_delay` (0.25 s, about a dozen rows at Teams' rate) plus the rows whose answers were in
flight, each sent at most twice; nothing is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib

from storage import outbox
from storage.db import OpenDb
from storage.outbox import Settlement


class SettlementWriter:
    def __init__(self, open_db: OpenDb, *, max_rows: int = 200, max_delay: float = 0.25) -> None:
        self._db = open_db
        self._max_rows = max_rows
        self._max_delay = max_delay
        self._queue: list[tuple[Settlement, asyncio.Future[bool]]] = []
        self._now = asyncio.Event()
        self._writer: asyncio.Task | None = None

    async def record(self, settlement: Settlement, *, urgent: bool = False) -> bool:
        """Queue one outcome and wait until it is committed; True if the claim was still ours.

        Raises what the database raised, for every outcome in a batch that failed to commit.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((settlement, future))
        if urgent or len(self._queue) >= self._max_rows:
            self._now.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="outbox-settlements")
        # Shielded: a cancelled dispatcher still has its outcome written (the row was sent).
        return await asyncio.shield(future)

    async def _write_all(self) -> None:
        while self._queue:
            if not self._now.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._now.wait(), self._max_delay)
            self._now.clear()
            batch, self._queue = self._queue[:self._max_rows], self._queue[self._max_rows:]
            try:
                async with self._db() as db, db.begin():
                    kept = await outbox.settle_many(db, [settlement for settlement, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), ours in zip(batch, kept):
                if not future.done():
                    future.set_result(ours)
