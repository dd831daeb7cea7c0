"""Sample supervision records for trying the bot locally (dialogs/shared/samples.py is the seam).

Recorded by the person asking, for the sample workers they supervise or manage (the people
feature's samples, installed earlier, link them), through the record form's own path: its
validation, the relationship check of `add_record`, the scrubber over agreed actions, and the
request to confirm (which waits, as the sample workers have not installed). The worker's "that's
right" is given with `records.answer`, as their button does. Made once per worker: a worker who
already has a record made by the person asking gets no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.content import ContentError, settings_file
from dialogs.shared.context import BotServices
from dialogs.shared.samples import NextStep, SampleResult, sample_people, sample_person
from dialogs.supervision.common import SupervisionConfig, reachable_user
from dialogs.supervision.form import RecordActions
from scheduler.clock import Clock
from storage.models import User
from storage.people.models import SupervisionRecord, SupervisionType
from storage.people.repository import ensure_person
from storage.roles import Actor
from storage.supervision import records, requests
from storage.supervision.access import recordable_for
from storage.supervision.records import RECORDABLE, Draft, add_record, confirmer_of
from storage.users import zone_of


@dataclass(frozen=True)
class SampleRecord:
    worker: str  # a key of content/samples/samples.yaml's people
    type: SupervisionType
    days_ago: int
    minutes: int
    confirmed: bool
    actions: str


class SupervisionSampleAdder(RecordActions):
    def __init__(self, services: BotServices, config: SupervisionConfig) -> None:
        super().__init__(services, config)
        self._people = sample_people(self.content)
        self._records = self._load()  # checked at start-up, not on first use

    def _load(self) -> tuple[SampleRecord, ...]:
        raw, where = settings_file(self.content, "supervision_samples")
        entries = raw.get("records")
        if not isinstance(entries, list) or not entries:
            raise ContentError(f"{where}: records must be a list")
        found = []
        for e in entries:
            if not isinstance(e, dict) or e.get("worker") not in self._people \
                    or e.get("type") not in {t.value for t in RECORDABLE} \
                    or not isinstance(e.get("days_ago"), int) or not 0 <= e["days_ago"] < self.config.oldest_days \
                    or not isinstance(e.get("minutes"), int) \
                    or not self.config.min_minutes <= e["minutes"] <= self.config.max_minutes \
                    or not isinstance(e.get("actions", ""), str):
                raise ContentError(f"{where}: each record needs a sample worker, a type ({', '.join(RECORDABLE)}), "
                                   f"days_ago within oldest_days and minutes within the settings' limits")
            found.append(SampleRecord(e["worker"], SupervisionType(e["type"]), e["days_ago"], e["minutes"],
                                      e.get("confirmed") is True, str(e.get("actions") or "").strip()))
        return tuple(found)

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        t = self.text
        steps = [NextStep(t("supervision.samples.step_team"), "supervision.team"),
                 NextStep(t("supervision.samples.step_record"), "supervision.record")]
        user = await db.get(User, actor.user_id)
        if user is None:
            return SampleResult()
        me = await ensure_person(db, user)
        today = await self.today(db, actor.user_id)
        allowed = {p.id for p, _ in await recordable_for(db, me)}
        workers = {key: await sample_person(db, self._people[key], added_by=me.id)
                   for key in {r.worker for r in self._records}}
        done = set(await db.scalars(select(SupervisionRecord.worker_id).where(
            SupervisionRecord.recorded_by == me.id, SupervisionRecord.type.in_([t_.value for t_ in RECORDABLE]),
            SupervisionRecord.worker_id.in_([w.id for w in workers.values()]))))
        made = waiting = skipped = 0
        for sample in self._records:
            worker = workers[sample.worker]
            if worker.id in done:
                continue
            values, errors = self.validate({
                "worker": worker.id, "type": sample.type.value, "minutes": str(sample.minutes),
                "held_on": (today - timedelta(days=sample.days_ago)).isoformat(), "actions": sample.actions,
            }, today, allowed)
            if errors:
                skipped += 1  # not (or no longer) theirs to record: the people samples were changed
                continue
            record = await add_record(db, me, Draft(
                worker_id=worker.id, type=sample.type, held_on=values["held_on"], minutes=values["minutes"],
                actions=await self.scrubbed(db, values["actions"], {me.id, worker.id}) or None))
            made += 1
            if sample.confirmed:
                await records.answer(db, record.id, confirmer_of(record) or "", confirm=True, reason=None,
                                     now=clock.now())
                continue
            waiting += 1
            user_id = await reachable_user(db, confirmer_of(record))
            if user_id is not None:
                zone = await zone_of(db, user_id, self.services.default_zone)
                await requests.ask(db, record, user_id, zone, clock.now(), self.config.reminder)
        if made:
            line = t("supervision.samples.made", count=made, waiting=waiting)
        else:
            line = t("supervision.samples.none" if skipped else "supervision.samples.already")
        return SampleResult([line], steps)
