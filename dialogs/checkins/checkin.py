"""The check-in itself: the card, the kind reply, and signposting in the same turn on a hard day.

Stateless card actions (no dialog state), so what a person types lives only in this turn's
memory until it is sealed: it never reaches the bot-state store, the logs, or a card the bot
sends back. The reply is built from content before the database is touched, so a database
failure costs the saving of the check-in, never the signposting.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

from botbuilder.core import TurnContext
from sqlalchemy import select

from dialogs.checkins.common import CheckinsBase
from dialogs.checkins.config import MAX_CHARS, NEEDS, STATES
from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import every_error, storable
from storage.checkins import repository as repo
from storage.checkins.prompts import ask_to_get_in_touch
from storage.checkins.sealing import PrivateText
from storage.checkins.signals import hard_day
from storage.logs import describe_exception
from storage.models import User
from storage.supervisors import Supervisor

log = logging.getLogger(__name__)
TEXT_FIELDS = ("hard", "well1", "well2", "well3", "note")
FIELD_LABELS = {"hard": "hard", "well1": "well", "well2": "well", "well3": "well", "note": "note"}


@dataclass(frozen=True)
class Answers:
    feeling: int
    states: tuple[str, ...]
    needs: tuple[str, ...]
    let_go: bool
    text: PrivateText


def _choices(raw: Any, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    if raw in (None, ""):
        return ()
    if not isinstance(raw, str):
        return None
    picked = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    return picked if all(p in allowed for p in picked) else None


def parse_answers(data: dict[str, Any], text: Callable[..., str]) -> tuple[str, Answers | None]:
    """("", answers), or one message naming every answer to correct (worded by `text`, the
    content's) and None. Typed text is never echoed back, and never cut: too long is refused."""
    errors = []
    feeling = data.get("feeling")
    if not isinstance(feeling, str) or feeling not in {"1", "2", "3", "4", "5"}:
        errors.append(text("checkins.errors.feeling"))
    states, needs = _choices(data.get("states"), STATES), _choices(data.get("needs"), NEEDS)
    texts = {k: data.get(k) for k in TEXT_FIELDS}
    if states is None or needs is None or data.get("let_go") not in (None, "", "true", "false") \
            or not all(t is None or isinstance(t, str) for t in texts.values()):
        errors.append(text("checkins.errors.answers"))
    for key, value in texts.items():
        if not isinstance(value, str) or not value:
            continue
        field = text(f"checkins.form.{FIELD_LABELS[key]}_label")
        if not storable(value, multiline=True):
            errors.append(text("checkins.errors.characters", field=field))
        elif len(value.strip()) > MAX_CHARS:
            errors.append(text("checkins.errors.too_long", field=field, length=len(value.strip()), limit=MAX_CHARS))
    if errors:
        return every_error([*errors, text("checkins.errors.retype")]), None
    assert states is not None and needs is not None and isinstance(feeling, str)  # no errors: all checked
    hard, w1, w2, w3, note = (t.strip() if isinstance(t, str) else "" for t in texts.values())
    return "", Answers(int(feeling), states, needs, data.get("let_go") == "true",
                       PrivateText(hard, tuple(w for w in (w1, w2, w3) if w), note))


class CheckinActions(CheckinsBase):
    # --- the card ---------------------------------------------------------------------------

    def form_card(self, *, name: str, day: date, prompt: bool, privacy_days: int, error: str = "",
                  values: dict[str, str] | None = None) -> dict[str, Any]:
        t, c = self.text, self.config
        values = values or {}
        first = name.split()[0] if name.strip() else ""
        labels = {k: t(f"checkins.form.{k}_label") for k in ("feeling", "states", "needs", "hard", "let_go", "well",
                                                           "note")}
        labels.update({k: t(f"checkins.form.{k}") for k in ("send", "skip", "pause_stop", "pause", "stop")},
                      pause_date=t("checkins.form.pause_label"), feeling_error=t("checkins.errors.feeling"),
                      limit=t("checkins.form.limit", limit=MAX_CHARS))
        return self.content.card("checkin_form", {
            "title": t("checkins.form.title", name=first) if first else t("checkins.form.title_anonymous"),
            "intro": t("checkins.form.prompt_intro" if prompt else "checkins.form.now_intro"),
            "error": error, "labels": labels,
            "feelings": [{"title": word, "value": str(i)} for i, word in enumerate(c.feelings, start=1)],
            "states": [{"title": word, "value": key} for key, word in c.states.items()],
            "needs": [{"title": word, "value": key} for key, word in c.needs.items()],
            "values": {k: values.get(k, "") for k in ("feeling", "states", "needs")},
            "max_chars": MAX_CHARS, "privacy": t("checkins.form.privacy", days=privacy_days),
            "day": day.isoformat(), "prompt": prompt, "tomorrow": (day + timedelta(days=1)).isoformat(),
            "snoozes": [{"title": t("checkins.form.snooze", minutes=m), "minutes": str(m)} for m in c.snooze_minutes],
        })

    async def card_for(self, db, user_id: str, *, prompt: bool, day: date | None = None,
                       error: str = "", values: dict[str, str] | None = None) -> dict[str, Any]:
        zone = await self.zone_of(db, user_id)
        plan = await repo.plan_of(db, user_id)
        name = await db.scalar(select(User.name).where(User.id == user_id)) or ""
        return self.form_card(name=name, day=day or self.today(zone), prompt=prompt, error=error, values=values,
                              privacy_days=plan.retention_days if plan else repo.DEFAULT_RETENTION_DAYS)

    async def now_form(self, turn_context: TurnContext) -> None:
        """"Check in now": any time, whether or not a schedule is set."""
        async with self.services.db() as db:
            card = await self.card_for(db, scope_of(turn_context).actor.user_id, prompt=False)
        await show(turn_context, card, replace=True)

    # --- submitting -------------------------------------------------------------------------

    def reply_card(self, answers: Answers, *, saved: bool, supervisor: Supervisor | None,
                   already: bool = False) -> dict[str, Any]:
        """Kind, short, and about what the worker asked for; signposting when the day was hard."""
        c = self.config
        band = "low" if answers.feeling <= 2 else "ok" if answers.feeling == 3 else "good"
        lines = [random.choice(c.openings[band])]
        lines += [random.choice(c.closes[need]) for need in answers.needs] or [random.choice(c.closes["none"])]
        hard = hard_day(answers.feeling, answers.states, answers.needs,
                        (answers.text.hard, *answers.text.went_well, answers.text.note), c.phrases)
        note = "" if saved else self.text("checkins.reply.not_saved")
        if saved and already:
            note = self.text("checkins.reply.already")
        return self.content.card("checkin_reply", {
            "title": self.text("checkins.reply.title"), "lines": lines, "note": note,
            "hard": bool(hard), "signposting": self.signposting(supervisor),
            "my_checkins": self.text("checkins.reply.my_checkins"),
        })

    def offline_reply(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The reply when the database cannot be reached at all: nothing saved, signposting intact."""
        error, answers = parse_answers(data, self.text)
        if answers is None:
            return self.notice("checkins.reply.title", error)
        return self.reply_card(answers, saved=False, supervisor=None)

    async def submit(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        error, answers = parse_answers(scope.input.data, self.text)
        if answers is None:
            # The choices are kept; typed words are not sent back (free text is only ever kept
            # sealed, and a card answer is held in memory to answer redeliveries).
            values = {k: v for k, v in scope.input.data.items() if k in ("feeling", "states", "needs")
                      and isinstance(v, str)}
            async with self.services.db() as db:
                card = await self.card_for(db, scope.actor.user_id, prompt=False, error=error, values=values,
                                           day=None)
            await show(turn_context, card, replace=True)
            return
        saved, already, supervisor = False, False, None
        try:
            async with self.services.db() as db, db.begin():
                user_id = scope.actor.user_id
                zone = await self.zone_of(db, user_id)
                day = self.day_of_card(scope.input.data.get("day"), zone)
                plan = await repo.ensure_plan(db, user_id, zone)
                already = await repo.checked_in_on(db, user_id, day)
                await repo.add_checkin(db, self.sealer, user_id, day, self.now(), feeling=answers.feeling,
                                       states=answers.states, needs=answers.needs, let_go=answers.let_go,
                                       text=answers.text)
                if plan.skipped_on == day:
                    plan.skipped_on = None
            saved = True
            async with self.services.db() as db:
                supervisor = await self.services.supervisors.peer_supervisor_of(db, user_id)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the reply and its signposting go out
            log.error("check-in not saved or supervisor not found: %s", describe_exception(exc))
        await show(turn_context, self.reply_card(answers, saved=saved, supervisor=supervisor, already=already),
                   replace=True)

    # --- "ask my peer supervisor to get in touch" -------------------------------------------

    async def contact(self, turn_context: TurnContext) -> None:
        """Queue a message to the supervisor saying only that the worker would like a chat."""
        user_id = scope_of(turn_context).actor.user_id
        try:
            async with self.services.db() as db, db.begin():
                supervisor = await self.services.supervisors.peer_supervisor_of(db, user_id)
                if supervisor is None:
                    card = self.notice("checkins.contact.none_title",
                                       self.text("checkins.contact.none", **self.support_contact()))
                else:
                    day = self.today(await self.zone_of(db, user_id))
                    queued = await ask_to_get_in_touch(db, user_id, supervisor.user_id, day, self.now(),
                                                       self.config.contact_window)
                    key = "checkins.contact.sent" if queued else "checkins.contact.already"
                    card = self.notice("checkins.contact.sent_title", self.text(key, name=supervisor.name))
        except Exception as exc:  # noqa: BLE001 - say so plainly and point to people
            log.error("supervisor contact not queued: %s", describe_exception(exc))
            card = self.offline_contact()
        await show(turn_context, card, replace=True)

    def offline_contact(self) -> dict[str, Any]:
        return self.notice("checkins.contact.sent_title", self.text("checkins.contact.failed",
                                                                     **self.support_contact()))
