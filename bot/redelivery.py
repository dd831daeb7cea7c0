"""Each Teams activity processed once, and not lost when a process dies mid-turn.

Teams retries a turn it had no answer to (within about 15 s) and sometimes delivers an invoke
twice. The ledger (storage/activities.py) holds each activity's claim: in flight under a lease
that the running turn renews, final when the turn completes. A copy that finds the claim in
flight waits, without blocking the loop, until the first finishes (then it is answered as below
and nothing runs twice) or until the lease ran out because the first's process died (then the
copy takes the claim over and runs the turn itself).

An invoke's answer can hold what a person typed (a feedback form returned with its values), so
it is never stored: a copy arriving at the same process while the answer is recent gets it from
memory; any other copy gets a short "already received" answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from storage.logs import describe_exception
from storage.activities import ActivityLedger, Claim, Step

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
RECENT_SECONDS = 60.0
RECENT_MAX = 2000
_RELEASED = object()  # a running turn failed and gave its claim back: try to claim again


@dataclass(frozen=True)
class Duplicate:
    """A copy of an activity another turn processed (or still processes, past our wait)."""

    answer: tuple[int, Any] | None  # the first's invoke answer (status, body), when known here


class Redelivery:
    """Admits each activity to one turn at a time and finishes or releases its claim."""

    def __init__(self, ledger: ActivityLedger) -> None:
        self._ledger = ledger
        self._lease = ledger.lease.total_seconds()
        # Turns of this process: running (an unresolved future) or recently finished.
        self._turns: OrderedDict[tuple[str, str], tuple[float, asyncio.Future]] = OrderedDict()

    async def admit(self, conversation_id: str, activity_id: str, *, state_key: str | None) -> Claim | Duplicate:
        """The claim for this turn to run, or a Duplicate to answer without running anything.
        Raises when the database cannot be reached."""
        key = (conversation_id[:300], activity_id[:200])
        deadline = time.monotonic() + self._lease * 1.5
        while True:
            claim = await self._ledger.claim(conversation_id, activity_id, state_key=state_key)
            if claim.first_delivery:
                self._forget_old()
                self._turns[key] = (time.monotonic(), asyncio.get_running_loop().create_future())
                return claim
            local = self._turns.get(key)
            if local is not None and local[1].done() and local[1].result() is not _RELEASED:
                return Duplicate(local[1].result())
            if await self._ledger.is_done(conversation_id, activity_id):
                return Duplicate(None)
            left = deadline - time.monotonic()
            if left <= 0:
                return Duplicate(None)  # the first still runs and will answer
            if local is not None and not local[1].done():
                # Running here: its end is awaited directly; the database only if it outlasts the wait.
                await asyncio.wait([local[1]], timeout=min(left, self._lease))
            else:
                await asyncio.sleep(min(left, POLL_SECONDS))

    @asynccontextmanager
    async def leased(self, claim: Claim) -> AsyncIterator[None]:
        """Keep the claim's lease renewed while the block (the turn) runs."""
        if claim.token is None:
            yield
            return
        # A timer, not a task: most turns end long before the first renewal is due.
        loop = asyncio.get_running_loop()
        renewer: list[asyncio.Task] = []
        timer = loop.call_later(self._lease / 3, lambda: renewer.append(loop.create_task(self._renew(claim))))
        try:
            yield
        finally:
            timer.cancel()
            for task in renewer:
                task.cancel()

    async def _renew(self, claim: Claim) -> None:
        while True:
            try:
                if not await self._ledger.renew(claim):
                    log.warning("a slow turn's claim was taken over by a redelivery")
                    return
            except Exception as exc:  # noqa: BLE001 - try again at the next renewal
                log.error("could not renew a turn's claim: %s", describe_exception(exc))
            await asyncio.sleep(self._lease / 3)

    def finish_step(self, claim: Claim) -> Step | None:
        """The statement making the claim final, for the turn's state write to run along."""
        return self._ledger.finish_step(claim)

    def finish(self, claim: Claim, answer: tuple[int, Any] | None, *, already_final: bool) -> None:
        """The turn completed: make its claim final (unless its state write did) and keep its
        answer in memory for copies arriving here."""
        self._settle(claim, answer)
        if not already_final:
            self._ledger.finish_later(claim)

    async def release(self, claim: Claim) -> None:
        """The turn failed: give the claim back so a redelivery (or a waiting copy) runs it."""
        self._settle(claim, _RELEASED)
        await self._ledger.release(claim)

    def abandon(self, claim: Claim) -> None:
        """The turn stopped without an outcome (cancelled): copies waiting here stop waiting for it."""
        self._settle(claim, _RELEASED)

    def _settle(self, claim: Claim, outcome: Any) -> None:
        key = claim.key
        if key is None:
            return  # an activity without a redelivery key: no copies can be waiting for it
        entry = self._turns.get(key)
        if entry is not None and not entry[1].done():
            entry[1].set_result(outcome)
            self._turns[key] = (time.monotonic(), entry[1])
            self._turns.move_to_end(key)

    def _forget_old(self) -> None:
        """Drop finished turns past their time, oldest first; never a running one."""
        cutoff = time.monotonic() - RECENT_SECONDS
        for _ in range(len(self._turns)):
            key, (since, future) = next(iter(self._turns.items()))
            if not future.done():
                self._turns.move_to_end(key)
            elif since < cutoff or len(self._turns) >= RECENT_MAX:
                del self._turns[key]
            else:
                break
