"""Replicas on one PostgreSQL database share Teams' per-app rate and elect one scheduler leader.

`Membership` writes this replica's heartbeat and sets its share of the app's proactive rate to
the whole rate divided by the replicas alive, as they come and go. `Leadership` holds the
scheduler's advisory lock (storage/replicas.py): only the holder runs the periodic producers,
and another replica takes the lock at its next check once the holder's connection is gone.
On SQLite (one process) neither is needed: `SOLE` is always the leader and the share is whole.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from scheduler.clock import Clock
from storage import replicas
from storage.db import OpenDb
from storage.logs import describe_exception

log = logging.getLogger(__name__)


class Leader(Protocol):
    """What the scheduler asks before running a producer (see scheduler/service.py)."""

    async def check(self) -> bool: ...

    async def close(self) -> None: ...


class _Sole:
    """One process on its own database: always the leader."""

    async def check(self) -> bool:
        return True

    async def close(self) -> None:
        return None


SOLE: Leader = _Sole()


class Leadership:
    """This replica leads while its lock connection holds the advisory lock."""

    def __init__(self, lock: replicas.LockConnection) -> None:
        self._lock = lock
        self._checking = asyncio.Lock()  # one connection: one statement at a time
        self.leading = False

    async def check(self) -> bool:
        """Whether this replica leads now: keeps the lock if held, takes it if free."""
        async with self._checking:
            try:
                leading = await self._lock.try_lock()
            except Exception as exc:  # noqa: BLE001 - an ended connection ended the lock with it
                if self.leading:
                    log.warning("scheduler leadership lost: %s", describe_exception(exc))
                await self._close_quietly()
                leading = False
            if leading and not self.leading:
                log.info("this replica now leads the scheduler (lock held by server process %s)", self._lock.pid)
            self.leading = leading
            return leading

    async def close(self) -> None:
        """Give the lock up at once (stopping), so another replica takes over at its next check."""
        async with self._checking:
            await self._close_quietly()
            self.leading = False

    async def _close_quietly(self) -> None:
        try:
            await self._lock.close()
        except Exception as exc:  # noqa: BLE001 - it is gone either way
            log.info("closing the scheduler lock connection: %s", type(exc).__name__)


class Membership:
    """This replica's heartbeat, and its share of the app's proactive rate."""

    def __init__(self, open_db: OpenDb, clock: Clock, *, app_rate: float, set_rate: Callable[[float], None],
                 interval: float, timeout: float) -> None:
        if timeout <= 2 * interval:
            raise ValueError("the replica timeout must be more than two heartbeat intervals")
        self.id = uuid.uuid4().hex
        self._db = open_db
        self._clock = clock
        self._app_rate = app_rate
        self._set_rate = set_rate
        self.interval = interval
        self._timeout = timedelta(seconds=timeout)
        self.alive = 1
        self._send_from = 0.0  # time.monotonic(): a joining replica waits until the others know

    @property
    def share(self) -> float:
        return self._app_rate / self.alive

    async def beat(self) -> None:
        """Record this replica as alive and take its share of the rate (a scheduled job)."""
        now = self._clock.now()
        try:
            async with self._db() as db, db.begin():
                alive = await replicas.heartbeat(db, self.id, now=now, gone_before=now - self._timeout)
        except Exception as exc:  # noqa: BLE001 - keep the current share; the next beat tries again
            log.error("replica heartbeat failed: %s", describe_exception(exc))
            return
        if alive != self.alive:
            log.info("%d replicas alive: this one sends at most %.4g proactive messages per second", alive,
                     self._app_rate / alive)
            self.alive = alive
            self._set_rate(self.share)

    async def join(self) -> None:
        """The first heartbeat, before the scheduler starts. If other replicas are alive they send
        at their old, larger share until their next heartbeat, so this one sends nothing until
        then: the app's total never passes the limit while a replica joins."""
        await self.beat()
        if self.alive > 1:
            self._send_from = time.monotonic() + 1.5 * self.interval  # half an interval for a late beat

    def after_join(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        """`job` (the outbox dispatcher), held back until the other replicas have lowered their share."""

        async def held() -> object:
            if time.monotonic() < self._send_from:
                return None  # skip this tick rather than sleep in it: a stop need not wait
            return await job()

        return held

    async def leave(self) -> None:
        """Stopping cleanly: delete the heartbeat, so the others take this share at their next beat."""
        try:
            async with self._db() as db, db.begin():
                await replicas.leave(db, self.id)
        except Exception as exc:  # noqa: BLE001 - the row times out instead
            log.warning("could not remove this replica's heartbeat: %s", type(exc).__name__)
