"""A line manager's "Manage" card: for each person they line-manage, start a probation and record
its outcome, record an absence and the return, plan an appraisal. Administrators may act for any
worker who has a line manager. A worker may record the start of their own absence, and only the
worker chooses what pauses while they are away (`pauses`).

Every form is checked whole before anything is written: a bad field is named and nothing changes.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import scope_of, show
from dialogs.tripartite.forms import DATE_SPAN, FORMS, FormSpec, read_form
from dialogs.tripartite.tasks import TaskActions
from storage.checkins.prompts import KINDS, drop_pending
from storage.checkins.schedule import PROMPT, WEEKLY
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from storage.people.repository import current_other, linked_workers
from storage.roles import Actor, NotPermitted, Role
from storage.tripartite import repository as repo
from storage.tripartite.models import Absence, Probation
from storage.tripartite.rules import ProbationOutcome, TaskKind, next_appraisal

log = logging.getLogger(__name__)
MANAGERS = (Role.LINE_MANAGER, Role.ADMIN)
MAX_MANAGED = 15  # people on one Manage card: three buttons each, well under Teams' 80 KB


class ManageActions(TaskActions):
    # --- the card ---------------------------------------------------------------------------

    async def manage(self, turn_context: TurnContext, *, saved: str = "") -> None:
        """The people the actor line-manages (administrators: every worker with a line manager)."""
        actor = scope_of(turn_context).actor
        actor.require(*MANAGERS)
        t = self.text
        async with self.services.db() as db:
            me = await self._person(db, actor.user_id)
            workers = await self._workers(db, actor, me)
            ids = [w.id for w in workers]
            probations = {p.worker_id: p for p in await db.scalars(select(Probation).where(
                Probation.worker_id.in_(ids), Probation.outcome.is_(None)))}
            absences = {a.worker_id: a for a in await db.scalars(select(Absence).where(
                Absence.worker_id.in_(ids), Absence.returned_on.is_(None)))}
        people = []
        for worker in workers:
            probation, absence = probations.get(worker.id), absences.get(worker.id)
            lines = [t("tripartite.manage.on_probation", end=probation.ends_on.isoformat())] if probation else []
            lines += [t("tripartite.manage.away", start=absence.started_on.isoformat())] if absence else []
            forms = ["outcome" if probation else "probation", "return" if absence else "absence", "appraisal"]
            people.append({"name": worker.name or t("tripartite.facts.nobody"), "lines": lines, "buttons": [
                {"title": t(f"tripartite.forms.{f}.button", name=worker.name),  # text-key: tripartite.forms.*
                 "form": f, "person": worker.id} for f in forms]})
        await show(turn_context, self.content.card("tripartite_manage", {
            "saved": saved, "title": t("tripartite.manage.title"),
            "intro": t("tripartite.manage.intro_admin" if actor.has_any(Role.ADMIN) else "tripartite.manage.intro"),
            "none": "" if people else t("tripartite.manage.none"), "people": people,
            "privacy": t("tripartite.manage.privacy"), "mine": t("tripartite.mine.title"),
            "menu": t("tripartite.to_menu")}), replace=True)

    async def _workers(self, db: AsyncSession, actor: Actor, me: Person | None) -> list[Person]:
        if actor.has_any(Role.ADMIN):
            return list((await db.scalars(select(Person).join(PersonLink, PersonLink.worker_id == Person.id).where(
                PersonLink.kind == LinkKind.LINE_MANAGER, PersonLink.status == LinkStatus.ACTIVE)
                .order_by(Person.name, Person.id).limit(MAX_MANAGED))).all())
        return list(await linked_workers(db, me.id, LinkKind.LINE_MANAGER))[:MAX_MANAGED] if me else []

    # --- the forms --------------------------------------------------------------------------

    async def form(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        async with self.services.db() as db:
            spec, me, worker, own = await self._allowed(db, scope.actor, scope.input.data)
            today = await self._today(db, me)
            defaults = await self._defaults(db, spec, worker, today)
        await self._show_form(turn_context, spec, worker, own, defaults, [])

    async def save(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        data = scope.input.data
        async with self.services.db() as db, db.begin():
            spec, me, worker, own = await self._allowed(db, scope.actor, data)
            today = await self._today(db, me)
            values, errors = read_form(spec, data, today, self.text)
            saved = "" if errors else await self._apply(db, spec, me, worker, values, today, errors)
        if errors:
            return await self._show_form(turn_context, spec, worker, own, {k: str(data.get(k) or "") for k in
                                                                           (*spec.dates, spec.choice or "")}, errors)
        log.info("tripartite %s recorded", spec.name)
        if own:
            return await self.mine(turn_context, saved=saved)
        await self.manage(turn_context, saved=saved)

    async def _allowed(self, db: AsyncSession, actor: Actor, data: dict[str, Any]
                       ) -> tuple[FormSpec, Person, Person, bool]:
        """The form, the actor's person, the worker and whether it is the worker's own absence;
        NotPermitted unless the actor is the worker's line manager (or an administrator and the
        worker has one), or the worker recording their own absence."""
        spec = FORMS.get(str(data.get("form") or ""))
        person_id = data.get("person")
        me = await self._person(db, actor.user_id)
        worker = await db.get(Person, person_id) if isinstance(person_id, str) and 0 < len(person_id) <= 32 else None
        if spec is None or me is None or worker is None:
            raise NotPermitted(MANAGERS)
        if spec.name == "absence" and worker.id == me.id and actor.has_any(Role.WORKER):
            return spec, me, worker, True
        manager = await current_other(db, worker.id, LinkKind.LINE_MANAGER)
        if manager is None or not (actor.has_any(Role.ADMIN)
                                   or (actor.has_any(Role.LINE_MANAGER) and manager.id == me.id)):
            raise NotPermitted(MANAGERS)
        return spec, me, worker, False

    async def _defaults(self, db: AsyncSession, spec: FormSpec, worker: Person, today: date) -> dict[str, str]:
        if spec.name == "appraisal":
            due = next_appraisal(worker.start_date or today, await repo.last_appraisal(db, worker.id))
            return {"due_on": max(due, today).isoformat()}
        if spec.name == "probation":
            return {"starts_on": (worker.start_date or today).isoformat()}
        return {d: today.isoformat() for d in spec.dates[:1]} | ({spec.choice: spec.choices[0]} if spec.choice else {})

    async def _show_form(self, turn_context: TurnContext, spec: FormSpec, worker: Person, own: bool,
                         values: dict[str, str], errors: list[str]) -> None:
        t = self.text
        form = spec.name
        choice = spec.choice or ""
        await show(turn_context, self.content.card("tripartite_form", {
            "title": t(f"tripartite.forms.{form}.own_title") if own else  # text-key: tripartite.forms.*
            t(f"tripartite.forms.{form}.title", name=worker.name),  # text-key: tripartite.forms.*
            "intro": t(f"tripartite.forms.{form}.intro", span=DATE_SPAN.days),  # text-key: tripartite.forms.*
            "errors_title": t("tripartite.forms.errors_title") if errors else "", "errors": errors,
            "choice_id": choice, "choice_label": t(f"tripartite.fields.{choice}") if choice else "",  # text-key: tripartite.fields.*
            "choice_value": values.get(choice, ""),
            "choices": [{"title": t(f"tripartite.choices.{c}"), "value": c} for c in spec.choices],  # text-key: tripartite.choices.*
            "dates": [{"id": d, "label": t(f"tripartite.fields.{d}"),  # text-key: tripartite.fields.*
                       "value": values.get(d, "")} for d in spec.dates],
            "note": t("tripartite.forms.note"), "form": form, "person": worker.id,
            "save": t(f"tripartite.forms.{form}.save"),  # text-key: tripartite.forms.*
            "back": t("tripartite.mine.title") if own else t("tripartite.manage.title"),
            "back_verb": "tripartite.mine" if own else "tripartite.manage"}), replace=True)

    async def _apply(self, db: AsyncSession, spec: FormSpec, me: Person, worker: Person, values: dict[str, Any],
                     today: date, errors: list[str]) -> str:
        """Act on a checked form; a refusal (the record's state forbids it) goes into `errors`
        before anything is written."""
        t, name = self.text, worker.name
        lists = self.config.checklists
        if spec.name == "probation":
            running = await repo.running_probation(db, worker.id)
            if running is not None:
                errors.append(t("tripartite.errors.probation_running", name=name, end=running.ends_on.isoformat()))
                return ""
            probation = await repo.start_probation(db, worker_id=worker.id, starts_on=values["starts_on"],
                                                   plan=self.config.probation,
                                                   checklist=lists[TaskKind.PROBATION_REVIEW], recorded_by=me.id)
            return t("tripartite.saved.probation", name=name, end=probation.ends_on.isoformat())
        if spec.name == "outcome":
            return await self._outcome(db, me, worker, values, today, errors)
        if spec.name == "absence":
            absence = await repo.open_absence(db, worker.id)
            if absence is not None:
                errors.append(t("tripartite.errors.absent", name=name, start=absence.started_on.isoformat()))
                return ""
            if values["expected_return"] is not None and values["expected_return"] < values["started_on"]:
                errors.append(t("tripartite.errors.before_start", field=t("tripartite.fields.expected_return"),
                                start=values["started_on"].isoformat()))
                return ""
            await repo.start_absence(db, worker_id=worker.id, kind=values["kind"], started_on=values["started_on"],
                                     expected_return=values["expected_return"], recorded_by=me.id)
            return t("tripartite.saved.absence", name=name, start=values["started_on"].isoformat())
        if spec.name == "return":
            absence = await repo.open_absence(db, worker.id)
            if absence is None:
                errors.append(t("tripartite.errors.not_absent", name=name))
                return ""
            if values["returned_on"] < absence.started_on:
                errors.append(t("tripartite.errors.before_start", field=t("tripartite.fields.returned_on"),
                                start=absence.started_on.isoformat()))
                return ""
            task = await repo.record_return(db, absence, returned_on=values["returned_on"],
                                            checklist=lists[TaskKind.RETURN_TO_WORK])
            await self.delivery.notify(db, task, "created", to=repo.party_ids(task))
            return t("tripartite.saved.return", name=name, day=task.due_on.isoformat())
        due: date = values["due_on"]
        key = f"appraisal:{due.year}"
        if await repo.has_task(db, worker.id, key):
            errors.append(t("tripartite.errors.appraisal_planned", name=name, year=due.year))
            return ""
        await repo.add_task(db, worker_id=worker.id, kind=TaskKind.APPRAISAL, key=key, due_on=due,
                            checklist=lists[TaskKind.APPRAISAL])
        return t("tripartite.saved.appraisal", name=name, due=due.isoformat())

    async def _outcome(self, db: AsyncSession, me: Person, worker: Person, values: dict[str, Any], today: date,
                       errors: list[str]) -> str:
        t = self.text
        probation = await repo.running_probation(db, worker.id)
        if probation is None:
            errors.append(t("tripartite.errors.no_probation", name=worker.name))
            return ""
        outcome = ProbationOutcome(values["outcome"])
        new_end: date | None = values["new_end"]
        if outcome == ProbationOutcome.EXTENDED and (new_end is None or new_end <= probation.ends_on):
            errors.append(t("tripartite.errors.new_end", field=t("tripartite.fields.new_end"),
                            end=probation.ends_on.isoformat()))
            return ""
        await repo.record_outcome(db, probation, outcome, on=today, plan=self.config.probation,
                                  new_end=new_end if outcome == ProbationOutcome.EXTENDED else None)
        probation.recorded_by = me.id
        return t(f"tripartite.saved.outcome.{outcome.value}", name=worker.name,  # text-key: tripartite.saved.outcome.*
                 end=probation.ends_on.isoformat())

    # --- the worker's own choice ------------------------------------------------------------

    async def pauses(self, turn_context: TurnContext) -> None:
        """Only the worker, about their own open absence: pause check-in prompts and supervision
        due dates. Check-in prompts already queued for later are dropped; the next queueing pass
        (storage/checkins/prompts.py) leaves out the paused days and resumes on the first day back."""
        scope = scope_of(turn_context)
        data = scope.input.data
        absence_id = data.get("absence")
        async with self.services.db() as db, db.begin():
            me = await self._person(db, scope.actor.user_id)
            absence = await db.get(Absence, absence_id) if isinstance(absence_id, str) and len(absence_id) <= 32 else None
            if me is None or absence is None or absence.worker_id != me.id or absence.returned_on is not None:
                raise NotPermitted((Role.WORKER,))
            absence.pause_checkins = data.get("pause_checkins") in ("true", True)
            absence.pause_supervision = data.get("pause_supervision") in ("true", True)
            if me.user_id:
                await drop_pending(db, me.user_id, (KINDS[PROMPT], KINDS[WEEKLY]))
        await self.mine(turn_context, saved=self.text("tripartite.saved.pauses"))
