"""Compliance from metadata only: how many workers are in date with each type of supervision, by
team and overall, and who is overdue. Read from dates, types and confirmed-or-not alone (never
check-ins, never what a record says), and only for those entitled:

| role            | sees                                                          |
| --------------- | ------------------------------------------------------------- |
| admin           | the whole organisation (every worker with a supervisor link)  |
| peer lead       | the workers of their own team (their organisation when the lead has no team) |
| line manager    | their reports (active line-manager links to them)             |
| peer supervisor | their supervisees (active peer-supervisor links to them)      |

Everyone else (a worker, a facilitator, anyone with no such role) is refused. A person holding
several roles chooses among their scopes; each request is checked against the roles held now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.absences import AbsenceDirectory
from storage.cadence.rules import Rules, State, in_date
from storage.cadence.snapshot import LOOKBACK, Item, chunks, items
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from storage.people.repository import person_of_user
from storage.roles import Actor, NotPermitted, Role


class Scope(StrEnum):
    ORGANISATION = "organisation"
    TEAM = "team"
    REPORTS = "reports"
    SUPERVISEES = "supervisees"


SCOPE_ROLE = {Scope.ORGANISATION: Role.ADMIN, Scope.TEAM: Role.PEER_LEAD,
              Scope.REPORTS: Role.LINE_MANAGER, Scope.SUPERVISEES: Role.PEER_SUPERVISOR}
ENTITLED = tuple(SCOPE_ROLE.values())


def scopes_for(actor: Actor) -> list[Scope]:
    """The scopes an actor may see, broadest first."""
    return [scope for scope, role in SCOPE_ROLE.items() if actor.has_any(role)]


def _linked_to(person_id: str, kind: LinkKind) -> ColumnElement[bool]:
    return Person.id.in_(select(PersonLink.worker_id).where(
        PersonLink.other_id == person_id, PersonLink.kind == kind, PersonLink.status == LinkStatus.ACTIVE))


async def permitted(db: AsyncSession, actor: Actor, requested: object) -> tuple[Scope, ColumnElement[bool] | None]:
    """The scope to show (the one asked for, else the broadest held) and its filter on workers
    (None: every worker). Raises NotPermitted for any scope the actor's roles do not give."""
    held = scopes_for(actor)
    if not held:
        raise NotPermitted(ENTITLED)
    scope = held[0] if requested in (None, "") else next((s for s in held if s.value == requested), None)
    if scope is None:
        named = next((s for s in Scope if s.value == requested), None)
        raise NotPermitted((SCOPE_ROLE[named],) if named is not None else ENTITLED)
    if scope == Scope.ORGANISATION:
        return scope, None
    me = await person_of_user(db, actor.user_id)
    if me is None:
        raise NotPermitted((SCOPE_ROLE[scope],))
    if scope == Scope.TEAM:
        same_org = Person.organisation == me.organisation
        return scope, and_(same_org, Person.team == me.team) if me.team else same_org
    kind = LinkKind.LINE_MANAGER if scope == Scope.REPORTS else LinkKind.PEER_SUPERVISOR
    return scope, _linked_to(me.id, kind)


@dataclass
class Figure:
    in_date: int = 0
    workers: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.in_date / self.workers) if self.workers else 0


@dataclass
class Compliance:
    types: list[str]
    overall: dict[str, Figure] = field(default_factory=lambda: defaultdict(Figure))
    teams: dict[str, dict[str, Figure]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Figure)))
    overdue: list[Item] = field(default_factory=list)  # oldest due date first
    workers: int = 0

    def add(self, item: Item) -> None:
        ok = in_date(item.state)
        for figure in (self.overall[item.type], self.teams[item.worker.team][item.type]):
            figure.workers += 1
            figure.in_date += ok
        if item.state in (State.OVERDUE, State.UNKNOWN):
            self.overdue.append(item)


async def compliance(db: AsyncSession, absences: AbsenceDirectory, rules: Rules, today: date,
                     scope: ColumnElement[bool] | None) -> Compliance:
    """The figures for the workers in `scope`, read a chunk at a time."""
    result = Compliance(list(rules.cadences))
    async for chunk in chunks(db, absences, today - LOOKBACK, scope=scope):
        result.workers += len(chunk.workers)
        for item in items(chunk, rules, today):
            result.add(item)
    result.overdue.sort(key=lambda i: (i.due or date.min, i.worker.name, i.worker.id, i.type))
    return result
