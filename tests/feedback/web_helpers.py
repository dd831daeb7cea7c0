"""Driving the anonymous feedback page like a browser: open the QR link, read the form, post it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from dialogs.shared.public_pages import feedback_page_url
from storage.sessions.models import Meeting

ANSWERS = {"overall": "4", "presentation": "5", "discussion": "3", "helpful": "The small groups",
           "better": "More time", "topics": ["supervision"]}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} field"
    return found.group(1)


async def open_session(harness, clock, session_id: str, *, after_start: timedelta = timedelta(hours=1)) -> Meeting:
    """Move the clock into the session and return it."""
    async with harness.components.services.db() as db:
        space = await db.get(Meeting, session_id)
    assert space is not None
    clock.set(space.starts_at + after_start)
    return space


def qr_path(harness, space: Meeting) -> str:
    return urlsplit(feedback_page_url(harness.components.services.links, space.id, space.ends_at)).path


async def get_form(client, path: str) -> tuple[int, str]:
    resp = await client.get(path)
    return resp.status, await resp.text()


async def post_answers(client, html: str, answers: dict[str, Any] | None = None, **extra: Any):
    """Post the form in `html` with `answers` (lists are repeated fields, like checkboxes)."""
    fields: list[tuple[str, str]] = [("csrf_token", hidden(html, "csrf_token")), ("answer", hidden(html, "answer"))]
    for key, value in {**(ANSWERS if answers is None else answers), **extra}.items():
        for one in value if isinstance(value, list) else [value]:
            fields.append((key, one))
    resp = await client.post("/web/feedback/answer", data=fields)
    return resp.status, await resp.text()
