"""Session feedback: the anonymous form, from the menu or sent when a session ends.

Stateless card actions (no dialog state), so what a person types lives only in this turn's
memory until it is scrubbed: the raw text never reaches the database, the bot-state store or
the logs. Storage and the anonymity design are in storage/feedback/responses.py.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.cards import card_activity
from dialogs.shared.content import Content, ContentError
from dialogs.shared.inputs import CONTROL_CHARACTERS, every_error, storable
from dialogs.shared.notices import notice_card, step
from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.shared.text import text_of
from storage.feedback import responses as store
from storage.feedback.anonymise import Scrubber, load_word_lists
from storage.models import User
from storage.outbox import ClaimedMessage
from storage.personal_data import DataItem, PersonalDataSource
from storage.sessions.events import FEEDBACK_REQUEST
from storage.sessions.models import Meeting
from storage.feedback import corrections
from storage.feedback.theme_model import HybridTagger, load_weights
from storage.feedback.themes import load_taxonomy

OTHER = "other"
RATING_VALUES = ("1", "2", "3", "4", "5")
RECEIPTS_PURPOSE = "feedback.receipts"
SCRUB_ROOM = 3
SCRUBBER_MAX_AGE = 600.0  # seconds: also rebuilt at once when a new name appears


@dataclass(frozen=True)
class FeedbackConfig:
    """content/feedback/feedback.yaml, validated at start-up."""

    window: timedelta
    retention_months: int
    max_chars: int
    export_minutes: int
    deny_list: tuple[str, ...]

    @classmethod
    def from_content(cls, content: Content) -> "FeedbackConfig":
        raw = content.data.get("feedback")
        where = content.file("feedback.yaml")
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: file missing or not a mapping")

        def number(key: str, low: int, high: int) -> int:
            value = raw.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ContentError(f"{where}: {key} must be a whole number from {low} to {high}")
            return value

        deny = raw.get("deny_list") or []
        if not isinstance(deny, list) or not all(isinstance(t, str) and t.strip() for t in deny):
            raise ContentError(f"{where}: deny_list must be a list of words or phrases")
        return cls(window=timedelta(days=number("window_days", 1, 90)),
                   retention_months=number("quote_retention_months", 1, 120),
                   max_chars=number("max_text_chars", 100, 4000),
                   export_minutes=number("export_link_minutes", 1, 24 * 60),
                   deny_list=tuple(deny))


def local_date(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone or "Europe/London"))
    return f"{local.day} {local:%B %Y}"


class ScrubberCache:
    """One Scrubber over every known name, rebuilt when names change (cheap check per use)."""

    def __init__(self, deny_list: tuple[str, ...], max_chars: int) -> None:
        self._deny, self._max = deny_list, max_chars
        self._key: tuple | None = None
        self._built = 0.0
        self._scrubber: Scrubber | None = None
        # At start-up rather than on the first submission, which would stall
        # every conversation for the second they take to load.
        load_word_lists()

    async def get(self, db: AsyncSession) -> Scrubber:
        key = await store.names_fingerprint(db)
        if self._scrubber is None or key != self._key or time.monotonic() - self._built > SCRUBBER_MAX_AGE:
            names = await store.known_names(db)
            self._scrubber = Scrubber(known_names=names, deny_list=self._deny, max_chars=self._max)
            self._key, self._built = key, time.monotonic()
        return self._scrubber


class FeedbackForm:
    def __init__(self, services: BotServices, config: FeedbackConfig, tagger: HybridTagger) -> None:
        self._services = services
        self._config = config
        self._tagger = tagger
        self._receipts = store.Receipts(services.links.derive_key(RECEIPTS_PURPOSE))
        # Answers over max_chars are refused before scrubbing; the scrubber's own cap only bounds
        # what is stored, with room for placeholders longer than what they replace ("Jo" -> "[name]").
        self._scrubbers = ScrubberCache(config.deny_list, config.max_chars * SCRUB_ROOM)

    @property
    def receipts(self) -> store.Receipts:
        return self._receipts

    # --- the list of sessions waiting for feedback --------------------------------------------

    async def show_list(self, turn_context: TurnContext) -> None:
        text = self._services.content.text
        actor = scope_of(turn_context).actor
        rows = []
        async with self._services.db() as db:
            person = await _teams_id(db, actor.user_id)
            for s in await store.attended_open_sessions(db, actor.user_id, self._services.now(),
                                                        self._config.window):
                answered = await store.has_answered(db, self._receipts, person, s.id)
                rows.append({"id": s.id, "title": s.title, "when": local_date(s.starts_at, s.time_zone),
                             "status": text("feedback.list.answered" if answered else "feedback.list.waiting"),
                             "button": text("feedback.list.change" if answered else "feedback.list.give")})
        card = self._services.content.card("feedback_sessions", {
            "title": text("feedback.list.title"),
            "intro": text("feedback.list.intro", days=self._config.window.days),
            "none": "" if rows else text("feedback.list.none"),
            "sessions": rows,
        })
        await show(turn_context, card, replace=True)

    # --- the form -------------------------------------------------------------------------------

    async def open_form(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        session_id = scope.input.data.get("session")
        async with self._services.db() as db:
            target = await self._open_session(db, scope.actor.user_id, session_id)
            if target is None:
                await self._closed(turn_context)
                return
            card = await self.form_card(db, target, await _teams_id(db, scope.actor.user_id))
        await show(turn_context, card, replace=True)

    async def form_card(self, db: AsyncSession, target: Meeting, person: str, *,
                        error: str = "", values: dict[str, Any] | None = None) -> dict[str, Any]:
        text = self._services.content.text
        answered = await store.has_answered(db, self._receipts, person, target.id)
        values = values or {}
        labels = {key: text(f"feedback.questions.{key}")
                  for key in ("overall", "presentation", "discussion", "helpful", "better", "topics", "share")}
        labels.update(rating_error=text("feedback.errors.ratings"),
                      placeholder=text("feedback.form.placeholder", limit=self._config.max_chars),
                      submit=text("feedback.form.submit"))
        return self._services.content.card("feedback_form", {
            "title": text("feedback.form.title", title=target.title),
            "subtitle": text("feedback.form.subtitle", when=local_date(target.starts_at, target.time_zone)),
            "closes": text("feedback.form.closes", date=self._closes(target)),
            "answered": text("feedback.form.answered") if answered else "",
            "error": error,
            "labels": labels,
            "ratings": [{"title": text(f"feedback.ratings.{v}"), "value": v} for v in RATING_VALUES],
            "topics": self.topic_choices(),
            "values": {key: text_of(values.get(key)) for key in
                       ("overall", "presentation", "discussion", "helpful", "better", "topics")}
            | {"share": "true" if values.get("share") == "true" else "false"},
            "max_chars": self._config.max_chars,
            "session_id": target.id,
        })

    def topic_choices(self) -> list[dict[str, str]]:
        """The topics a person may choose from: the themes, then "something else"."""
        choices = [{"title": theme.label, "value": theme.id} for theme in self._tagger.themes]
        return choices + [{"title": self._services.content.text("feedback.topic_other"), "value": OTHER}]

    def _closes(self, target: Meeting) -> str:
        return local_date(store.window_closes(target, self._config.window) - timedelta(seconds=1), target.time_zone)

    async def _open_session(self, db: AsyncSession, user_id: str, session_id: Any) -> Meeting | None:
        if not isinstance(session_id, str) or not session_id or len(session_id) > 32:
            return None
        return await store.open_session_for(db, user_id, session_id, self._services.now(), self._config.window)

    async def _closed(self, turn_context: TurnContext) -> None:
        text = self._services.content.text
        await show(turn_context, self._notice(text("feedback.list.title"), text("feedback.errors.session")),
                   replace=True)

    def _notice(self, title: str, body: str) -> dict[str, Any]:
        content = self._services.content
        return notice_card(content, title, body, (step(content.text("feedback.list.title"), "feedback.list"),))

    # --- submitting -----------------------------------------------------------------------------

    async def submit(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        data = scope.input.data
        text = self._services.content.text
        async with self._services.db() as db, db.begin():
            target = await self._open_session(db, scope.actor.user_id, data.get("session"))
            if target is None:
                await self._closed(turn_context)
                return
            person = await _teams_id(db, scope.actor.user_id)
            error, draft = self._validate(data)
            if draft is not None:
                draft = await self.scrubbed(db, draft)
            if error or draft is None:
                card = await self.form_card(db, target, person, error=error, values=data)
                await show(turn_context, card, replace=True)
                return
            replaced = await store.submit(db, self._receipts, person, target.id, draft)
            series_id = target.series_id
            closes = self._closes(target)
        if data.get("share") == "true":
            # Its own transaction, and never anything from the answers.
            async with self._services.db() as db, db.begin():
                await store.offer_to_share(db, scope.actor.user_id, series_id)
        body = (text("feedback.thanks.replaced", date=closes) if replaced
                else text("feedback.thanks.text", k=self._services.min_group_size - 1, date=closes))
        await show(turn_context, self._notice(text("feedback.thanks.title"), body), replace=True)

    def _validate(self, data: dict[str, Any]) -> tuple[str, store.ResponseDraft | None]:
        """("", draft), or one message naming every answer to correct and None."""
        errors, draft = self.check(data)
        return every_error(list(errors.values())), draft

    def check(self, data: dict[str, Any]) -> tuple[dict[str, str], store.ResponseDraft | None]:
        """({}, draft), or a message per question to correct (the web page shows each by its
        field, the card all together) and None. The card and the web page share these rules."""
        text = self._services.content.text
        errors: dict[str, str] = {}
        answers = {q: data.get(q) for q in ("overall", "presentation", "discussion")}
        for key, value in answers.items():
            if not (isinstance(value, str) and value in RATING_VALUES):
                errors[key] = text("feedback.errors.rating", field=text(f"feedback.questions.{key}"))
        topics_raw = data.get("topics") or ""
        topics = tuple(dict.fromkeys(t.strip() for t in topics_raw.split(",") if t.strip())) \
            if isinstance(topics_raw, str) else ()
        allowed = {theme.id for theme in self._tagger.themes} | {OTHER}
        if not isinstance(topics_raw, str) or any(t not in allowed for t in topics):
            errors["topics"] = text("feedback.errors.topics")
        if data.get("share") not in (None, "", "true", "false"):
            errors["share"] = text("feedback.errors.share")
        texts = {key: data.get(key) for key in ("helpful", "better")}
        for key, value in texts.items():
            field = text(f"feedback.questions.{key}")
            if value is not None and not isinstance(value, str):
                errors[key] = text("bot.invalid_input")
            elif value and not storable(value, multiline=True):
                errors[key] = text(CONTROL_CHARACTERS, field=field)
            elif value and len(value.strip()) > self._config.max_chars:
                # Refused, never cut: the answer would otherwise lose its end without a word.
                errors[key] = text("feedback.errors.too_long", field=field, limit=self._config.max_chars,
                                   length=len(value.strip()))
        if errors:
            return errors, None
        ratings = [int(str(answers[q])) for q in ("overall", "presentation", "discussion")]
        helpful, better = (t if isinstance(t, str) else None for t in texts.values())
        return {}, store.ResponseDraft(ratings[0], ratings[1], ratings[2], topics, helpful or None, better or None)

    async def scrubbed(self, db: AsyncSession, draft: store.ResponseDraft) -> store.ResponseDraft:
        """Scrub (which also caps) each text, then tag the scrubbed text: what is stored explains its themes."""
        scrubber = await self._scrubbers.get(db)
        helpful = scrubber.scrub(draft.helpful_text or "") or None
        better = scrubber.scrub(draft.better_text or "") or None
        return store.ResponseDraft(
            draft.overall, draft.presentation, draft.discussion, draft.topics, helpful, better,
            tuple(self._tagger.tag(helpful or "")), tuple(self._tagger.tag(better or "")))

    # --- the outbox message sent when a session ends ---------------------------------------------

    async def render_request(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        """The form for the session in the payload; None once the window closed or they answered."""
        session_id = message.payload.get("session_id")
        if message.user_id is None:
            return None
        target = await self._open_session(db, message.user_id, session_id)
        if target is None:
            return None
        person = await _teams_id(db, message.user_id)
        if await store.has_answered(db, self._receipts, person, target.id):
            return None
        return card_activity(await self.form_card(db, target, person))

    # --- "my data" and housekeeping ------------------------------------------------------------

    def items(self, row: Sequence[Any], user: User) -> list[DataItem]:
        offered, answered = store.held_for(row, self._receipts, user)
        return [DataItem("feedback_offers", tuple(offered)), DataItem("feedback_answered", (str(answered),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        await store.forget_person(db, self._receipts, user)

    async def housekeeping(self) -> None:
        """Seal closed windows (drop receipts) and delete quotes past their retention."""
        now = self._services.now()
        cutoff = _months_before(now, self._config.retention_months)
        async with self._services.db() as db, db.begin():
            await store.seal_closed(db, now, self._config.window)
            await store.expire_quotes(db, cutoff)
            await corrections.purge(db, cutoff.date())


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


async def _teams_id(db: AsyncSession, user_id: str) -> str:
    """The person's stable Teams id: receipts survive a "my data" erase and a return visit."""
    return await db.scalar(select(User.teams_id).where(User.id == user_id)) or f"user:{user_id}"


def load_tagger(content: Content) -> HybridTagger:
    """The phrase list (content, overridable) with the shipped model over words."""
    try:
        return HybridTagger(load_taxonomy(content.file("themes.yaml")), load_weights())
    except ValueError as exc:
        raise ContentError(str(exc)) from None


def install(ctx: FeatureContext, config: FeedbackConfig, tagger: HybridTagger) -> FeedbackForm:
    """The form, its outbox renderer, personal data and housekeeping (dialogs/feedback/__init__.py)."""
    services: BotServices = ctx.services
    form = FeedbackForm(services, config, tagger)
    ctx.registry.add(Feature(
        name="feedback",
        menu=[MenuEntry("feedback", "feedback.list", order=300)],
        actions={"feedback.list": form.show_list, "feedback.open": form.open_form, "feedback.submit": form.submit},
        cards=["feedback_sessions", "feedback_form", "notice"],
    ))
    ctx.delivery.register(FEEDBACK_REQUEST, form.render_request)
    services.personal_data.register(PersonalDataSource(
        "feedback", store.held_statement, form.items, form.erase,
        lambda now: store.held_params(now, config.window)))
    ctx.scheduler.every("feedback.housekeeping", 3600, form.housekeeping, run_at_start=True)
    return form
