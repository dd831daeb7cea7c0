"""Registration on the web, for people the bot cannot message (other trusts, no Teams).

Each session has a public registration page at an unguessable link (a signed token naming the
session, with no personal data) that facilitators find on the session's manage card. A web
registrant is a registration row with no user id and an opaque random `web_key`; the place or
waitlist spot comes from the same rows, under the same lock, as Teams registrations. The
personal page, at a signed link to that key which expires when the session's feedback window
closes (a day after the session at least), shows the place, the agenda, the joining link (to
those with a place, as in Teams), an .ics file with alarms a day and an hour before, and the
feedback link while feedback is taken, and lets the person change their details or cancel. The
confirmation email carries the personal link and, with a place, the feedback link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from dialogs.sessions.browse import FIELDS
from dialogs.sessions.calendar import build_calendar
from dialogs.sessions.common import SessionsBase, agenda_rows, summary, text_field
from dialogs.shared.links import InvalidLink, LinkSigner
from dialogs.shared.mail import RegistrationMail, valid_address
from dialogs.shared.public_pages import feedback_answer_url, feedback_page_open, feedback_window
from dialogs.shared.web import PREFIX, WebSite
from storage.sessions import repository as repo
from storage.sessions.models import ACTIVE, Meeting, Registration, RegistrationStatus, SessionStatus

log = logging.getLogger(__name__)
REGISTER, PERSONAL = "web_register", "web_registration"
PERSONAL_LINK_AFTER_END = timedelta(days=1)  # or until the feedback window closes, if later
ALARMS = (timedelta(days=1), timedelta(hours=1))
TEMPLATES = "sessions/web/"
EMAIL, EMAIL_LIMIT = "email", 254  # RFC 5321's longest forward path


def registration_url(links: LinkSigner, session_id: str) -> str:
    """The public registration page of a session (for the facilitators' manage card)."""
    return f"{links.base_url}{PREFIX}/sessions/register/{links.token(REGISTER, session_id)}"


class WebRegistration(SessionsBase):
    def __init__(self, services, config, site: WebSite, describe: Callable[[Meeting], str]) -> None:
        super().__init__(services, config)
        self.site = site
        self.describe = describe

    def add_routes(self) -> None:
        router = self.site.router
        router.add_get("/sessions/register/{token}", self.form)
        router.add_post("/sessions/register/{token}", self.submit)
        router.add_get("/sessions/me/{token}", self.mine)
        router.add_get("/sessions/me/{token}/change", self.change_form)
        router.add_post("/sessions/me/{token}/change", self.change)
        router.add_get("/sessions/me/{token}/cancel", self.cancel_form)
        router.add_post("/sessions/me/{token}/cancel", self.cancel)
        router.add_get("/sessions/me/{token}/session.ics", self.calendar)

    # --- links --------------------------------------------------------------------------------

    def _subject(self, request: web.Request, purpose: str) -> str:
        try:
            return self.services.links.verify(purpose, request.match_info["token"], self.services.now())
        except InvalidLink as exc:
            # An expired personal link gets its own page; forged and mistyped ones look alike.
            raise (web.HTTPGone() if str(exc) == "expired" else web.HTTPNotFound()) from None

    def _personal_path(self, registration: Registration, space: Meeting, tail: str = "") -> str:
        # It carries the feedback link after the session, so it lasts as long as feedback is taken.
        lasts = max(PERSONAL_LINK_AFTER_END, feedback_window(self.content))
        token = self.services.links.token(PERSONAL, registration.web_key or "", space.ends_at + lasts)
        return self.site.path(f"/sessions/me/{token}{tail}")

    async def _load(self, request: web.Request) -> tuple[Registration, Meeting]:
        """The registration behind a personal link, and its session (404 when gone)."""
        key = self._subject(request, PERSONAL)
        async with self.services.db() as db:
            registration = await repo.web_registration(db, key)
            space = await repo.get_meeting(db, registration.session_id) if registration else None
        if registration is None or space is None:
            raise web.HTTPNotFound()
        return registration, space

    # --- pages ----------------------------------------------------------------------------------

    def _session(self, space: Meeting, counts: repo.Counts | None = None) -> dict[str, Any]:
        return summary(self.content, space, space.time_zone, counts)

    def _open(self, space: Meeting) -> bool:
        return space.status == SessionStatus.REGISTRATION_OPEN and space.starts_at > self.services.now()

    async def _form_page(self, request: web.Request, space: Meeting, *, values: dict[str, str],
                         errors: dict[str, str], changing: bool, action: str) -> web.Response:
        async with self.services.db() as db:
            counts = await repo.counts(db, space.id)
        key = "sessions.web.change_title" if changing else "sessions.web.register_title"
        return await self.site.render(
            request, TEMPLATES + "register.html", status=400 if errors else 200,
            heading=self.text(key, title=space.title), session=self._session(space, counts),
            values={k: values.get(k, "") for k in (*self._keys(), EMAIL)}, errors=errors,
            has_errors=bool(errors), changing=changing, action=action,
            ask_email=self.services.mail.enabled and not changing,
            submit=self.text("sessions.web.change_submit" if changing else "sessions.web.submit"))

    async def _closed(self, request: web.Request, space: Meeting, back_url: str = "") -> web.Response:
        return await self.site.render(request, TEMPLATES + "closed.html", status=409,
                                      session=self._session(space), back_url=back_url)

    @staticmethod
    def _keys() -> tuple[str, ...]:
        return tuple(k for k, *_ in FIELDS)

    def _email(self, form: Any) -> tuple[str, str | None]:
        """The optional confirmation address, only when email is configured (else not asked).

        It lives in memory for this request only: never stored, logged or echoed anywhere but
        the form it was typed into.
        """
        if not self.services.mail.enabled:
            return "", None
        value = form.get(EMAIL, "")
        value = value.strip() if isinstance(value, str) else ""
        if value and (len(value) > EMAIL_LIMIT or not valid_address(value)):
            return value[:EMAIL_LIMIT], self.text("sessions.web.email_error")
        return value, None

    def _validate(self, form: Any) -> tuple[dict[str, str], dict[str, str]]:
        """The cleaned fields and, by field, the error shown next to each (the card's checks)."""
        data = {k: form.get(k) for k, *_ in FIELDS}
        cleaned: dict[str, str] = {}
        errors: dict[str, str] = {}
        for key, limit, required in FIELDS:
            cleaned[key], error = text_field(data, key, limit, required=required)
            if error:
                errors[key] = self.error_text(error, key)
        return cleaned, errors

    async def form(self, request: web.Request) -> web.Response:
        async with self.services.db() as db:
            space = await repo.get_meeting(db, self._subject(request, REGISTER))
        if space is None:
            raise web.HTTPNotFound()
        if not self._open(space):
            return await self._closed(request, space)
        return await self._form_page(request, space, values={}, errors={}, changing=False,
                                     action=request.path)

    async def submit(self, request: web.Request) -> web.StreamResponse:
        session_id = self._subject(request, REGISTER)
        form = await self.site.form(request)
        async with self.services.db() as db:
            space = await repo.get_meeting(db, session_id)
        if space is None:
            raise web.HTTPNotFound()
        cleaned, errors = self._validate(form)
        email, email_error = self._email(form)
        if email_error:
            errors[EMAIL] = email_error
        if errors:
            values = {k: str(form.get(k, "")) for k in self._keys()}
            return await self._form_page(request, space, values={**values, EMAIL: email}, errors=errors,
                                         changing=False, action=request.path)
        details = repo.RegistrationDetails(**cleaned, wants_updates=False)
        try:
            async with self.services.db() as db, db.begin():
                result = await repo.register_on_web(db, space.id, details, self.services.now())
        except repo.RegistrationRefused:
            return await self._closed(request, space)
        log.info("web registration: %s", result.status.value)
        personal = self._personal_path(result.registration, space)
        if email:  # queued in memory; the page never waits for the SMTP server
            waitlisted = result.status == RegistrationStatus.WAITLISTED
            self.services.mail.send_registration(RegistrationMail(
                to=email, name=details.name, title=space.title, when=self._session(space)["when"],
                waitlisted=waitlisted, manage_url=self.services.links.base_url + personal,
                ics=self._ics(result.registration, space),
                # The waitlisted see theirs on the personal page once they have a place.
                feedback_url="" if waitlisted else feedback_answer_url(
                    self.services.links, space.id, result.registration.id, space.ends_at)))
        raise web.HTTPSeeOther(personal)

    async def mine(self, request: web.Request) -> web.Response:
        registration, space = await self._load(request)
        async with self.services.db() as db:
            waiting = await repo.registrations(db, space.id, (RegistrationStatus.WAITLISTED,))
            counts = await repo.counts(db, space.id)
        status = registration.status
        active = status in ACTIVE and space.status != SessionStatus.CANCELLED
        registered = active and status == RegistrationStatus.REGISTERED
        position = next((i for i, r in enumerate(waiting, 1) if r.id == registration.id), 0)
        # The link lives on for the feedback link; what they typed is shown only as long as the
        # link used to live, so a forwarded link shows less as time goes on.
        shows_details = self.services.now() < space.ends_at + PERSONAL_LINK_AFTER_END
        if space.status == SessionStatus.CANCELLED:
            headline, detail = space.title, self.text("sessions.web.session_cancelled")
        elif status == RegistrationStatus.WITHDRAWN:
            headline, detail = self.text("sessions.web.cancelled_title"), self.text("sessions.web.cancelled")
        elif registered:
            headline, detail = self.text("sessions.web.registered_title"), self.text("sessions.web.registered")
        else:
            headline = self.text("sessions.web.waitlisted_title")
            detail = self.text("sessions.web.waitlisted", position=position)
        return await self.site.render(
            request, TEMPLATES + "registration.html", headline=headline, detail=detail,
            saved=request.query.get("saved") == "1", session=self._session(space, counts), active=active,
            registered=registered, join_url=space.joining_url if registered else "",
            calendar_url=self._personal_path(registration, space, "/session.ics"),
            change_url=self._personal_path(registration, space, "/change"),
            cancel_url=self._personal_path(registration, space, "/cancel"),
            can_change=self._open(space), access_note=shows_details and bool(registration.access_needs),
            feedback_url=self._feedback_path(registration, space),
            agenda=agenda_rows(self.config, space.starts_at, space.time_zone),
            told=[(self.text(f"sessions.fields.{k}"), getattr(registration, k))
                  for k, *_ in FIELDS if shows_details and getattr(registration, k)])

    async def change_form(self, request: web.Request) -> web.Response:
        registration, space = await self._load(request)
        if registration.status not in ACTIVE or not self._open(space):
            return await self._closed(request, space, self._personal_path(registration, space))
        return await self._form_page(request, space, values={k: getattr(registration, k) for k, *_ in FIELDS},
                                     errors={}, changing=True, action=request.path)

    async def change(self, request: web.Request) -> web.StreamResponse:
        registration, space = await self._load(request)
        form = await self.site.form(request)
        cleaned, errors = self._validate(form)
        if errors:
            return await self._form_page(request, space, values={k: str(form.get(k, "")) for k, *_ in FIELDS},
                                         errors=errors, changing=True, action=request.path)
        details = repo.RegistrationDetails(**cleaned, wants_updates=False)
        back = self._personal_path(registration, space)
        if registration.status not in ACTIVE:
            return await self._closed(request, space, back)
        try:
            async with self.services.db() as db, db.begin():
                await repo.register_on_web(db, space.id, details, self.services.now(), web_key=registration.web_key)
        except repo.RegistrationRefused:
            return await self._closed(request, space, back)
        raise web.HTTPSeeOther(back + "?saved=1")

    async def cancel_form(self, request: web.Request) -> web.StreamResponse:
        registration, space = await self._load(request)
        back = self._personal_path(registration, space)
        if registration.status not in ACTIVE:
            raise web.HTTPSeeOther(back)
        return await self.site.render(request, TEMPLATES + "cancel.html", session=self._session(space),
                                      heading=self.text("sessions.web.cancel_title", title=space.title),
                                      action=request.path, back_url=back)

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        registration, space = await self._load(request)
        await self.site.form(request)
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            withdrawn, promoted = await repo.withdraw_on_web(db, registration.web_key or "", now)
            if withdrawn is not None:
                locked = await repo.get_meeting(db, space.id)
                assert locked is not None  # withdraw has just locked it, in this transaction
                await self.promoted(db, locked, promoted, now)  # as in Teams: told, reminders queued
        if withdrawn is not None:
            log.info("web registration cancelled (%d promoted)", len(promoted))
        raise web.HTTPSeeOther(self._personal_path(registration, space))

    def _feedback_path(self, registration: Registration, space: Meeting) -> str:
        """The registration's own feedback link, while the web feedback page takes answers."""
        # Only to those who had a place: the waitlisted and the cancelled did not attend.
        if registration.status != RegistrationStatus.REGISTERED or not feedback_page_open(
                space, self.services.now(), feedback_window(self.content)):
            return ""
        url = feedback_answer_url(self.services.links, space.id, registration.id, space.ends_at)
        return urlsplit(url).path

    def _ics(self, registration: Registration, space: Meeting) -> bytes:
        return build_calendar(
            [space], name=self.config.series_name, now=self.services.now(), describe=self.describe,
            with_links=registration.status == RegistrationStatus.REGISTERED, alarms=ALARMS,
            alarm_text=self.text("sessions.web.alarm", title=space.title))

    async def calendar(self, request: web.Request) -> web.Response:
        registration, space = await self._load(request)
        if registration.status not in ACTIVE:
            raise web.HTTPNotFound()
        return web.Response(body=self._ics(registration, space), content_type="text/calendar",
                            charset="utf-8", headers={"Content-Disposition": 'attachment; filename="session.ics"'})
