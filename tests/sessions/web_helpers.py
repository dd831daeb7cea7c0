"""Helpers for the web registration tests: the session's public link and form posts."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from dialogs.sessions.web import registration_url
from storage.sessions.models import Meeting
from tests.sessions.test_sessions_register import path_of

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
WEB_FORM = {"name": "Dana Outside", "organisation": "Mersey Care NHS FT", "role": "Peer support worker",
            "reason": "Starting out", "hopes": "", "access_needs": "Captions please"}


def public_path(harness, session_id: str) -> str:
    return path_of(registration_url(harness.components.services.links, session_id))


async def csrf(client, path: str) -> str:
    page = await client.get(path)
    match = TOKEN.search(await page.text())
    assert match is not None, await page.text()
    return match.group(1)


async def post_form(client, path: str, fields: dict[str, Any], *, token_from: str | None = None):
    """Post a form the way a browser does: the page first (cookie and token), then the fields."""
    token = await csrf(client, token_from or path)
    return await client.post(path, data={**fields, "csrf_token": token}, allow_redirects=False)


async def web_register(harness, session_id: str, **changes: Any) -> str:
    """Register on the web page; returns the personal page's path."""
    answer = await post_form(harness.client, public_path(harness, session_id), {**WEB_FORM, **changes})
    assert answer.status == 303, await answer.text()
    return answer.headers["Location"]


async def set_link(harness, session_id: str, url: str) -> None:
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(Meeting).where(Meeting.id == session_id).values(joining_url=url))
