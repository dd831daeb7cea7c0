"""Facilitators' view of one session: numbers by organisation and role, access needs, the register
("who's in the room"), and a signed, expiring link to the register as CSV."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext

from dialogs.shared.context import show
from dialogs.shared.text import cut
from dialogs.sessions.common import SessionsBase, choices, summary, zone_of
from dialogs.sessions.web import registration_url
from storage.sessions import repository as repo
from storage.sessions.models import ACTIVE, FINISHED, RegistrationStatus, SessionStatus
from storage.sessions.events import queue_feedback_request

EXPORT_LINK_LIFETIME = timedelta(minutes=30)
MAX_GROUPS = 15
MAX_NEEDS = 30
NEEDS_SHOWN = 300  # characters of each person's access needs on the card; the CSV has them all
MAX_REGISTER = 80  # people listed on the attendance card; the CSV has everyone
PERSON_SHOWN = 120


def export_subject(session_id: str, user_id: str) -> str:
    return f"{session_id}:{user_id}"


class ViewActions(SessionsBase):
    async def manage(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        await show(turn_context, await self.card(turn_context, scope.input.data.get("session_id")), replace=True)

    async def card(self, turn_context: TurnContext, session_id: Any, *, message: str = "") -> dict[str, Any]:
        actor = self.facilitator(turn_context).actor
        async with self.services.db() as db:
            space = await repo.get_meeting(db, session_id)
            if space is None:
                return self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session"))
            zone = await zone_of(db, actor.user_id, self.config.zone)
            counts = await repo.counts(db, space.id)
            people = await repo.registrations(db, space.id)
        registered = [r for r in people if r.status == RegistrationStatus.REGISTERED]
        live = space.status not in FINISHED
        now = self.services.now()
        links = self.services.links
        token = links.token("register_csv", export_subject(space.id, actor.user_id), now + EXPORT_LINK_LIFETIME)
        register = self.register_state(space, now)
        return self.content.card("session_manage", {
            **summary(self.content, space, zone, counts), "message": message,
            # The register button only where it can work; otherwise when it will.
            "can_mark": register == "open",
            "register_note": self._register_note(space, zone, register),
            "counts": self.text("sessions.view.counts", registered=counts.registered, waitlisted=counts.waitlisted,
                                attended=counts.attended,
                                capacity=space.capacity if space.capacity else self.text("sessions.view.no_limit")),
            "by_organisation": self._groups(r.organisation for r in registered),
            "by_role": self._groups(r.role for r in registered),
            "access_needs": [{"name": r.name, "needs": cut(r.access_needs, NEEDS_SHOWN)}
                             for r in people if r.access_needs][:MAX_NEEDS],
            "no_needs": "" if any(r.access_needs for r in people) else self.text("sessions.view.no_access_needs"),
            "live": live, "can_open": live and space.status != SessionStatus.REGISTRATION_OPEN,
            "can_close": live and space.status == SessionStatus.REGISTRATION_OPEN,
            "export_url": links.url("/exports/register/{token}.csv", token),
            "export_note": self.text("sessions.view.export_note", minutes=int(EXPORT_LINK_LIFETIME.total_seconds() // 60)),
            "web_url": registration_url(links, space.id) if live else "",
            "web_note": self.text("sessions.web.manage_note") if live else "",
        })

    def _register_note(self, space, zone: str, register: str) -> str:
        if register == "not_yet":
            return self.text("sessions.view.register_opens", when=self.register_opens_text(space, zone),
                             minutes=int(self.config.attendance_opens.total_seconds() // 60))
        return self.text("sessions.view.register_cancelled") if register == "closed" else ""

    def _groups(self, values) -> list[dict[str, str]]:
        counted = Counter(cut(v.strip(), 100) for v in values if v and v.strip())
        rows = [{"name": name, "count": str(n)} for name, n in counted.most_common(MAX_GROUPS)]
        return rows or [{"name": self.text("sessions.view.nobody_yet"), "count": "0"}]

    async def attendance(self, turn_context: TurnContext) -> None:
        scope = self.facilitator(turn_context)
        await show(turn_context, await self._attendance_card(scope.input.data.get("session_id"),
                                                             user_id=scope.actor.user_id), replace=True)

    async def _attendance_card(self, session_id: Any, *, user_id: str, message: str = "",
                               error: str = "") -> dict[str, Any]:
        async with self.services.db() as db:
            space = await repo.get_meeting(db, session_id)
            people = await repo.registrations(db, space.id) if space else []
            zone = await zone_of(db, user_id, self.config.zone)
        if space is None:
            return self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session"))
        shown = people[:MAX_REGISTER]
        register = self.register_state(space, self.services.now())
        return self.content.card("session_attendance", {
            "session_id": space.id, "title": space.title, "message": message, "error": error,
            "can_mark": register == "open", "register_note": self._register_note(space, zone, register),
            "people": [{"title": cut(self.text("sessions.view.person", name=r.name, organisation=r.organisation,
                                                status=self.text(f"sessions.mine_status.{r.status}")), PERSON_SHOWN),
                        "value": r.id}
                       for r in shown],
            "attended": ",".join(r.id for r in shown if r.attended_at is not None),
            "none": "" if people else self.text("sessions.view.nobody_yet"),
            "more": self.text("sessions.view.more", count=len(people) - len(shown)) if len(people) > len(shown) else "",
        })

    async def attendance_save(self, turn_context: TurnContext) -> None:
        """Facilitators tick who is in the room; unticking removes a mistaken mark."""
        scope = self.facilitator(turn_context)
        data, now = scope.input.data, self.services.now()
        wanted = choices(data, "attended")
        async with self.services.db() as db, db.begin():
            space = await repo.lock(db, data.get("session_id")) if isinstance(data.get("session_id"), str) else None
            people = {r.id: r for r in await repo.registrations(db, space.id)} if space else {}
            if space is None:
                error = "sessions.errors.unknown_session"
            elif not wanted <= set(people):
                error = "sessions.errors.unknown_person"
            elif self.register_state(space, now) != "open":
                error = "sessions.errors.not_now"
            else:
                error = None
                for rid, registration in people.items():
                    if rid in wanted and await repo.mark_attended(db, registration, now, scope.actor.user_id):
                        if space.status == SessionStatus.HELD and registration.user_id is not None:
                            await queue_feedback_request(db, space.id, registration.user_id,
                                                         self.config.rules, now)
                    elif rid not in wanted and registration.attended_at is not None and registration.status in ACTIVE:
                        registration.attended_at, registration.attendance_marked_by = None, None
        if error:
            await show(turn_context, await self._attendance_card(data.get("session_id"), user_id=scope.actor.user_id,
                                                                 error=self.text(error)), replace=True)
            return
        assert space is not None  # no error means the session was found
        await show(turn_context, await self._attendance_card(space.id, user_id=scope.actor.user_id,
                                                             message=self.text("sessions.view.saved")), replace=True)
