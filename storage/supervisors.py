"""Who a worker's peer supervisor is: a seam the supervision feature fills.

Until a feature provides a lookup, nobody has a recorded supervisor, and features that would
name one (check-in signposting) name the organisation's configured support contact instead and
say plainly that no supervisor is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Supervisor:
    user_id: str  # a User id the bot can message
    name: str


Lookup = Callable[[AsyncSession, str], Awaitable[Supervisor | None]]


class SupervisorDirectory:
    def __init__(self) -> None:
        self._lookup: Lookup | None = None

    def provide(self, lookup: Lookup) -> None:
        """Called once by the feature that records supervision relationships."""
        if self._lookup is not None:
            raise ValueError("a supervisor lookup is already provided")
        self._lookup = lookup

    async def peer_supervisor_of(self, db: AsyncSession, worker_id: str) -> Supervisor | None:
        if self._lookup is None or not worker_id:
            return None
        return await self._lookup(db, worker_id)
