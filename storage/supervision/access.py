"""Who sees whose records, and for whom someone may record. Only current relationships count:
a peer supervisor or line manager whose link has ended sees nothing more of that worker.

The rule for what is shown (README, "Recording supervision"): a worker sees all of their own
records. Their current peer supervisor sees their peer and clinical supervision in full (date,
type, length, status, who gave it, agreed actions: continuity is the point of agreed actions) and
only the date, type and status of the rest (management supervision, co-reflections); their
current line manager sees management supervision in full and only the date, type and status of
the rest. Nobody else (other workers, facilitators, peer leads, administrators) sees records:
administrators get the cadence feature's organisation-wide figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.people.models import LinkKind, Person, SupervisionRecord, SupervisionType
from storage.people.repository import current_other, linked_workers
from storage.supervision.records import KIND_FOR, RECORDABLE

# The types a supervisor of each kind gives, and so sees in full.
GIVES: dict[LinkKind, frozenset[str]] = {
    kind: frozenset(t.value for t, k in KIND_FOR.items() if k == kind) for kind in LinkKind
}


@dataclass(frozen=True)
class Supported:
    """A worker someone supports now, and the types of that worker's records they see in full."""

    worker: Person
    full: frozenset[str]


async def supported_by(db: AsyncSession, viewer_id: str) -> list[Supported]:
    """The workers `viewer_id` supervises or manages now (both, for someone who does both)."""
    found: dict[str, Supported] = {}
    for kind in LinkKind:
        for worker in await linked_workers(db, viewer_id, kind):
            known = found.get(worker.id)
            found[worker.id] = Supported(worker, GIVES[kind] | (known.full if known else frozenset()))
    return sorted(found.values(), key=lambda s: (s.worker.name, s.worker.id))


def shown_in_full(record: SupervisionRecord, viewer_id: str, supported: Sequence[Supported]) -> bool:
    """Whether `viewer_id` sees the length, who gave it and agreed actions, or only date, type and status."""
    if record.worker_id == viewer_id:
        return True
    return any(s.worker.id == record.worker_id and record.type in s.full for s in supported)


async def recordable_for(db: AsyncSession, person: Person) -> list[tuple[Person, tuple[SupervisionType, ...]]]:
    """Who `person` may record supervision for, and of which types: themselves for the kinds of
    supervisor they have now, and the workers they supervise or manage now."""
    rows: list[tuple[Person, tuple[SupervisionType, ...]]] = []
    own = [t for t in RECORDABLE if await current_other(db, person.id, KIND_FOR[t]) is not None]
    if own:
        rows.append((person, tuple(own)))
    for s in await supported_by(db, person.id):
        rows.append((s.worker, tuple(t for t in RECORDABLE if t.value in s.full)))
    return rows
