"""The anonymous feedback page, for attendees Teams cannot reach (other trusts).

The same questions, checks, scrubbing and storage as the card (dialogs/feedback/form.py and
storage/feedback/responses.py): a web answer is a `feedback_responses` row like any other, so
the reports' minimum group size and the retention apply to it unchanged.

One answer per browser or per registration, without storing who answered: every form carries
a signed single-use answer token naming the session and a nonce. From the QR code's session
link the nonce is a keyed hash of the browser's form-protection cookie (so each browser gets
its own, and the post must come with that cookie); from a web registration it is a keyed hash
of the registration id. The "already answered" receipt is the card's keyed hash of that nonce
(LinkSigner.derive_key), deleted when the window closes. No address, cookie or text is logged.

The page opens when the session starts (the QR code is on the closing slide), not at its end
as the card does, and closes with the card's window.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from dialogs.feedback.form import RATING_VALUES, FeedbackConfig, FeedbackForm, local_date
from dialogs.shared.context import BotServices
from dialogs.shared.links import InvalidLink
from dialogs.shared.public_pages import (
    FEEDBACK_ANSWER, FEEDBACK_SESSION, answer_token, feedback_page_open, nonce,
)
from dialogs.shared.web import WebSite
from storage.feedback import responses as store
from storage.sessions.models import Meeting

log = logging.getLogger(__name__)
RATINGS = ("overall", "presentation", "discussion")
TEXTS = ("helpful", "better")
TEMPLATE = "feedback/web/form.html"
NOTICE = "feedback/web/notice.html"
MAX_TOPICS = 50


def web_open(space: Meeting, now: datetime, config: FeedbackConfig) -> bool:
    return feedback_page_open(space, now, config.window)


class FeedbackPages:
    def __init__(self, site: WebSite, services: BotServices, form: FeedbackForm, config: FeedbackConfig) -> None:
        self._site, self._services, self._form, self._config = site, services, form, config

    # --- the three routes ---------------------------------------------------------------------

    async def from_session_link(self, request: web.Request) -> web.Response:
        """GET: the QR code's link. Each browser gets its own answer token, bound to its cookie."""
        session_id = self._verify(FEEDBACK_SESSION, request.match_info["token"])
        space, problem = await self._space(session_id)
        if problem:
            return await self._notice(request, problem)
        assert space is not None
        visitor = self._site.csrf.token(request)
        token = answer_token(self._site.links, space.id, "q", visitor, space.ends_at)
        return await self._page(request, space, token, f"web:{nonce(self._site.links, 'q', visitor)}")

    async def from_personal_link(self, request: web.Request) -> web.Response:
        """GET: a registration's personal link (its confirmation page or email)."""
        token = request.match_info["token"]
        session_id, origin, person = self._answer(token)
        if origin != "r":
            raise web.HTTPNotFound()
        space, problem = await self._space(session_id)
        if problem:
            return await self._notice(request, problem)
        assert space is not None
        return await self._page(request, space, token, person)

    async def submit(self, request: web.Request) -> web.Response:
        """POST: check the token, then the answers; store them once, anonymously."""
        posted = await self._site.form(request)
        token = posted.get("answer", "")
        session_id, origin, person = self._answer(token)
        if origin == "q" and person != f"web:{nonce(self._site.links, 'q', self._site.csrf.token(request))}":
            raise web.HTTPForbidden()  # a QR visit's token works only with the cookie it was made for
        data = self._fields(posted)
        async with self._services.db() as db, db.begin():
            space, problem = await self._space(session_id, db)
            if problem:
                return await self._notice(request, problem)
            assert space is not None
            if await store.has_answered(db, self._form.receipts, person, space.id):
                log.info("web feedback refused: the answer token was used")
                return await self._notice(request, "answered")
            errors, draft = self._form.check(data)
            if errors or draft is None:
                return await self._render_form(request, space, token, data, errors, status=400)
            draft = await self._form.scrubbed(db, draft)
            await store.submit(db, self._form.receipts, person, space.id, draft)
        log.info("web feedback stored")
        return await self._notice(request, "thanks", space)

    # --- helpers ------------------------------------------------------------------------------

    def _verify(self, purpose: str, token: Any) -> str:
        if not isinstance(token, str) or len(token) > 400:
            raise web.HTTPNotFound()
        try:
            return self._site.links.verify(purpose, token, self._services.now())
        except InvalidLink:
            raise web.HTTPNotFound() from None

    def _answer(self, token: Any) -> tuple[str, str, str]:
        """(session id, origin, the receipt's person) of a valid answer token, else 404."""
        session_id, origin, value = (self._verify(FEEDBACK_ANSWER, token).split(":", 2) + ["", ""])[:3]
        if origin not in ("q", "r") or not value:
            raise web.HTTPNotFound()
        return session_id, origin, f"web:{value}"

    async def _space(self, session_id: str, db=None) -> tuple[Meeting | None, str]:
        if db is None:
            async with self._services.db() as own:
                return await self._space(session_id, own)
        space = await db.get(Meeting, session_id)
        if space is None:
            return None, "unknown"
        if not web_open(space, self._services.now(), self._config):
            return space, "not_yet" if self._services.now() < space.starts_at else "closed"
        return space, ""

    @staticmethod
    def _fields(posted: MultiDictProxy[str]) -> dict[str, Any]:
        """The posted answers in the shape the card sends (topics comma-joined)."""
        data: dict[str, Any] = {key: posted.get(key) for key in (*RATINGS, *TEXTS)}
        topics = posted.getall("topics", [])
        data["topics"] = ",".join(topics[:MAX_TOPICS]) if all("," not in t for t in topics) else None
        return data

    async def _page(self, request: web.Request, space: Meeting, token: str, person: str) -> web.Response:
        async with self._services.db() as db:
            if await store.has_answered(db, self._form.receipts, person, space.id):
                return await self._notice(request, "answered")
        return await self._render_form(request, space, token, {}, {})

    async def _render_form(self, request: web.Request, space: Meeting, token: str, values: dict[str, Any],
                           errors: dict[str, str], *, status: int = 200) -> web.Response:
        text = self._services.content.text
        chosen = set(str(values.get("topics") or "").split(","))
        topics = [(c["value"], c["title"], c["value"] in chosen) for c in self._form.topic_choices()]
        return await self._site.render(
            request, TEMPLATE, status=status, has_errors=bool(errors), errors=errors, answer=token,
            action=self._site.path("/feedback/answer"), session_title=space.title,
            when=local_date(space.starts_at, space.time_zone),
            closes=local_date(store.window_closes(space, self._config.window), space.time_zone),
            ratings=[(v, str(text(f"feedback.ratings.{v}"))) for v in RATING_VALUES],  # text-key: feedback.ratings.*
            values={k: v if isinstance(v, str) else "" for k, v in values.items()},
            topics=topics, max_chars=self._config.max_chars)

    async def _notice(self, request: web.Request, kind: str, space: Meeting | None = None) -> web.Response:
        status = {"thanks": 200, "answered": 409, "not_yet": 409, "closed": 410, "unknown": 404}[kind]
        return await self._site.render(request, NOTICE, status=status, kind=kind,
                                       k=self._services.min_group_size - 1)


def install(site: WebSite, services: BotServices, form: FeedbackForm, config: FeedbackConfig) -> None:
    """GET /web/feedback/session/{token} (QR), GET /web/feedback/answer/{token} (registration),
    POST /web/feedback/answer."""
    pages = FeedbackPages(site, services, form, config)
    site.router.add_get("/feedback/session/{token}", pages.from_session_link)
    site.router.add_get("/feedback/answer/{token}", pages.from_personal_link)
    site.router.add_post("/feedback/answer", pages.submit)
