"""A sample co-reflection group for trying the bot locally (dialogs/shared/samples.py is the seam).

Led by the person asking (a peer lead or administrator, as for a real group), with sample members
(content/coreflections/coreflection_samples.yaml; the people are content/samples/samples.yaml's).
The group's settings pass the create form's own validation, then the group starts a few weeks
back, so meetings have taken place: their register is marked with `mark_attended`, as the
lead's register does (writing the members' confirmed co-reflection records), and the meetings
ahead are made and invited to as a new group's are. Made once: while the person asking leads a
group of that name, nothing more is added.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import LEADS
from dialogs.coreflections.setup import KNOWN, SetupActions
from dialogs.shared.content import ContentError, settings_file, whole_number
from dialogs.shared.samples import NextStep, SampleResult, sample_people, sample_person
from scheduler.clock import Clock
from storage.coreflections import repository as repo
from storage.coreflections.attendance import mark_attended
from storage.coreflections.models import CoReflectionGroup
from storage.models import User
from storage.people.repository import ensure_person
from storage.roles import Actor
from storage.sessions.recurrence import in_zone

MARKED_AFTER = timedelta(minutes=5)  # when the lead "ticked" the register, after the start


class CoreflectionSampleAdder:
    def __init__(self, setup: SetupActions) -> None:
        self._setup = setup
        self._say = setup.text
        self._people = sample_people(setup.content)
        raw, where = settings_file(setup.content, "coreflection_samples")
        group, members, attended = raw.get("group"), raw.get("members"), raw.get("attended")
        if not isinstance(group, dict) or not all(isinstance(v, str) for v in group.values()):
            raise ContentError(f"{where}: group must hold the create form's fields as texts")
        if not isinstance(members, list) or not members or not set(members) <= set(self._people) \
                or not isinstance(attended, list) or not set(attended) <= set(members):
            raise ContentError(f"{where}: members must be sample people, attended some of them")
        self._form: dict[str, str] = group
        self._members: list[str] = members
        self._attended: set[str] = set(attended)
        self._days_back = whole_number(raw, where, "started_days_ago", 1, 366)
        # The form's own checks, at start-up (made-up member ids stand for the real ones).
        tomorrow = in_zone(setup.now(), setup.services.default_zone).date() + timedelta(days=1)
        _, errors = setup.validate({**group, "members": ",".join(f"{KNOWN}m{i}" for i in range(len(members))),
                                    "starts_on": tomorrow.isoformat()})
        if errors:
            raise ContentError(f"{where}: group: {' '.join(errors)}")

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        t, setup = self._say, self._setup
        steps = [NextStep(t("coreflections.samples.step_home"), "coreflections.home")]
        name = self._form["name"]
        user = await db.get(User, actor.user_id)
        if user is None or not actor.has_any(*LEADS):
            return SampleResult([t("coreflections.samples.not_lead")], steps)
        me = await ensure_person(db, user)
        group = await db.scalar(select(CoReflectionGroup).where(
            CoReflectionGroup.lead_id == me.id, CoReflectionGroup.name == name).limit(1))
        if group is not None:
            return SampleResult([t("coreflections.samples.already", name=name)], self._open(steps, group))
        members = [await sample_person(db, self._people[key], added_by=me.id) for key in self._members]
        now = clock.now()
        today = in_zone(now, self._form["zone"]).date()
        clean, errors = setup.validate({**self._form, "members": ",".join(KNOWN + p.id for p in members),
                                        "starts_on": today.isoformat()})
        if errors:  # cannot happen with the content checked at start-up; refuse rather than guess
            raise ContentError(" ".join(errors))
        new = replace(clean["new"], on_or_after=today - timedelta(days=self._days_back))
        group = await repo.create_group(db, new, lead_id=me.id, member_ids=[p.id for p in members])
        await repo.ensure_occurrences(db, group, now - timedelta(days=self._days_back + 1), now)
        held = [o for o in await repo.occurrences(db, group.id, now - timedelta(days=self._days_back + 1), now,
                                                  live_only=True) if o.ends_at <= now]
        for occurrence in held:
            for key, person in zip(self._members, members):
                if key in self._attended:
                    await mark_attended(db, occurrence, group, person.id, marked_by=me.id,
                                        now=occurrence.starts_at + MARKED_AFTER)
        await setup.invite(db, group)
        line = t("coreflections.samples.made", name=name, schedule=setup.schedule(group), held=len(held),
                 members=", ".join(p.name for p in members))
        return SampleResult([line], self._open(steps, group))

    def _open(self, steps: list[NextStep], group: CoReflectionGroup) -> list[NextStep]:
        return [NextStep(self._say("coreflections.samples.step_group", name=group.name), "coreflections.group",
                         {"group_id": group.id}), *steps]
