"""Claims due outbox rows and hands them to a delivery function; records every outcome.

SDK-free: the bot layer passes in `deliver`, which renders the row and calls the messenger,
awaiting the `confirm` it is given before every attempt to send: it raises `LeaseLost` once the
row's claim has passed to another dispatcher (see scheduler/lease.py), so a stalled dispatcher
stops instead of sending a second copy. An outcome whose claim was lost is logged and counted
(`DispatchStats.lost`), never recorded over the new holder's.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from storage.logs import describe_exception
from scheduler.clock import Clock
from scheduler.lease import Holdings, LeaseLost
from storage import outbox
from storage.db import OpenDb
from storage.outbox import ClaimedMessage, Settlement
from scheduler.settling import SettlementWriter

log = logging.getLogger(__name__)


class Delivery(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    GONE = "gone"  # recipient uninstalled the app or blocked the bot
    FAILED = "failed"
    NO_RECIPIENT = "no_recipient"
    SKIPPED = "skipped"  # the feature decided the message is no longer wanted


@dataclass(frozen=True)
class DeliveryResult:
    status: Delivery
    activity_id: str | None = None
    error: str | None = None


Confirm = Callable[[], Awaitable[None]]  # raises LeaseLost when the row is no longer ours
Deliver = Callable[[ClaimedMessage, Confirm], Awaitable[DeliveryResult]]
DEFAULT_LEASE = timedelta(seconds=30)


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    expired: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims that passed to another dispatcher before the outcome was recorded


class Dispatcher:
    def __init__(
        self,
        open_db: OpenDb,
        deliver: Deliver,
        clock: Clock,
        *,
        batch_size: int = 200,
        lease: timedelta = DEFAULT_LEASE,
        renew_every: timedelta | None = None,
        max_attempts: int = 8,
        retry_base: timedelta = timedelta(minutes=1),
        settle_db: OpenDb | None = None,
        prepare: Callable[[list[ClaimedMessage]], Awaitable[None]] | None = None,
    ) -> None:
        self._db = open_db
        # Sessions for settling rows (expiring, recording); may be bounded (storage/db.bounded) so a
        # batch does not take every connection. Claims and lease renewals keep `open_db`: a renewal
        # queued behind a whole batch would let the lease lapse and another replica send again.
        self._settle_db = settle_db or open_db
        self._deliver = deliver
        self._prepare = prepare  # sees each claimed batch before its rows are delivered
        self._clock = clock
        self._batch_size = batch_size
        self._holdings = Holdings(open_db, clock, lease, renew_every or lease / 3)
        self._max_attempts = max_attempts
        self._retry_base = retry_base
        self._claiming = True
        self._writer = SettlementWriter(self._settle_db, max_rows=batch_size)
        self._sending = 0  # rows being delivered right now (their outcomes not yet queued)

    def stop_claiming(self) -> None:
        """The process is stopping: settle the rows in hand, claim no more (a drain then ends)."""
        self._claiming = False

    async def run_once(self) -> DispatchStats:
        """Claim one batch and settle every row in it, renewing the lease until all are settled."""
        stats = DispatchStats()
        batch = await self._claim(stats)
        try:
            await asyncio.gather(*(self._settle(message, stats) for message in batch))
        finally:
            await self._release(batch)
        return stats

    async def drain(self, max_batches: int = 1000) -> DispatchStats:
        """Run batches until nothing is due (each tick, and catching up after downtime).

        The next batch is claimed as soon as fewer than a batch of rows are still unsettled, so
        the slow tail of one batch (a send waiting out Teams' Retry-After) overlaps the next
        instead of holding it back; at most two batches' rows are held at once.
        """
        total = DispatchStats()
        unsettled: set[asyncio.Task] = set()
        in_hand = 0  # rows claimed and not yet settled; counted here, not from finished tasks
        progress = asyncio.Event()

        async def settle(message: ClaimedMessage) -> None:
            nonlocal in_hand
            try:
                await self._settle(message, total)
            finally:
                # Released, not stopped: the renewer ends by itself once nothing is held, and
                # stopping it here could race the claim of the next batch.
                self._holdings.release(message)
                in_hand -= 1
                progress.set()

        try:
            for _ in range(max_batches):
                while in_hand >= self._batch_size:
                    progress.clear()
                    await progress.wait()
                batch = await self._claim(total)
                if not batch:
                    break
                in_hand += len(batch)
                for message in batch:
                    task = asyncio.ensure_future(settle(message))
                    unsettled.add(task)
                    task.add_done_callback(unsettled.discard)
            await asyncio.gather(*unsettled)
        finally:
            for task in unsettled:
                task.cancel()  # only if drain itself was cancelled or failed: settled ones are done
            await asyncio.gather(*unsettled, return_exceptions=True)
            if not self._holdings:
                await self._holdings.stop()
        return total

    async def _claim(self, stats: DispatchStats) -> list[ClaimedMessage]:
        if not self._claiming:
            return []
        now = self._clock.now()
        lease = self._holdings.lease
        async with self._db() as db, db.begin():
            batch = await outbox.claim_due(db, now=now, limit=self._batch_size, lease=lease)
        stats.claimed += len(batch)
        if batch:
            self._holdings.add(batch, now + lease)
            if self._prepare is not None:
                try:
                    await self._prepare(batch)
                except Exception as exc:  # noqa: BLE001 - only a shortcut: `deliver` reads what it needs
                    log.error("preparing %d outbox rows raised %s", len(batch), describe_exception(exc))
        return batch

    async def _release(self, messages: list[ClaimedMessage]) -> None:
        for message in messages:
            self._holdings.release(message)
        if not self._holdings:
            await self._holdings.stop()

    async def _settle(self, message: ClaimedMessage, stats: DispatchStats) -> None:
        self._sending += 1
        try:
            settlement, counter = await self._outcome(message, stats)
        finally:
            self._sending -= 1
        if settlement is None:
            return
        # Written with the other rows settled about now, in one transaction; at once when
        # nothing else is being sent, so the last rows of a drain do not wait for company.
        if not await self._writer.record(settlement, urgent=self._sending == 0):
            self._lost(message, stats, f"before recording it as {counter or 'cancelled'}")
            return
        if counter:
            setattr(stats, counter, getattr(stats, counter) + 1)
        if counter == "failed":
            log.warning("outbox row %s (%s) failed: %s", message.id, message.kind, settlement.values["last_error"])

    async def _outcome(self, message: ClaimedMessage, stats: DispatchStats) -> tuple[Settlement | None, str]:
        """Send the row unless it is past its time; what to record, and the stats counter it adds to."""
        now = self._clock.now()
        if message.not_after is not None and now > message.not_after:
            return outbox.Settlement.expired(message), "expired"
        try:
            result = await self._deliver(message, lambda: self._holdings.confirm(message))
        except LeaseLost as exc:
            self._lost(message, stats, f"before sending it ({exc}); not sent")
            return None, ""
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the batch
            # Not log.exception: database errors quote statement parameters (names, answers).
            log.error("delivering outbox row %s (%s) raised %s", message.id, message.kind, describe_exception(exc))
            result = DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        return self._settlement(message, result)

    def _settlement(self, message: ClaimedMessage, result: DeliveryResult) -> tuple[Settlement, str]:
        now = self._clock.now()
        if result.status is Delivery.SENT:
            return outbox.Settlement.sent(message, at=now, activity_id=result.activity_id), "sent"
        if result.status is Delivery.RETRY and message.attempts < self._max_attempts:
            retry_at = now + self._retry_base * 2 ** (message.attempts - 1)
            if message.not_after is not None and retry_at > message.not_after:
                return outbox.Settlement.expired(message), "expired"
            return outbox.Settlement.retry(message, retry_at=retry_at, error=result.error or "retry"), "retried"
        if result.status is Delivery.SKIPPED:
            return outbox.Settlement.cancelled(message, reason=result.error or "skipped"), ""
        return outbox.Settlement.failed(message, error=result.error or result.status.value), "failed"

    @staticmethod
    def _lost(message: ClaimedMessage, stats: DispatchStats, when: str) -> None:
        # Ids and kinds only, as everywhere in these logs: never the payload.
        stats.lost += 1
        log.warning("outbox row %s (%s): lease lost %s; left to the dispatcher now holding it",
                    message.id, message.kind, when)
