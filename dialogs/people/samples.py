"""Sample colleagues for trying the bot locally (dialogs/shared/samples.py is the seam).

The person asking becomes peer supervisor of one invented worker and line manager of another
(content/people/people_samples.yaml; the people are content/samples/samples.yaml's, shared by
every feature's samples), and one more asks them to confirm they are their peer supervisor.
Links are set with the feature's own `assign` and `request`, so they imply roles and wait for
people who have not installed, as any link does. Asked again: a link already there is left
alone, and a request is made once (never again after it was answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.people.common import PeopleBase
from dialogs.shared.content import ContentError, settings_file, whole_number
from dialogs.shared.context import BotServices
from dialogs.shared.samples import NextStep, SampleResult, sample_people, sample_person
from scheduler.clock import Clock
from storage.models import User
from storage.people.changes import assign, request
from storage.people.directory import ALIVE, links_of
from storage.people.models import LinkKind, Person
from storage.people.repository import current_other, ensure_person
from storage.roles import Actor

ME = "me"


@dataclass(frozen=True)
class SampleLink:
    worker: str  # a key of content/samples/samples.yaml's people
    kind: LinkKind
    other: str  # a key, or ME


@dataclass(frozen=True)
class Facts:
    team: str
    organisation: str
    started_days_ago: int


@dataclass(frozen=True)
class PeopleSamples:
    facts: dict[str, Facts]
    since_days: int
    links: tuple[SampleLink, ...]
    requests: tuple[SampleLink, ...]

    @classmethod
    def load(cls, services: BotServices) -> "PeopleSamples":
        raw, where = settings_file(services.content, "people_samples")
        known = set(sample_people(services.content))

        def links(key: str) -> tuple[SampleLink, ...]:
            entries = raw.get(key)
            if not isinstance(entries, list):
                raise ContentError(f"{where}: {key} must be a list")
            found = []
            for e in entries:
                if not isinstance(e, dict) or e.get("worker") not in known or e.get("other") not in known | {ME} \
                        or e.get("kind") not in LinkKind._value2member_map_ or e["worker"] == e["other"]:
                    raise ContentError(f"{where}: {key}: each needs a worker and another person (sample people "
                                       f"or {ME}) and a kind ({', '.join(LinkKind)})")
                found.append(SampleLink(e["worker"], LinkKind(e["kind"]), e["other"]))
            return tuple(found)

        people = raw.get("people")
        if not isinstance(people, dict) or not set(people) <= known:
            raise ContentError(f"{where}: people must be keyed by the sample people of samples.yaml")
        facts = {}
        for key, entry in people.items():
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("team", "organisation")):
                raise ContentError(f"{where}: people.{key} needs a team and an organisation")
            facts[key] = Facts(entry["team"].strip(), entry["organisation"].strip(),
                               whole_number(entry, where, "started_days_ago", 0, 20000))
        return cls(facts, whole_number(raw, where, "links_since_days", 0, 3650), links("links"), links("requests"))


class PeopleSampleAdder(PeopleBase):
    def __init__(self, services: BotServices) -> None:
        super().__init__(services)
        self._samples = PeopleSamples.load(services)  # checked at start-up, not on first use
        self._people = sample_people(services.content)

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        """The sample links (and request) around the person asking; see the module docstring."""
        t, samples = self.text, self._samples
        user = await db.get(User, actor.user_id)
        if user is None:
            return SampleResult()
        me = await ensure_person(db, user)
        today = await self.today(db, actor.user_id)
        people = {key: await self._person(db, key, me, today) for key in self._people}
        people[ME] = me
        now, since = clock.now(), today - timedelta(days=samples.since_days)
        made, mine = 0, []
        for link in samples.links:
            # A sample worker who has someone of this kind keeps them (whoever asked first, or
            # whoever an administrator set up since): asking again changes nothing.
            worker, other = people[link.worker], people[link.other]
            current = await current_other(db, worker.id, link.kind)
            if current is None:
                await assign(db, worker=worker, other=other, kind=link.kind, on=since, set_by=me.id, now=now)
                made += 1
            if other.id == me.id and (current is None or current.id == me.id):
                mine.append(t("people.samples.link", kind=self.kind(link.kind), name=self.name(worker)))
        key = "people.samples.made" if made else "people.samples.already" if mine else "people.samples.taken"
        lines: list[str] = [t(key, links=", ".join(mine))]
        for link in samples.requests:
            # Once only: not again after an answer, nor over someone else's request or link.
            worker, other = people[link.worker], people[link.other]
            if any(l.kind == link.kind and (l.other_id == other.id or l.status in ALIVE)
                   for l in await links_of(db, worker.id)):
                continue
            if await request(db, worker=worker, other=other, kind=link.kind, on=today, now=now) and other.id == me.id:
                lines.append(t("people.samples.asked", name=self.name(worker), kind=self.kind(link.kind)))
        return SampleResult(lines, [NextStep(t("people.samples.step_people"), "people.home")])

    async def _person(self, db: AsyncSession, key: str, me: Person, today: date) -> Person:
        """An invented person with their facts; facts someone has changed since are kept."""
        person = await sample_person(db, self._people[key], added_by=me.id)
        facts = self._samples.facts.get(key)
        if facts is not None:
            person.team = person.team or facts.team
            person.organisation = person.organisation or facts.organisation
            person.start_date = person.start_date or today - timedelta(days=facts.started_days_ago)
            await db.flush()
        return person
