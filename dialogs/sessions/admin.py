"""Facilitators: create, edit, reschedule, cancel; open and close registration; announce.

Every action checks the role first; every form is validated before anything changes, and bad
input returns the same form with a message.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import select

from dialogs.shared.context import show
from dialogs.shared.inputs import every_error
from dialogs.sessions.common import (
    SessionsBase, choices, default_series, flag, https_url, local_instant, summary, text_field, zone_of,
)
from storage.sessions.recurrence import NonexistentLocalTime, in_zone, propose_next
from storage import outbox
from storage.sessions import repository as repo
from storage.models import Conversation
from storage.sessions.models import FINISHED, Meeting, SessionStatus
from storage.sessions.events import ANNOUNCEMENT, cancel_for_session, requeue_session, stamp

MAX_CAPACITY = 10_000
MAX_LENGTH = timedelta(hours=8)
MAX_CHANNELS = 50
TEXT_FIELDS = (("title", 200, True), ("topic", 500, False), ("presenters", 500, False))  # (field, limit, required)


def places(raw: Any) -> tuple[int | None, bool]:
    """(places, True) for a valid Places box; empty or 0 means no limit, as the label says.

    Teams sends an Input.Number as text, some clients as a number; either is accepted.
    """
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            return None, True
        return (int(raw) or None, True) if raw.isdigit() and int(raw) <= MAX_CAPACITY else (None, False)
    if raw is None:
        return None, True
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer() \
            and 0 <= raw <= MAX_CAPACITY:
        return int(raw) or None, True
    return None, False


class AdminActions(SessionsBase):
    def __init__(self, services, config, manage) -> None:
        super().__init__(services, config)
        self._manage = manage  # the facilitator's session view, shown after each change

    async def new(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        await show(turn_context, await self._form(scope.actor.user_id, None), replace=True)

    async def edit(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        await show(turn_context, await self._form(scope.actor.user_id, scope.input.data.get("session_id")),
                   replace=True)

    async def _form(self, user_id: str, session_id: Any, *, values: dict[str, Any] | None = None,
                    error: str = "") -> dict[str, Any]:
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            zone = await zone_of(db, user_id, self.config.zone)
            space = await repo.get_meeting(db, session_id) if session_id else None
            if values is None:
                if space is not None:
                    start, end = space.starts_at, space.ends_at
                else:  # propose the next quarterly date after the latest session
                    series = await default_series(db, self.config, now)
                    latest = await repo.latest_session(db, series.id)
                    start, end = (propose_next(latest.starts_at, latest.ends_at, latest.time_zone) if latest
                                  else (now + timedelta(weeks=13), now + timedelta(weeks=13, hours=2)))
                s, e = in_zone(start, zone), in_zone(end, zone)
                values = {"title": space.title if space else self.config.default_title,
                          "topic": space.topic if space else "", "presenters": space.presenters if space else "",
                          "date": s.date().isoformat(), "start": s.strftime("%H:%M"), "end": e.strftime("%H:%M"),
                          "joining_url": space.joining_url if space else "",
                          "capacity": space.capacity if space else None,
                          "recorded": "true" if space and space.recorded else "false"}
        fields = ("title", "topic", "presenters", "date", "start", "end", "joining_url")
        shown, ok = places(values.get("capacity"))
        return self.content.card("session_edit", {
            **{k: values.get(k) if isinstance(values.get(k), str) else "" for k in fields},
            # An empty Number box, not "0": Teams shows an empty value as 0, which its own
            # check then refused without a word, so Save did nothing.
            "places": shown if ok and shown else 0, "limited": bool(ok and shown), "unlimited": not (ok and shown),
            "recorded": "true" if flag(values.get("recorded")) else "false",
            "session_id": space.id if space else "", "editing": space is not None, "error": error,
            "heading": self.text("sessions.admin.edit_title" if space else "sessions.admin.new_title"),
            "zone_note": self.text("sessions.admin.zone_note", zone=zone),
        })

    def _check(self, data: dict[str, Any], zone: str, now: datetime) -> tuple[dict[str, Any], str | None]:
        """The form's values, or one message naming every field to correct."""
        out: dict[str, Any] = {}
        errors: list[str] = []
        for key, limit, required in TEXT_FIELDS:
            out[key], error = text_field(data, key, limit, required=required)
            if error:
                errors.append(self.error_text(error, key))
        try:
            out["starts_at"] = local_instant(data.get("date"), data.get("start"), zone)
            out["ends_at"] = local_instant(data.get("date"), data.get("end"), zone)
        except NonexistentLocalTime:
            errors.append(self.text("sessions.errors.clock_change"))
        except ValueError:
            errors.append(self.text("sessions.errors.date_time"))
        else:
            if out["starts_at"] <= now:
                errors.append(self.text("sessions.errors.in_past"))
            if not timedelta(0) < out["ends_at"] - out["starts_at"] <= MAX_LENGTH:
                errors.append(self.text("sessions.errors.end_time"))
        out["joining_url"], error = https_url(data.get("joining_url"))
        if error:
            errors.append(self.error_text(error, "joining_url"))
        out["capacity"], ok = places(data.get("capacity"))
        if not ok:
            errors.append(self.text("sessions.errors.capacity"))
        out["recorded"] = flag(data.get("recorded"))
        return out, every_error(errors) or None

    async def save(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        data, user_id, now = scope.input.data, scope.actor.user_id, self.services.now()
        session_id = data.get("session_id") or None
        async with self.services.db() as db, db.begin():
            zone = await zone_of(db, user_id, self.config.zone)
            values, error = self._check(data, zone, now)
            space = None
            if not error and session_id is not None:
                space = await repo.lock(db, session_id) if isinstance(session_id, str) else None
                if space is None or space.status in FINISHED:
                    error = self.text("sessions.errors.not_editable")
            if not error:
                space = await self._apply(db, space, values, user_id, now)
        if error:
            await show(turn_context, await self._form(user_id, session_id, values=data, error=error), replace=True)
            return
        assert space is not None  # no error means the session was found or made
        await show(turn_context, await self._manage.card(turn_context, space.id,
                                                         message=self.text("sessions.admin.saved")), replace=True)

    async def _apply(self, db, space: Meeting | None, values: dict[str, Any], user_id: str,
                     now: datetime) -> Meeting:
        if space is None:
            series = await default_series(db, self.config, now)
            space = Meeting(series_id=series.id, time_zone=series.time_zone,
                            status=SessionStatus.SCHEDULED, created_by=user_id, **values)
            db.add(space)
            await db.flush()
            return space
        moved = (space.starts_at, space.ends_at) != (values["starts_at"], values["ends_at"])
        for key, value in values.items():
            setattr(space, key, value)
        await db.flush()
        if moved:
            await requeue_session(db, space, self.config.rules, now)
            people = [r.user_id for r in await repo.registrations(db, space.id)]
            await self.tell(db, space, people, f"moved:{stamp(space)}", "sessions.notices.moved_title",
                            "sessions.notices.moved", now)
        await self.promoted(db, space, await repo.fill_places(db, space), now)
        return space

    async def _lock_unfinished(self, db, scope) -> Meeting | None:
        """The card's session, locked for a change, unless it is unknown, cancelled or held."""
        space = await repo.lock(db, scope.input.data.get("session_id") or "")
        return space if space is not None and space.status not in FINISHED else None

    async def _back_to_manage(self, turn_context: TurnContext, scope, key: str) -> None:
        await show(turn_context, await self._manage.card(turn_context, scope.input.data.get("session_id"),
                                                         message=self.text(key)), replace=True)

    async def set_registration(self, turn_context: TurnContext, *, open_: bool) -> None:
        scope = self.facilitator(turn_context)
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            space = await self._lock_unfinished(db, scope)
            allowed = False
            if space is not None and space.starts_at > now:
                space.status = SessionStatus.REGISTRATION_OPEN if open_ else SessionStatus.REGISTRATION_CLOSED
                allowed = True
        key = ("sessions.admin.opened" if open_ else "sessions.admin.closed") if allowed else "sessions.errors.not_editable"
        await self._back_to_manage(turn_context, scope, key)

    async def open(self, turn_context: TurnContext) -> None:
        await self.set_registration(turn_context, open_=True)

    async def close(self, turn_context: TurnContext) -> None:
        await self.set_registration(turn_context, open_=False)

    async def cancel(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        async with self.services.db() as db:
            space = await repo.get_meeting(db, scope.input.data.get("session_id"))
            zone = await zone_of(db, scope.actor.user_id, self.config.zone)
        if space is None:
            await show(turn_context, self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session")),
                       replace=True)
            return
        await show(turn_context, self.content.card("session_cancel", summary(self.content, space, zone)), replace=True)

    async def cancel_confirm(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            space = await self._lock_unfinished(db, scope)
            done = False
            if space is not None and space.ends_at > now:
                done = True
                space.status = SessionStatus.CANCELLED
                await cancel_for_session(db, space.id)
                await outbox.cancel_where_key_starts(db, f"session_announce:{space.id}:")
                people = [r.user_id for r in await repo.registrations(db, space.id)]
                await self.tell(db, space, people, "cancelled", "sessions.notices.cancelled_title",
                                "sessions.notices.cancelled", now)
        key = "sessions.admin.cancelled" if done else "sessions.errors.not_editable"
        await self._back_to_manage(turn_context, scope, key)

    async def announce(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        await show(turn_context, await self._announce_card(scope, scope.input.data.get("session_id")), replace=True)

    async def _channels(self, db) -> list[Conversation]:
        return list(await db.scalars(select(Conversation).where(
            Conversation.conversation_type == "channel", Conversation.active.is_(True))
            .order_by(Conversation.name).limit(MAX_CHANNELS)))

    async def _announce_card(self, scope, session_id: Any, *, error: str = "") -> dict[str, Any]:
        async with self.services.db() as db:
            space = await repo.get_meeting(db, session_id)
            zone = await zone_of(db, scope.actor.user_id, self.config.zone)
            channels = await self._channels(db)
            count = len(await repo.subscribers(db, space.series_id)) if space else 0
        if space is None:
            return self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session"))
        return self.content.card("session_announce", {
            **summary(self.content, space, zone), "error": error,
            "channels": [{"title": self._channel_title(c), "value": c.id} for c in channels],
            "no_channels": "" if channels else self.text("sessions.admin.no_channels"),
            "channels_help": self.text("sessions.admin.channels_help"),
            "all_channels": ",".join(c.id for c in channels),
            "subscribers": self.text("sessions.admin.subscriber_count", count=count),
        })

    def _channel_title(self, channel: Conversation) -> str:
        """The channel's name as Teams gave it ("Team › Channel"); a team's General channel has the
        team's id and, from Teams, only the team's name."""
        if channel.team_id and channel.team_id == channel.id:
            return self.text("sessions.admin.general_channel",
                             team=channel.name or self.text("sessions.admin.unnamed_team"))
        return channel.name or self.text("sessions.admin.unnamed_channel")

    async def announce_send(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        data, now = scope.input.data, self.services.now()
        wanted = choices(data, "channels")
        async with self.services.db() as db, db.begin():
            space = await repo.get_meeting(db, data.get("session_id"))
            known = {c.id for c in await self._channels(db)}
            error = None
            if space is None or space.status in FINISHED or space.starts_at <= now:
                error = "sessions.errors.not_editable"
            elif not wanted <= known:
                error = "sessions.errors.channel"
            elif not wanted and not flag(data.get("subscribers")):
                error = "sessions.errors.no_audience"
            else:
                sent = 0
                key = f"session_announce:{space.id}:{stamp(space)}"
                common: dict[str, Any] = dict(kind=ANNOUNCEMENT, due_at=now, not_after=space.starts_at,
                                              payload={"session_id": space.id, "starts_at": stamp(space)})
                for conversation_id in sorted(wanted):  # channel ids can be long: key on a digest
                    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:32]
                    sent += await outbox.enqueue(db, conversation_id=conversation_id, **common,
                                                 idempotency_key=f"{key}:c:{digest}")
                people = await repo.subscribers(db, space.series_id) if flag(data.get("subscribers")) else []
                for user_id in people:
                    sent += await outbox.enqueue(db, user_id=user_id, **common, idempotency_key=f"{key}:u:{user_id}")
                if not sent:  # nothing went out: say why, on the form, rather than report success
                    error = "sessions.admin.sent_none_already" if wanted or people else "sessions.admin.sent_none_nobody"
        if error:
            await show(turn_context, await self._announce_card(scope, data.get("session_id"), error=self.text(error)),
                       replace=True)
            return
        assert space is not None  # no error means the session was found
        await show(turn_context, await self._manage.card(turn_context, space.id, message=self.text(
            "sessions.admin.announced", count=sent)), replace=True)
