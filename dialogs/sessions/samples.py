"""Sample sessions for trying the bot locally (dialogs/shared/samples.py is the seam).

Four sessions in a series of their own (content/samples/samples.yaml): one whose feedback window
has closed, attended by 3 x MIN_GROUP_SIZE sample people (the feedback feature answers it); one
that ended yesterday, attended by the person asking, so their feedback form is open; one happening
now, with people registered, so the register can be taken; and one in three weeks with
registration open. Made with the repository's own functions: registration (at a moment before
each start, as it would have happened), attendance marks, the person's reminder and feedback
request. Made once: while the sample series exists, nothing more is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.sessions.admin import MAX_CAPACITY
from dialogs.sessions.common import SessionsConfig
from dialogs.shared.content import Content, ContentError, settings_file
from dialogs.shared.context import BotServices
from dialogs.shared.samples import NextStep, SampleResult, sample_series
from scheduler.clock import Clock
from storage.models import User
from storage.roles import Actor
from storage.sessions import repository as repo
from storage.sessions.events import queue_feedback_request, queue_for_attendee
from storage.sessions.models import Meeting, SessionStatus
from storage.users import SeenUser, upsert_user

LENGTH = timedelta(hours=2)
REGISTERED_BEFORE = timedelta(days=7)  # when the sample people "registered" for a past session
RECENT_ATTENDEES = 3
NOW_REGISTERED = 6
UPCOMING_REGISTERED = 5
KINDS = ("closed", "recent", "now", "upcoming")


@dataclass(frozen=True)
class SamplePeople:
    """content/samples/samples.yaml: who the sample people are (names, organisations, roles)."""

    series: str
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    organisations: tuple[str, ...]
    roles: tuple[str, ...]
    access_needs: tuple[str, ...]

    @classmethod
    def load(cls, content: Content) -> "SamplePeople":
        raw, where = settings_file(content, "samples")

        def words(key: str) -> tuple[str, ...]:
            value = raw.get(key)
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise ContentError(f"{where}: {key} must be a list of texts")
            return tuple(v.strip() for v in value)

        return cls(sample_series(content), words("first_names"), words("surnames"), words("organisations"),
                   words("roles"), words("access_needs"))

    def details(self, i: int, *, needs: bool = False) -> repo.RegistrationDetails:
        first, surname = self.first_names[i % len(self.first_names)], self.surnames[
            (i // len(self.first_names)) % len(self.surnames)]
        return repo.RegistrationDetails(
            name=f"{first} {surname}", organisation=self.organisations[i % len(self.organisations)],
            role=self.roles[i % len(self.roles)], reason="", hopes="",
            access_needs=self.access_needs[i % len(self.access_needs)] if needs else "", wants_updates=False)


def _sessions(content: Content) -> dict[str, dict[str, Any]]:
    raw, where = settings_file(content, "session_samples")
    for kind in KINDS:
        entry = raw.get(kind)
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                                  for k in ("title", "topic", "presenters")):
            raise ContentError(f"{where}: {kind} needs a title, a topic and presenters")
        capacity = entry.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)
                                     or not 0 < capacity <= MAX_CAPACITY):
            raise ContentError(f"{where}: {kind}: capacity must be a whole number from 1 to {MAX_CAPACITY}")
    return {kind: raw[kind] for kind in KINDS}


class SessionSamples:
    def __init__(self, services: BotServices, config: SessionsConfig) -> None:
        self._services = services
        self._config = config
        self._people = SamplePeople.load(services.content)
        self._defs = _sessions(services.content)

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        """The sample sessions, once; (SampleResult says what was made, or that they exist)."""
        text = self._services.content.text
        now = clock.now().replace(second=0, microsecond=0)
        series, created = await repo.series_by_name(db, self._people.series, self._config.zone)
        if not created:
            return SampleResult([text("sessions.samples.already", series=series.name)],
                                await self._steps(db, series.id, now))
        k = self._services.min_group_size
        people = [await self._person(db, i) for i in range(3 * k)]
        window = self._config.rules.feedback_window
        closed = await self._session(db, series.id, "closed", now - window - timedelta(days=7) - LENGTH)
        recent = await self._session(db, series.id, "recent", now - timedelta(days=1) - LENGTH)
        current = await self._session(db, series.id, "now", now - timedelta(minutes=20))
        upcoming = await self._session(db, series.id, "upcoming", now + timedelta(days=21))
        me = await db.get(User, actor.user_id)
        mine = repo.RegistrationDetails(name=me.name if me and me.name else self._people.details(0).name,
                                        organisation=self._people.organisations[0], role=self._people.roles[0],
                                        reason="", hopes="", access_needs="", wants_updates=False)

        await self._attended(db, closed, [(p, self._people.details(i)) for i, p in enumerate(people)], actor)
        await self._attended(db, recent, [(actor.user_id, mine)] + [
            (p, self._people.details(i)) for i, p in enumerate(people[:RECENT_ATTENDEES])], actor)
        await queue_feedback_request(db, recent.id, actor.user_id, self._config.rules, now)
        for i, person in enumerate(people[:NOW_REGISTERED]):
            await repo.register(db, current.id, person, self._people.details(i, needs=i == 1),
                                current.starts_at - REGISTERED_BEFORE)
        await repo.register(db, current.id, actor.user_id, mine, current.starts_at - REGISTERED_BEFORE)
        await queue_for_attendee(db, current, actor.user_id, self._config.rules, now)
        for i, person in enumerate(people[-UPCOMING_REGISTERED:]):
            await repo.register(db, upcoming.id, person, self._people.details(i, needs=i == 0), now)
        return SampleResult(
            [text("sessions.samples.made", series=series.name, attendees=len(people),
                  registered=UPCOMING_REGISTERED, now=NOW_REGISTERED + 1)], await self._steps(db, series.id, now))

    async def _steps(self, db: AsyncSession, series_id: str, now: datetime) -> list[NextStep]:
        """Buttons to the sample sessions that can still be tried: registering for one ahead, the
        register of one under way (asked again later, either may be over)."""
        text = self._services.content.text
        steps = [NextStep(text("sessions.samples.step_browse"), "sessions.browse")]
        for space in await repo.upcoming(db, now, limit=50):
            if space.series_id != series_id:
                continue
            if space.starts_at > now and space.status == SessionStatus.REGISTRATION_OPEN:
                steps.insert(0, NextStep(text("sessions.samples.step_register"), "sessions.register.form",
                                         {"session_id": space.id}))
            elif space.starts_at <= now:
                steps.insert(0, NextStep(text("sessions.samples.step_attendance"), "sessions.attendance",
                                         {"session_id": space.id}))
        return steps

    async def _person(self, db: AsyncSession, i: int) -> str:
        """A sample person: a Teams-less user (no AAD id, so no role; no chat, so sent nothing)."""
        seen = SeenUser(teams_id=f"sample-person-{i}", aad_object_id=None, name=self._people.details(i).name,
                        tenant_id=None, time_zone=None, locale=None)
        return (await upsert_user(db, seen, self._config.zone)).id

    async def _session(self, db: AsyncSession, series_id: str, kind: str, starts_at: datetime) -> Meeting:
        entry = self._defs[kind]
        space = Meeting(series_id=series_id, title=entry["title"].strip(), topic=entry["topic"].strip(),
                        presenters=entry["presenters"].strip(), starts_at=starts_at, ends_at=starts_at + LENGTH,
                        time_zone=self._config.zone, capacity=entry.get("capacity"),
                        status=SessionStatus.REGISTRATION_OPEN)
        db.add(space)
        await db.flush()
        return space

    async def _attended(self, db: AsyncSession, space: Meeting, who: list[tuple[str, repo.RegistrationDetails]],
                        actor: Actor) -> None:
        """Register each person a week before the start, mark them in the room, then close the
        session as held (as the sessions tick does once a session ends)."""
        for user_id, details in who:
            result = await repo.register(db, space.id, user_id, details, space.starts_at - REGISTERED_BEFORE)
            await repo.mark_attended(db, result.registration, space.starts_at + timedelta(minutes=5), actor.user_id)
        space.status = SessionStatus.HELD
        await db.flush()
