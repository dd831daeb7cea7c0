"""Sample data for trying the bot locally: the seam each feature plugs its own samples into.

A feature's `install(ctx)` registers `async def add_samples(db, actor, clock) -> SampleResult`
with `ctx.services.sample_data`; "sample data" (dialogs/samples.py) runs them all, in install
order, in one transaction. Each adder uses its feature's real storage functions, so samples pass
the same checks as anything a person makes, and is idempotent: asked twice, it adds nothing more.

Samples are never made outside local development mode: the registry refuses to run unless it
was built enabled (bot.app builds it from `Settings.local_dev`), whoever calls it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.content import Content, ContentError, settings_file
from scheduler.clock import Clock
from storage.people.models import Person
from storage.people.repository import find_or_add_person
from storage.roles import Actor


@dataclass(frozen=True)
class NextStep:
    """A button on the answer card: what to try next with the samples just made."""

    title: str
    verb: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class SampleResult:
    """What one feature's adder did: sentences to show (made, or already there) and next steps."""

    lines: list[str] = field(default_factory=list)
    steps: list[NextStep] = field(default_factory=list)


SampleAdder = Callable[[AsyncSession, Actor, Clock], Awaitable[SampleResult]]


class SamplesRefused(PermissionError):
    """Sample data was asked for outside local development mode; nothing was changed."""


class SampleData:
    """The registered adders. `enabled` is fixed when the bot is built, never by a request."""

    def __init__(self, *, enabled: bool = False) -> None:
        self.enabled = enabled
        self._adders: list[tuple[str, SampleAdder]] = []

    def register(self, name: str, adder: SampleAdder) -> None:
        if any(existing == name for existing, _ in self._adders):
            raise ValueError(f"sample data {name!r} registered twice")
        self._adders.append((name, adder))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._adders]

    async def add_all(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        """Run every adder in one transaction (the caller's); SamplesRefused when not enabled."""
        if not self.enabled:
            raise SamplesRefused("sample data is only made in local development mode")
        total = SampleResult()
        for _name, adder in self._adders:
            result = await adder(db, actor, clock)
            total.lines.extend(result.lines)
            total.steps.extend(result.steps)
        return total


def sample_series(content: Content) -> str:
    """The name of the series the sample sessions belong to (content/samples/samples.yaml), by
    which every feature finds them."""
    raw, where = settings_file(content, "samples")
    series = raw.get("series")
    if not isinstance(series, str) or not 0 < len(series.strip()) <= 200:
        raise ContentError(f"{where}: series must be a name of 1 to 200 characters")
    return series.strip()


@dataclass(frozen=True)
class SamplePerson:
    """An invented person (content/samples/samples.yaml, `people`), known by email."""

    name: str
    email: str


def sample_people(content: Content) -> dict[str, SamplePerson]:
    """The invented people every feature's samples share, by their key (jordan, riley...)."""
    raw, where = settings_file(content, "samples")
    people = raw.get("people")
    if not isinstance(people, dict) or not people:
        raise ContentError(f"{where}: people must map a key to a name and an email")
    found: dict[str, SamplePerson] = {}
    for key, entry in people.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        email = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 200 or not isinstance(email, str) \
                or not email.strip().lower().endswith("@example.invalid"):
            raise ContentError(f"{where}: people.{key} needs a name and an email at example.invalid")
        found[str(key)] = SamplePerson(name.strip(), email.strip().lower())
    return found


async def sample_person(db: AsyncSession, person: SamplePerson, *, added_by: str | None = None) -> Person:
    """The invented person, found by email (whichever feature's samples made them) or added."""
    return await find_or_add_person(db, email=person.email, name=person.name, added_by=added_by)
