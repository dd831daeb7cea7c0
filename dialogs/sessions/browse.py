"""Attendees: browse coming sessions, register (or join the waitlist), my sessions, "I'm here"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext

from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import every_error
from dialogs.sessions.common import (
    SessionsBase, agenda_rows, default_series, flag, summary, text_field, zone_of,
)
from storage import outbox
from storage.sessions import repository as repo
from storage.models import User
from storage.roles import FACILITATORS
from storage.sessions.models import ACTIVE, RegistrationStatus, SessionStatus
from storage.sessions.events import cancel_for_attendee, queue_feedback_request, queue_for_attendee

MAX_LISTED = 8
FORM_WINDOW = timedelta(hours=1)
RECENT = timedelta(days=90)  # facilitators still reach the register and export this long after
MAX_RECENT = 4
FIELDS = (("name", 200, True), ("organisation", 200, True), ("role", 200, True),
          ("reason", 1000, False), ("hopes", 1000, False), ("access_needs", 1000, False))


class BrowseActions(SessionsBase):
    def __init__(self, services, config, starting_card) -> None:
        super().__init__(services, config)
        self.starting_card = starting_card  # SessionsDelivery.starting_card

    async def browse(self, turn_context: TurnContext) -> None:
        await show(turn_context, await self.list_card(turn_context), replace=True)

    async def list_card(self, turn_context: TurnContext, *, message: str = "") -> dict[str, Any]:
        actor = scope_of(turn_context).actor
        facilitator = actor.has_any(*FACILITATORS)
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            series = await default_series(db, self.config, now)
            zone = await zone_of(db, actor.user_id, self.config.zone)
            rows = []
            for space in await repo.upcoming(db, now, limit=MAX_LISTED):
                mine = await repo.registration_of(db, space.id, actor.user_id)
                item = summary(self.content, space, zone, await repo.counts(db, space.id))
                status = mine.status if mine is not None else None
                item["mine"] = self.text(f"sessions.mine_status.{status}") if status in ACTIVE else ""
                # A booked session offers what can be done with the booking, not "Register" again.
                item["booked"] = status in ACTIVE
                item["can_register"] = item["open"] and not item["booked"]
                rows.append(item)
            past = [summary(self.content, space, zone) for space in await repo.recent_past(
                db, now, now - RECENT, limit=MAX_RECENT)] if facilitator else []
        return self.content.card("session_list", {
            "sessions": rows, "none": "" if rows else self.text("sessions.none_upcoming"),
            "facilitator": facilitator, "message": message, "past": past,
            "zone_note": self.text("sessions.zone_note", zone=zone), "feed_url": self.feed_url(series.id),
        })

    async def form(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        card = await self._form_card(scope.actor.user_id, scope.input.data.get("session_id"))
        if (turn_context.activity.conversation.conversation_type or "personal") == "personal":
            await show(turn_context, card, replace=True)
            return
        # Pressed on an announcement in a channel: replacing that card would change it for
        # everyone, so the form goes to the person's own chat with the bot instead.
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            await outbox.enqueue(db, kind="card", user_id=scope.actor.user_id, due_at=now,
                                 not_after=now + FORM_WINDOW, payload={"card": card},
                                 idempotency_key=f"session_form:{scope.actor.user_id}:{int(now.timestamp())}")

    async def _form_card(self, user_id: str, session_id: Any, *, values: dict[str, Any] | None = None,
                         error: str = "") -> dict[str, Any]:
        async with self.services.db() as db:
            space = await repo.get_meeting(db, session_id)
            if space is None:
                return self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session"))
            zone = await zone_of(db, user_id, self.config.zone)
            existing = await repo.registration_of(db, space.id, user_id)
            existing = existing if existing is not None and existing.status in repo.ACTIVE else None
            if values is None:
                user = await db.get(User, user_id)
                values = {k: getattr(existing, k) for k, *_ in FIELDS} if existing else {"name": user.name if user else ""}
                values["wants_updates"] = bool(existing.wants_updates) if existing else False
        data = {k: values.get(k) if isinstance(values.get(k), str) else "" for k, *_ in FIELDS}
        # Someone with a place is changing their details, not registering again: say so.
        booked = existing is not None
        return self.content.card("session_register", {
            **summary(self.content, space, zone), **data, "error": error, "booked": booked,
            "heading": self.text("sessions.register.change_title" if booked else "sessions.register.new_title",
                                 title=space.title),
            "submit": self.text("sessions.register.change_submit" if booked else "sessions.register.new_submit"),
            "mine": self.text(f"sessions.mine_status.{existing.status}") if existing is not None else "",
            "wants_updates": "true" if flag(values.get("wants_updates")) else "false",
        })

    async def submit(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        data, user_id = scope.input.data, scope.actor.user_id
        cleaned: dict[str, Any] = {}
        errors = []
        for key, limit, required in FIELDS:
            cleaned[key], error = text_field(data, key, limit, required=required)
            if error:
                errors.append(self.error_text(error, key))
        if errors:
            await show(turn_context, await self._form_card(user_id, data.get("session_id"), values=data,
                                                            error=every_error(errors)), replace=True)
            return
        details = repo.RegistrationDetails(**cleaned, wants_updates=flag(data.get("wants_updates")))
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            space = await repo.get_meeting(db, data.get("session_id"))
            if space is None:
                result = None
            else:
                try:
                    result = await repo.register(db, space.id, user_id, details, now)
                except repo.RegistrationRefused:
                    result = None
            if space is not None and result is not None:
                zone = await zone_of(db, user_id, self.config.zone)
                if result.status == RegistrationStatus.REGISTERED:
                    await queue_for_attendee(db, space, user_id, self.config.rules, now)
                waiting = await repo.registrations(db, space.id, (RegistrationStatus.WAITLISTED,))
        if result is None:
            await show(turn_context, await self._form_card(user_id, data.get("session_id"), values=data,
                                                            error=self.text("sessions.errors.not_open")), replace=True)
            return
        position = next((i for i, r in enumerate(waiting, 1) if r.user_id == user_id), 0)
        await show(turn_context, self.confirmation(space, zone, result, position), replace=True)

    def confirmation(self, space, zone: str, result: repo.RegistrationResult, position: int) -> dict[str, Any]:
        registered = result.status == RegistrationStatus.REGISTERED
        key = "registered" if registered else "waitlisted"
        return self.content.card("session_confirmation", {
            **summary(self.content, space, zone),
            "headline": self.text(f"sessions.confirm.{key}_title" if result.new else "sessions.confirm.updated_title"),
            "detail": self.text(f"sessions.confirm.{key}", position=position),
            "link_note": "" if space.joining_url else self.text("sessions.confirm.link_later"),
            "show_link": registered and bool(space.joining_url),
            "agenda": agenda_rows(self.config, space.starts_at, zone),
            "calendar_url": self.calendar_url(space.id),
            "access_note": self.text("sessions.confirm.access_noted") if result.registration.access_needs else "",
        })

    async def mine(self, turn_context: TurnContext) -> None:
        await show(turn_context, await self.mine_card(scope_of(turn_context).actor.user_id), replace=True)

    async def mine_card(self, user_id: str, *, message: str = "") -> dict[str, Any]:
        now = self.services.now()
        async with self.services.db() as db:
            zone = await zone_of(db, user_id, self.config.zone)
            rows = [{**summary(self.content, space, zone),
                     "mine": self.text(f"sessions.mine_status.{reg.status}"),
                     "calendar_url": self.calendar_url(space.id)}
                    for reg, space in await repo.my_registrations(db, user_id, now)]
            subscribed = await repo.is_subscribed(db, user_id)
        return self.content.card("session_mine", {
            "sessions": rows, "none": "" if rows else self.text("sessions.mine_none"), "message": message,
            "subscribed": subscribed, "not_subscribed": not subscribed,
        })

    async def withdraw(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        user_id, now = scope.actor.user_id, self.services.now()
        async with self.services.db() as db, db.begin():
            space = await repo.get_meeting(db, scope.input.data.get("session_id"))
            withdrawn, promoted = await repo.withdraw(db, space.id, user_id, now) if space else (None, [])
            if space is not None and withdrawn is not None:
                await cancel_for_attendee(db, space.id, user_id)
                await self.promoted(db, space, promoted, now)
        key = "sessions.withdrawn" if withdrawn is not None else "sessions.errors.not_registered"
        await show(turn_context, await self.mine_card(user_id, message=self.text(key)), replace=True)

    async def unsubscribe(self, turn_context: TurnContext) -> None:
        user_id = scope_of(turn_context).actor.user_id
        async with self.services.db() as db, db.begin():
            await repo.unsubscribe(db, user_id)
        await show(turn_context, await self.mine_card(user_id, message=self.text("sessions.unsubscribed")),
                   replace=True)

    async def subscribe(self, turn_context: TurnContext) -> None:
        """The way back from "Stop telling me about new sessions"."""
        user_id, now = scope_of(turn_context).actor.user_id, self.services.now()
        async with self.services.db() as db, db.begin():
            series = await default_series(db, self.config, now)
            await repo.subscribe(db, series.id, user_id, now)
        await show(turn_context, await self.mine_card(user_id, message=self.text("sessions.subscribed")),
                   replace=True)

    async def here(self, turn_context: TurnContext) -> None:
        """"I'm here": the attendee records themselves in the register ("who's in the room")."""
        scope = scope_of(turn_context)
        user_id, now = scope.actor.user_id, self.services.now()
        async with self.services.db() as db, db.begin():
            space = await repo.get_meeting(db, scope.input.data.get("session_id"))
            registration = await repo.registration_of(db, space.id, user_id) if space else None
            register = self.register_state(space, now) if space is not None else "closed"
            zone = await zone_of(db, user_id, self.config.zone)
            refusal: str | None = None
            if space is None or registration is None or registration.status not in ACTIVE:
                refusal = self.text("sessions.errors.not_registered")
            elif register == "not_yet":  # say when it opens rather than only "not now"
                refusal = self.text("sessions.here_not_yet", when=self.register_opens_text(space, zone))
            elif register == "closed" or now > space.ends_at:
                refusal = self.text("sessions.errors.not_now")
            else:
                await repo.lock(db, space.id)
                await repo.mark_attended(db, registration, now, user_id)
                if space.status == SessionStatus.HELD:
                    await queue_feedback_request(db, space.id, user_id, self.config.rules, now)
                card = await self.starting_card(db, space, zone, message=self.text("sessions.here_recorded"))
        if refusal is None:
            await show(turn_context, card, replace=True)
            return
        await show(turn_context, self.notice("sessions.titles.not_recorded", refusal))
