"""Recording a supervision: the form (pre-filled from a cadence reminder's button), validation
naming every bad field, the relationship check, and asking the other party to confirm.

Agreed actions pass the feedback scrubber before they are stored: names of everyone the bot knows
except the two people in the supervision, emails, phone and NHS numbers, links and postcodes.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import storable
from dialogs.supervision.common import MAX_ACTIONS, SupervisionBase, date_text, reachable_user
from storage.people.models import Person, SupervisionType
from storage.supervision import requests
from storage.supervision.access import recordable_for
from storage.supervision.records import KIND_FOR, RECORDABLE, Draft, Refused, add_record, confirmer_of
from storage.users import zone_of

log = logging.getLogger(__name__)
FIELDS = ("worker", "type", "held_on", "minutes", "actions")


class RecordActions(SupervisionBase):
    async def form(self, turn_context: TurnContext) -> None:
        """The form; card data may name a worker and type to pre-fill (ignored unless allowed)."""
        data = scope_of(turn_context).input.data
        async with self.services.db() as db, db.begin():
            me = await self.me(db, turn_context)
            choices = await recordable_for(db, me) if me is not None else []
            today = await self.today(db, scope_of(turn_context).actor.user_id)
        if me is None or not choices:
            await show(turn_context, self.notice("supervision.form.title", self.text("supervision.form.nobody")),
                       replace=True)
            return
        offered = {p.id: types for p, types in choices}
        wanted = str(data.get("worker") or "")
        worker = wanted if wanted in offered else choices[0][0].id
        kinds = {t.value for t in offered[worker]}
        kind = str(data.get("type") or "")
        kind = kind if kind in kinds else offered[worker][0].value
        await show(turn_context, self.form_card(me, choices, today, {"worker": worker, "type": kind}), replace=True)

    def form_card(self, me: Person, choices: list[tuple[Person, tuple[SupervisionType, ...]]], today: date,
                  values: dict[str, str], errors: list[str] | None = None) -> dict[str, Any]:
        t, c = self.text, self.config
        offered = [t_ for t_ in RECORDABLE if any(t_ in types for _, types in choices)]
        return self.content.card("supervision_form", {
            "title": t("supervision.form.title"), "intro": t("supervision.form.intro"),
            "errors_title": t("supervision.errors.title") if errors else "",
            "errors": [{"text": e} for e in errors or []],
            "workers": [{"title": t("supervision.form.myself") if p.id == me.id else p.name, "value": p.id}
                        for p, _ in choices],
            "types": [{"title": self.type_name(k), "value": k.value} for k in offered],
            "worker": values.get("worker", ""), "type": values.get("type", ""),
            "held_on": values.get("held_on", today.isoformat()), "minutes": values.get("minutes", ""),
            "actions": values.get("actions", ""),
            "today": today.isoformat(), "oldest": (today - timedelta(days=c.oldest_days)).isoformat(),
            "low": c.min_minutes, "high": c.max_minutes, "max_actions": MAX_ACTIONS,
            "minutes_label": t("supervision.form.minutes_label", low=c.min_minutes, high=c.max_minutes),
            "actions_label": t("supervision.form.actions_label", max=MAX_ACTIONS),
            "not_content": t("supervision.form.not_content"),
        })

    def validate(self, data: dict[str, Any], today: date, ids: set[str]) -> tuple[dict[str, Any], list[str]]:
        """The form's values, each checked; every bad field gets its own message."""
        t, c = self.text, self.config
        errors: list[str] = []
        values: dict[str, Any] = {}
        worker, kind = data.get("worker"), data.get("type")
        if worker not in ids:
            errors.append(t("supervision.errors.worker"))
        if kind not in {k.value for k in RECORDABLE}:
            errors.append(t("supervision.errors.type"))
        held_on = _iso_date(data.get("held_on"))
        if held_on is None:
            errors.append(t("supervision.errors.held_on"))
        elif held_on > today:
            errors.append(t("supervision.errors.future"))
        elif held_on < today - timedelta(days=c.oldest_days):
            errors.append(t("supervision.errors.too_old", days=c.oldest_days))
        minutes = _whole(data.get("minutes"))
        if minutes is None or not c.min_minutes <= minutes <= c.max_minutes:
            errors.append(t("supervision.errors.minutes", low=c.min_minutes, high=c.max_minutes))
        actions = data.get("actions") or ""
        if not isinstance(actions, str) or not storable(actions, multiline=True):
            errors.append(t("supervision.errors.characters", field=t("supervision.views.actions")))
            actions = ""
        elif len(actions.strip()) > MAX_ACTIONS:
            errors.append(t("supervision.errors.actions_long", max=MAX_ACTIONS, count=len(actions.strip())))
        values.update(worker=worker, type=kind, held_on=held_on, minutes=minutes, actions=actions.strip())
        return values, errors

    async def save(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        data = scope.input.data
        async with self.services.db() as db, db.begin():
            me = await self.me(db, turn_context)
            choices = await recordable_for(db, me) if me is not None else []
            today = await self.today(db, scope.actor.user_id)
            if me is None or not choices:
                card = self.notice("supervision.form.title", self.text("supervision.form.nobody"))
                return await show(turn_context, card, replace=True)
            values, errors = self.validate(data, today, {p.id for p, _ in choices})
            if errors:
                shown = {k: v for k in FIELDS if isinstance(v := data.get(k), str) and storable(v, multiline=True)}
                return await show(turn_context, self.form_card(me, choices, today, shown, errors), replace=True)
            kind = SupervisionType(values["type"])
            worker = next(p for p, _ in choices if p.id == values["worker"])
            try:
                record = await add_record(db, me, Draft(
                    worker_id=worker.id, type=kind, held_on=values["held_on"], minutes=values["minutes"],
                    actions=await self.scrubbed(db, values["actions"], {me.id, worker.id}) or None))
            except Refused as refused:
                log.info("supervision record refused: %s", refused.why.value)
                return await show(turn_context, await self._refused(db, refused, me, worker, kind, values["held_on"]),
                                  replace=True)
            confirmer = confirmer_of(record)
            user_id = await reachable_user(db, confirmer)
            if user_id is not None:
                zone = await zone_of(db, user_id, self.services.default_zone)
                await requests.ask(db, record, user_id, zone, self.services.now(), self.config.reminder)
            words = {**self.about(record), "confirmer": await self.name_of(db, confirmer)}
        log.info("supervision recorded (%s)", kind.value)
        key = "supervision.form.saved" if user_id is not None else "supervision.form.saved_later"
        await show(turn_context, self.notice("supervision.form.saved_title", self.text(key, **words)), replace=True)

    async def _refused(self, db: AsyncSession, refused: Refused, me: Person, worker: Person,
                       kind: SupervisionType, held_on: date) -> dict[str, Any]:
        t = self.text
        role = t(f"supervision.roles.{KIND_FOR[kind].value}")  # text-key: supervision.roles.*
        words = {"type": self.type_name(kind), "role": role, "date": date_text(held_on),
                 "worker": worker.name}
        return self.notice("supervision.refused.title", t(f"supervision.refused.{refused.why.value}",  # text-key: supervision.refused.*
                                                          **words))


def _iso_date(raw: object) -> date | None:
    if not isinstance(raw, str) or len(raw.strip()) != 10:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _whole(raw: object) -> int | None:
    """A whole number from a card (Input.Number sends text, some clients a number)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 6:
        return int(raw.strip())
    return None
