"""Sample tripartite work for trying the bot locally (dialogs/shared/samples.py is the seam).

Built on the people samples (registered earlier, so they run first): the person asking is Riley
Sample's line manager and Morgan Sample is Riley's peer supervisor, so the three parties exist.
Riley started a probation a month ago, so its first review is due, and came back today from a
short absence, so a return-to-work conversation is due. Riley and Morgan are invented (emails at
example.invalid, no Teams account). Asking again adds nothing; someone else asking (Riley already
has another line manager) is told so and nothing is added for them.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.samples import NextStep, SampleResult, sample_people, sample_person
from dialogs.tripartite.tasks import TaskActions
from scheduler.clock import Clock
from storage.people.models import LinkKind
from storage.people.repository import current_other
from storage.roles import Actor
from storage.tripartite import repository as repo
from storage.tripartite.models import Absence, Probation
from storage.tripartite.rules import TaskKind


class TripartiteSamples(TaskActions):
    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        me = await self._person(db, actor.user_id)
        if me is None:
            return SampleResult()
        today = await self._today(db, me)
        riley = await sample_person(db, sample_people(self.content)["riley"])
        manager = await current_other(db, riley.id, LinkKind.LINE_MANAGER)
        supervisor = await current_other(db, riley.id, LinkKind.PEER_SUPERVISOR)
        t = self.text
        if manager is None or manager.id != me.id or supervisor is None:
            return SampleResult([t("tripartite.samples.taken", worker=riley.name)])
        await repo.follow_links(db, riley.id)
        made = False
        start = today - relativedelta(months=1)
        if await db.scalar(select(Probation.id).where(Probation.worker_id == riley.id).limit(1)) is None:
            await repo.start_probation(db, worker_id=riley.id, starts_on=start, plan=self.config.probation,
                                       checklist=self.config.checklists[TaskKind.PROBATION_REVIEW], recorded_by=me.id)
            made = True
        if await db.scalar(select(Absence.id).where(Absence.worker_id == riley.id).limit(1)) is None:
            absence = await repo.start_absence(db, worker_id=riley.id, kind="other",
                                               started_on=today - relativedelta(weeks=1),
                                               expected_return=today, recorded_by=me.id)
            await repo.record_return(db, absence, returned_on=today,
                                     checklist=self.config.checklists[TaskKind.RETURN_TO_WORK])
            made = True
        line = t("tripartite.samples.made", worker=riley.name, supervisor=supervisor.name,
                 start=start.isoformat()) if made else t("tripartite.samples.already")
        return SampleResult([line], [NextStep(t("tripartite.samples.step_manage"), "tripartite.manage"),
                                     NextStep(t("tripartite.samples.step_mine"), "tripartite.mine")])
