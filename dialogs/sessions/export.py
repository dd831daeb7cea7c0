"""The register as CSV, for facilitators only: a signed link that expires, naming the
facilitator it was made for, whose role is checked again when the file is fetched.

UTF-8 with a byte-order mark so Excel shows names such as "Siân" correctly.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from dialogs.shared.links import InvalidLink
from storage.sessions import repository as repo
from storage.roles import still_facilitator
from storage.sessions.models import ACTIVE, SpaceSession

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "register_csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def register_csv(space: SpaceSession, rows: list[Any], *, headers: list[str], yes: str, no: str,
                 status_text: Callable[[str], str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for r in rows:
        registered = r.registered_at.astimezone(ZoneInfo(space.time_zone)).strftime("%Y-%m-%d %H:%M")
        writer.writerow([safe_cell(r.name), safe_cell(r.organisation), safe_cell(r.role), registered,
                         status_text(r.status), yes if r.attended_at else no])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_routes(router: Any, *, sessions, links, now: Callable[[], datetime], configured_roles,
                  headers: Callable[[], list[str]], yes: Callable[[], str], no: Callable[[], str],
                  status_text: Callable[[str], str]) -> None:
    """GET /exports/register/{token}.csv"""

    async def register(request: web.Request) -> web.Response:
        try:
            subject = links.verify(EXPORT_PURPOSE, request.match_info["token"], now())
            session_id, user_id = subject.split(":", 1)
        except (InvalidLink, ValueError):
            raise web.HTTPNotFound() from None
        async with sessions() as session:
            if not await still_facilitator(session, user_id, configured_roles):
                log.info("register export refused: the link's holder is no longer a facilitator")
                raise web.HTTPForbidden()
            space = await session.get(SpaceSession, session_id)
            if space is None:
                raise web.HTTPNotFound()
            rows = await repo.registrations(session, space.id, ACTIVE)
        body = register_csv(space, rows, headers=headers(), yes=yes(), no=no(), status_text=status_text)
        log.info("register exported (%d rows)", len(rows))
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": 'attachment; filename="register.csv"'})

    router.add_get("/exports/register/{token}.csv", register)
