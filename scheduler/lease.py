"""The outbox rows one dispatcher holds, and how long it is sure to hold them.

A claim lasts one short lease. While rows are held, a background task renews all of them in
one UPDATE every third of a lease, so a live dispatcher never loses a row however slow Teams
is, and a dead one's rows can be claimed again one lease after it stopped renewing. Before
each send the dispatcher asks `confirm`: the answer is free while the lease last written has
more than a third of it left (another replica can claim a row only once its lease has lapsed),
and costs one renewal otherwise, as after a stall, when the row may have passed to another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from scheduler.clock import Clock
from storage import outbox
from storage.db import OpenDb
from storage.outbox import ClaimedMessage

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The row is no longer (or not surely) this dispatcher's: it must not be sent or recorded."""


class Holdings:
    def __init__(self, open_db: OpenDb, clock: Clock, lease: timedelta,
                 renew_every: timedelta) -> None:
        if renew_every >= lease:
            raise ValueError("renew the lease more often than it lasts")
        self._db = open_db
        self._clock = clock
        self._lease = lease
        self._renew_every = renew_every
        self._held: dict[int, tuple[str, datetime]] = {}  # row id -> (claim token, lease written)
        self._renewing = asyncio.Lock()
        self._renewer: asyncio.Task | None = None

    @property
    def lease(self) -> timedelta:
        return self._lease

    def __len__(self) -> int:
        return len(self._held)

    def add(self, batch: Iterable[ClaimedMessage], until: datetime) -> None:
        """Hold freshly claimed rows, and keep renewing until every one is released."""
        for message in batch:
            self._held[message.id] = (message.claim_token, until)
        if self._held and (self._renewer is None or self._renewer.done()):
            self._renewer = asyncio.create_task(self._keep_renewed(), name="outbox-lease-renewal")

    def release(self, message: ClaimedMessage) -> None:
        """The row is settled or lost: stop renewing it."""
        if self._held.get(message.id, ("",))[0] == message.claim_token:
            del self._held[message.id]

    async def confirm(self, message: ClaimedMessage) -> None:
        """Return if the row is surely still ours for a while; raise LeaseLost otherwise."""
        if self._secure(message):
            return
        async with self._renewing:
            if not self._secure(message):  # a renewal may have run while we waited for the lock
                try:
                    await self._renew()
                except Exception as exc:  # noqa: BLE001 - unconfirmed is as good as lost
                    # The type only: database errors quote statement parameters.
                    raise LeaseLost(f"renewal failed: {type(exc).__name__}") from None
        if not self._secure(message):
            raise LeaseLost("taken over by another dispatcher")

    async def stop(self) -> None:
        """Stop renewing (the dispatcher is done with every row, or the process is stopping)."""
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None

    def _secure(self, message: ClaimedMessage) -> bool:
        held = self._held.get(message.id)
        if held is None:
            return False
        token, until = held
        return token == message.claim_token and until - self._clock.now() > self._lease / 3

    async def _renew(self) -> None:
        now = self._clock.now()
        until = now + self._lease
        held = dict(self._held)
        async with self._db() as db, db.begin():
            kept = await outbox.renew_claims(db, {token for token, _ in held.values()}, until=until)
        for row_id, (token, _) in held.items():
            if self._held.get(row_id, ("",))[0] != token:
                continue  # released while the renewal ran
            if row_id in kept:
                self._held[row_id] = (token, until)
            else:
                # Settled by us a moment ago, or taken over: either way no longer ours to send.
                del self._held[row_id]

    async def _keep_renewed(self) -> None:
        while self._held:
            await asyncio.sleep(self._renew_every.total_seconds())
            if not self._held:
                break
            async with self._renewing:
                try:
                    await self._renew()
                except Exception as exc:  # noqa: BLE001 - try again next time; sends check `confirm`
                    log.error("renewing the outbox lease of %d rows failed: %s", len(self._held),
                              type(exc).__name__)
