"""Who is away (leave, sickness absence), and when: a seam the tripartite feature fills.

Absences pause supervision due dates (storage/cadence/rules.py). Until a feature provides a lookup,
nobody is recorded as away and due dates run on. The lookup is asked for many workers at once
(the cadence job reads the whole organisation a thousand workers at a time), never one by one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Pause:
    """Days a person is away (both ends included); `end` None while it goes on."""

    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


# (db, worker person ids, since) -> each worker's absences ending on or after `since` (or still going)
Lookup = Callable[[AsyncSession, Sequence[str], date], Awaitable[dict[str, list[Pause]]]]


class AbsenceDirectory:
    def __init__(self) -> None:
        self._lookup: Lookup | None = None

    def provide(self, lookup: Lookup) -> None:
        """Called once by the feature that records absences."""
        if self._lookup is not None:
            raise ValueError("an absence lookup is already provided")
        self._lookup = lookup

    async def pauses(self, db: AsyncSession, worker_ids: Sequence[str], since: date) -> dict[str, list[Pause]]:
        if self._lookup is None or not worker_ids:
            return {}
        return await self._lookup(db, worker_ids, since)
