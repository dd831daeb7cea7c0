"""Setting check-ins up and living with them: the home card, the schedule form, and skip, snooze,
pause, resume and stop from a prompt. Nobody is enrolled by anyone else: every action here acts
on the person pressing the button."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from botbuilder.core import TurnContext

from dialogs.checkins.common import CheckinsBase, parse_day
from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import every_error
from storage.checkins import prompts, repository as repo
from storage.checkins.models import RETENTION_CHOICES, CheckinPlan
from storage.checkins.schedule import PROMPT, SNOOZE, WEEKDAYS, parse_time
from storage.users import is_zone

SCHEDULE_KINDS = (prompts.KINDS["prompt"], prompts.KINDS["weekly"])
ALL_KINDS = tuple(prompts.KINDS.values())
MAX_PAUSE_DAYS = 366
NO_WEEKLY = "none"


class PlanActions(CheckinsBase):
    async def _plan(self, db, user_id: str) -> CheckinPlan:
        return await repo.ensure_plan(db, user_id, await self.zone_of(db, user_id))

    async def _requeue(self, db, plan: CheckinPlan, kinds=SCHEDULE_KINDS) -> None:
        """A change applies from the next prompt: drop what was queued, queue again from now."""
        repo.changed(plan, self.now())
        await db.flush()
        await prompts.drop_pending(db, plan.user_id, kinds)
        await prompts.materialise(db, self.now(), self.config.rules, user_id=plan.user_id)

    # --- home and the schedule form ---------------------------------------------------------

    async def home(self, turn_context: TurnContext) -> None:
        t = self.text
        async with self.services.db() as db:
            plan = await repo.plan_of(db, scope_of(turn_context).actor.user_id)
        status, more = [], []
        buttons = [("check_in_now", "checkins.now"), ("schedule", "checkins.setup"),
                   ("history", "checkins.history"), ("data", "checkins.data")]
        if plan is None or not self.schedule_text(plan):
            status.append(t("checkins.home.not_set_up"))
        elif not plan.active:
            status.append(t("checkins.home.stopped"))
        else:
            status.append(t("checkins.home.schedule", times=self.schedule_text(plan), zone=plan.time_zone))
            if plan.paused_until is not None and plan.paused_until > self.today(plan.time_zone):
                status.append(t("checkins.home.paused", date=_when(plan.paused_until)))
                more.append(("resume", "checkins.resume"))
            more.append(("stop", "checkins.stop"))
        if plan is not None and plan.weekly_day is not None:
            status.append(t("checkins.home.weekly", day=t(f"checkins.weekdays.{WEEKDAYS[plan.weekly_day]}")))
        await show(turn_context, self.content.card("checkin_home", {
            "title": t("checkins.home.title"), "intro": t("checkins.home.intro"), "status": status,
            "buttons": [{"title": t(f"checkins.buttons.{key}"), "verb": verb} for key, verb in buttons],
            "more_buttons": [{"title": t(f"checkins.buttons.{key}"), "verb": verb} for key, verb in more],
        }), replace=True)

    async def setup(self, turn_context: TurnContext) -> None:
        async with self.services.db() as db:
            user_id = scope_of(turn_context).actor.user_id
            plan = await repo.plan_of(db, user_id)
            zone = await self.zone_of(db, user_id)
        if plan is None or not plan.times:
            # A first schedule starts from weekdays at the usual time; the worker changes it.
            values = {d: self.config.default_time.strftime("%H:%M") for d in WEEKDAYS[:5]}
        else:
            values = dict(plan.times)
        await show(turn_context, self.setup_card(
            values, zone, plan.retention_days if plan else repo.DEFAULT_RETENTION_DAYS,
            NO_WEEKLY if plan is None or plan.weekly_day is None else str(plan.weekly_day)), replace=True)

    def setup_card(self, times: dict[str, str], zone: str, retention: int, weekly: str,
                   error: str = "") -> dict[str, Any]:
        t = self.text
        return self.content.card("checkin_setup", {
            "title": t("checkins.setup.title"), "intro": t("checkins.setup.intro"), "error": error,
            "days": [{"id": d, "label": t(f"checkins.weekdays.{d}"), "value": times.get(d, "")} for d in WEEKDAYS],
            "zone": zone, "retention": str(retention), "weekly": weekly,
            "labels": {"zone": t("checkins.setup.zone_label"), "zone_hint": t("checkins.setup.zone_hint"),
                       "retention": t("checkins.setup.retention_label"), "weekly": t("checkins.setup.weekly_label"),
                       "save": t("checkins.setup.save")},
            "retention_choices": [{"title": t("checkins.setup.retention_choice", days=d), "value": str(d)}
                                  for d in RETENTION_CHOICES],
            "weekly_choices": [{"title": t("checkins.setup.weekly_none"), "value": NO_WEEKLY}]
            + [{"title": t(f"checkins.weekdays.{d}"), "value": str(i)} for i, d in enumerate(WEEKDAYS)],
        })

    async def save(self, turn_context: TurnContext) -> None:
        data = scope_of(turn_context).input.data
        times, errors = {}, []
        for day in WEEKDAYS:
            raw = data.get(day)
            if raw in (None, ""):
                continue
            at = parse_time(raw)
            if at is None:
                errors.append(self.text("checkins.errors.time", day=self.text(f"checkins.weekdays.{day}")))
                continue
            times[day] = at.strftime("%H:%M")
        raw_zone = data.get("zone")
        zone = raw_zone.strip() if isinstance(raw_zone, str) else ""
        retention, weekly = data.get("retention"), data.get("weekly") or NO_WEEKLY
        if not is_zone(zone):
            errors.append(self.text("checkins.errors.zone"))
        if retention not in {str(d) for d in RETENTION_CHOICES}:
            errors.append(self.text("checkins.errors.retention"))
        if weekly not in {NO_WEEKLY, *(str(i) for i in range(7))}:
            errors.append(self.text("checkins.errors.weekly"))
        if errors:  # every one named, so one correction is enough
            shown = {d: data[d] for d in WEEKDAYS if isinstance(data.get(d), str)}
            await show(turn_context, self.setup_card(shown, zone if is_zone(zone) else "",
                                                     int(str(retention)) if str(retention).isdigit() else 90,
                                                     weekly if isinstance(weekly, str) else NO_WEEKLY,
                                                     every_error(errors)), replace=True)
            return
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            plan.times, plan.time_zone, plan.retention_days = times, zone, int(str(retention))
            plan.weekly_day = None if weekly == NO_WEEKLY else int(str(weekly))
            plan.active = bool(times) or plan.weekly_day is not None
            await self._requeue(db, plan)
            summary = self.schedule_text(plan)
        body = (self.text("checkins.setup.saved", times=summary, zone=zone) if summary
                else self.text("checkins.setup.saved_none"))
        await show(turn_context, self.notice("checkins.setup.saved_title", body), replace=True)

    # --- from a prompt ----------------------------------------------------------------------

    async def skip(self, turn_context: TurnContext) -> None:
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            day = self.day_of_card(scope_of(turn_context).input.data.get("day"), plan.time_zone)
            plan.skipped_on = day
            await prompts.drop_pending(db, plan.user_id, (prompts.KINDS[PROMPT], prompts.KINDS[SNOOZE]), day)
        await show(turn_context, self.notice("checkins.prompt.skipped_title", self.text("checkins.prompt.skipped")),
                   replace=True)

    async def snooze(self, turn_context: TurnContext) -> None:
        data = scope_of(turn_context).input.data
        minutes = int(data["minutes"]) if str(data.get("minutes")) in {str(m) for m in self.config.snooze_minutes} \
            else self.config.snooze_minutes[0]
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            day = self.day_of_card(data.get("day"), plan.time_zone)
            ok = await prompts.snooze(db, plan.user_id, day, self.now(), minutes, self.config.rules.window,
                                      self.config.max_snoozes)
        body = self.text("checkins.prompt.snoozed", minutes=minutes) if ok else self.text("checkins.prompt.snooze_used")
        await show(turn_context, self.notice("checkins.prompt.snoozed_title", body), replace=True)

    async def pause(self, turn_context: TurnContext) -> None:
        raw = scope_of(turn_context).input.data.get("until")
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            today = self.today(plan.time_zone)
            until = parse_day(raw)
            if until is None or not today < until <= today + timedelta(days=MAX_PAUSE_DAYS):
                card = self.notice("checkins.prompt.paused_title", self.text("checkins.errors.date"))
            else:
                plan.paused_until = until
                await self._requeue(db, plan, ALL_KINDS)
                card = self.notice("checkins.prompt.paused_title", self.text("checkins.prompt.paused",
                                                                             date=_when(until)))
        await show(turn_context, card, replace=True)

    async def resume(self, turn_context: TurnContext) -> None:
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            plan.paused_until = None
            plan.active = bool(plan.times) or plan.weekly_day is not None
            await self._requeue(db, plan)
            times = self.schedule_text(plan)
        body = self.text("checkins.prompt.resumed", times=times) if times else self.text("checkins.setup.saved_none")
        await show(turn_context, self.notice("checkins.prompt.resumed_title", body), replace=True)

    async def stop(self, turn_context: TurnContext) -> None:
        async with self.services.db() as db, db.begin():
            plan = await self._plan(db, scope_of(turn_context).actor.user_id)
            plan.active = False
            await self._requeue(db, plan, ALL_KINDS)
            days = plan.retention_days
        await show(turn_context, self.notice("checkins.prompt.stopped_title",
                                             self.text("checkins.prompt.stopped", days=days)), replace=True)


def _when(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
