"""Sample tripartite work for trying the bot locally (dialogs/shared/samples.py is the seam).

The person asking becomes the line manager of two invented workers, people without a Teams
account whose emails end in .invalid, with an invented peer supervisor. One started a probation a
month ago, so its first review is due; the other came back today, so a return-to-work
conversation is due. Everyone is found by email (`find_or_add_person`), so the people samples of
other features can share them, and asking again adds nothing.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.samples import NextStep, SampleResult
from dialogs.tripartite.tasks import TaskActions
from scheduler.clock import Clock
from storage.people.models import LinkKind
from storage.people.repository import current_other, find_or_add_person, set_link
from storage.roles import Actor
from storage.tripartite import repository as repo
from storage.tripartite.models import Absence, Probation
from storage.tripartite.rules import TaskKind
from sqlalchemy import select

# Invented people (RFC 6761: .invalid never resolves). Shared by email with other features' samples.
FIRST = ("riley.sample@example.invalid", "Riley Sample")
SECOND = ("jordan.sample@example.invalid", "Jordan Sample")
SUPERVISOR = ("sam.supervisor.sample@example.invalid", "Sam Supervisor (sample)")


class TripartiteSamples(TaskActions):
    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        me = await self._person(db, actor.user_id)
        if me is None:
            return SampleResult()
        today = await self._today(db, me)
        first, second, supervisor = [await find_or_add_person(db, email=email, name=name)
                                     for email, name in (FIRST, SECOND, SUPERVISOR)]
        for worker in (first, second):
            for other, kind in ((me, LinkKind.LINE_MANAGER), (supervisor, LinkKind.PEER_SUPERVISOR)):
                now = await current_other(db, worker.id, kind)
                if now is None or now.id != other.id:
                    await set_link(db, worker_id=worker.id, other_id=other.id, kind=kind, started_on=today,
                                   set_by=me.id)
            await repo.follow_links(db, worker.id)
        made = False
        start = today - relativedelta(months=1)
        if await db.scalar(select(Probation.id).where(Probation.worker_id == first.id).limit(1)) is None:
            await repo.start_probation(db, worker_id=first.id, starts_on=start, plan=self.config.probation,
                                       checklist=self.config.checklists[TaskKind.PROBATION_REVIEW], recorded_by=me.id)
            made = True
        if await db.scalar(select(Absence.id).where(Absence.worker_id == second.id).limit(1)) is None:
            absence = await repo.start_absence(db, worker_id=second.id, kind="other",
                                               started_on=today - relativedelta(weeks=3),
                                               expected_return=today, recorded_by=me.id)
            await repo.record_return(db, absence, returned_on=today,
                                     checklist=self.config.checklists[TaskKind.RETURN_TO_WORK])
            made = True
        t = self.text
        line = t("tripartite.samples.made", first=first.name, second=second.name, supervisor=supervisor.name,
                 start=start.isoformat()) if made else t("tripartite.samples.already")
        return SampleResult([line], [NextStep(t("tripartite.samples.step_manage"), "tripartite.manage"),
                                     NextStep(t("tripartite.samples.step_mine"), "tripartite.mine")])
