"""QR codes for a session's closing slide: one for the feedback page, one for registration.

Drawn with `segno` as PNG and SVG. Made for a projector and a phone at the back of the room:
error correction level Q (a quarter of the code can be lost to glare or a pointer and it still
reads), 12-pixel modules and the standard four-module quiet zone. Facilitators get them from
the session's manage card through signed links that expire and name the facilitator, whose role
is checked again when the image is fetched (a link outlives the card it came from).
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import segno
from aiohttp import web
from botbuilder.core import TurnContext

from dialogs.shared.context import show
from dialogs.shared.links import InvalidLink, LinkSigner
from dialogs.shared.public_pages import feedback_page_url
from dialogs.sessions.common import SessionsBase, facilitator_link_meeting
from dialogs.sessions.web import registration_url
from storage.sessions import repository as repo
from storage.sessions.models import Meeting

log = logging.getLogger(__name__)
QR_PURPOSE = "session_qr"
QR_LINK_LIFETIME = timedelta(hours=24)
ERROR_LEVEL = "q"
MODULE_PIXELS = 12
QUIET_ZONE = 4  # modules: the minimum ISO/IEC 18004 asks for
PAGES = ("feedback", "register")
KINDS = {"png": "image/png", "svg": "image/svg+xml"}


def page_url(links: LinkSigner, space: Meeting, page: str) -> str:
    """What the QR code for `page` ("feedback" or "register") of the session encodes."""
    if page == "feedback":
        return feedback_page_url(links, space.id, space.ends_at)
    return registration_url(links, space.id)


def qr_image(payload: str, kind: str, title: str = "") -> bytes:
    """The QR code of `payload` as PNG or SVG bytes."""
    code = segno.make(payload, error=ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=MODULE_PIXELS, border=QUIET_ZONE, title=title or None,
                  xmldecl=True, svgns=True, nl=True)
    else:
        code.save(out, kind="png", scale=MODULE_PIXELS, border=QUIET_ZONE)
    return out.getvalue()


def qr_subject(session_id: str, user_id: str, page: str) -> str:
    return f"{session_id}:{user_id}:{page}"


class QrActions(SessionsBase):
    async def show_codes(self, turn_context: TurnContext) -> None:
        """The QR card: both codes with their download links, for facilitators only."""
        scope = self.facilitator(turn_context)
        async with self.services.db() as db:
            space = await repo.get_meeting(db, scope.input.data.get("session_id"))
        if space is None:
            await show(turn_context, self.notice("sessions.titles.unknown", self.text("sessions.errors.unknown_session")),
                       replace=True)
            return
        links, now = self.services.links, self.services.now()

        def image(page: str, kind: str) -> str:
            token = links.token(QR_PURPOSE, qr_subject(space.id, scope.actor.user_id, page), now + QR_LINK_LIFETIME)
            return links.url("/qr/{token}." + kind, token)

        await show(turn_context, self.content.card("session_qr", {
            "session_id": space.id, "title": space.title,
            "intro": self.text("sessions.qr.intro", hours=int(QR_LINK_LIFETIME.total_seconds() // 3600)),
            "feedback_png": image("feedback", "png"), "feedback_svg": image("feedback", "svg"),
            "register_png": image("register", "png"), "register_svg": image("register", "svg"),
            "feedback_page": page_url(links, space, "feedback"),
            "feedback_alt": self.text("sessions.qr.feedback_alt", title=space.title),
            "register_alt": self.text("sessions.qr.register_alt", title=space.title),
        }), replace=True)


def qr_routes(router: Any, *, open_db, links: LinkSigner, now: Callable[[], datetime], configured_roles,
              title: Callable[[Meeting, str], str]) -> None:
    """GET /qr/{token}.png and /qr/{token}.svg"""

    async def code(request: web.Request, kind: str) -> web.Response:
        try:
            subject = links.verify(QR_PURPOSE, request.match_info["token"], now())
            session_id, user_id, page = subject.split(":", 2)
        except (InvalidLink, ValueError):
            raise web.HTTPNotFound() from None
        if page not in PAGES:
            raise web.HTTPNotFound()
        async with open_db() as db:
            space = await facilitator_link_meeting(db, user_id, session_id, configured_roles, "QR code")
        body = qr_image(page_url(links, space, page), kind, title(space, page))
        return web.Response(body=body, content_type=KINDS[kind], headers={
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{page}-qr.{kind}"'})

    for kind in KINDS:
        router.add_get(f"/qr/{{token}}.{kind}", functools.partial(code, kind=kind))
