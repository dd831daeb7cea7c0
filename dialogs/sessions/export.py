"""The register as CSV, for facilitators only: a signed link that expires, naming the
facilitator it was made for, whose role is checked again when the file is fetched.

UTF-8 with a byte-order mark so Excel shows names such as "Siân" correctly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from dialogs.sessions.common import facilitator_link_meeting
from dialogs.shared.links import InvalidLink
from dialogs.shared.spreadsheet import csv_bytes
from storage.sessions import repository as repo
from storage.sessions.models import ACTIVE, Meeting

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "register_csv"


def register_csv(space: Meeting, rows: list[Any], *, headers: list[str], yes: str, no: str,
                 status_text: Callable[[str], str]) -> bytes:
    zone = ZoneInfo(space.time_zone)
    return csv_bytes([headers, *(
        [r.name, r.organisation, r.role, r.registered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
         status_text(r.status), yes if r.attended_at else no] for r in rows)])


def export_routes(router: Any, *, open_db, links, now: Callable[[], datetime], configured_roles,
                  headers: Callable[[], list[str]], yes: Callable[[], str], no: Callable[[], str],
                  status_text: Callable[[str], str]) -> None:
    """GET /exports/register/{token}.csv"""

    async def register(request: web.Request) -> web.Response:
        try:
            subject = links.verify(EXPORT_PURPOSE, request.match_info["token"], now())
            session_id, user_id = subject.split(":", 1)
        except (InvalidLink, ValueError):
            raise web.HTTPNotFound() from None
        async with open_db() as db:
            space = await facilitator_link_meeting(db, user_id, session_id, configured_roles, "register export")
            rows = await repo.registrations(db, space.id, ACTIVE)
        body = register_csv(space, rows, headers=headers(), yes=yes(), no=no(), status_text=status_text)
        log.info("register exported (%d rows)", len(rows))
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": 'attachment; filename="register.csv"'})

    router.add_get("/exports/register/{token}.csv", register)
