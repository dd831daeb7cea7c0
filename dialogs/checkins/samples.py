"""Sample check-ins for trying the bot locally (dialogs/shared/samples.py is the seam).

For the person asking, and only them: a schedule when they have none (set as the schedule form
sets one, so its prompts are queued), and a few past check-ins (content/checkins/
checkin_samples.yaml) stored with the repository's `add_checkin`, so what they "typed" is sealed
under their own key like any check-in. A day already checked in is left alone, so asking again
adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.checkins.config import NEEDS, STATES
from dialogs.checkins.plan import PlanActions
from dialogs.shared.content import Content, ContentError, settings_file
from dialogs.shared.samples import NextStep, SampleResult
from scheduler.clock import Clock
from storage.checkins import repository as repo
from storage.checkins.models import RETENTION_CHOICES
from storage.checkins.schedule import WEEKDAYS, local_instant, local_today, parse_time
from storage.checkins.sealing import PrivateText
from storage.roles import Actor


@dataclass(frozen=True)
class SampleCheckin:
    days_ago: int
    at: time
    feeling: int
    states: tuple[str, ...]
    needs: tuple[str, ...]
    let_go: bool
    text: PrivateText


@dataclass(frozen=True)
class CheckinSamples:
    times: dict[str, str]
    retention_days: int
    checkins: tuple[SampleCheckin, ...]

    @classmethod
    def load(cls, content: Content) -> "CheckinSamples":
        raw, where = settings_file(content, "checkin_samples")
        raw_plan = raw.get("plan")
        plan: dict[str, Any] = raw_plan if isinstance(raw_plan, dict) else {}
        times = plan.get("times")
        if not isinstance(times, dict) or not times or any(
                day not in WEEKDAYS or parse_time(at) is None for day, at in times.items()):
            raise ContentError(f"{where}: plan.times must map weekdays (mon...sun) to times such as 17:30")
        if plan.get("retention_days") not in RETENTION_CHOICES:
            raise ContentError(f"{where}: plan.retention_days must be one of {RETENTION_CHOICES}")
        entries = raw.get("checkins")
        if not isinstance(entries, list) or not entries:
            raise ContentError(f"{where}: checkins must be a list")
        return cls(dict(times), plan["retention_days"], tuple(_checkin(e, where) for e in entries))


def _checkin(entry: Any, where: Any) -> SampleCheckin:
    def words(key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = entry.get(key) or []
        if not isinstance(value, list) or not set(value) <= set(allowed):
            raise ContentError(f"{where}: checkins: {key} must be chosen from {', '.join(allowed)}")
        return tuple(value)

    if not isinstance(entry, dict) or not isinstance(entry.get("days_ago"), int) or not 0 < entry["days_ago"] <= 30 \
            or entry.get("feeling") not in (1, 2, 3, 4, 5) or parse_time(entry.get("at")) is None:
        raise ContentError(f"{where}: each check-in needs days_ago (1-30), at (17:30) and feeling (1-5)")
    well = entry.get("went_well") or []
    if not isinstance(well, list) or len(well) > 3 or not all(isinstance(w, str) for w in well):
        raise ContentError(f"{where}: checkins: went_well must be up to three texts")
    return SampleCheckin(entry["days_ago"], parse_time(entry["at"]) or time(17, 30), entry["feeling"],
                         words("states", STATES), words("needs", NEEDS), entry.get("let_go") is True,
                         PrivateText(str(entry.get("hard") or ""), tuple(well), str(entry.get("note") or "")))


class CheckinSampleAdder(PlanActions):
    """Uses the schedule form's own plan and re-queue steps (PlanActions)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._samples = CheckinSamples.load(self.content)  # checked at start-up, not on first use

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        samples = self._samples
        zone = await self.zone_of(db, actor.user_id)
        plan = await self._plan(db, actor.user_id)
        planned = not plan.times and plan.weekly_day is None
        if planned:
            plan.times, plan.time_zone, plan.retention_days = dict(samples.times), zone, samples.retention_days
            plan.active = True
            await self._requeue(db, plan)
        today: date = local_today(clock.now(), plan.time_zone)
        added = 0
        for sample in samples.checkins:
            day = today - timedelta(days=sample.days_ago)
            if await repo.checked_in_on(db, actor.user_id, day):
                continue
            await repo.add_checkin(db, self.sealer, actor.user_id, day, local_instant(day, sample.at, plan.time_zone),
                                   feeling=sample.feeling, states=sample.states, needs=sample.needs,
                                   let_go=sample.let_go, text=sample.text)
            added += 1
        line = (self.text("checkins.samples.made", count=added, schedule=self.schedule_text(plan))
                if added or planned else self.text("checkins.samples.already"))
        return SampleResult([line], [NextStep(self.text("checkins.samples.step_history"), "checkins.history"),
                                     NextStep(self.text("checkins.samples.step_now"), "checkins.now")])
