"""The worker's own part of "My tripartite tasks": while they are away, their choice to pause
check-in prompts and supervision due dates (theirs alone: no manager can set it), and a button to
record their own absence when none is open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.people.models import Person
from storage.roles import Actor, Role
from storage.tripartite import repository as repo


def no_absence() -> dict[str, Any]:
    """The list card's absence fields when there is nothing to show."""
    return {"absence": "", "absence_text": "", "pause_checkins": "false", "pause_supervision": "false",
            "pause_checkins_label": "", "pause_supervision_label": "", "pause_note": "", "pause_save": "",
            "record_absence": "", "me": ""}


async def own_absence(db: AsyncSession, text: Callable[..., str], me: Person | None, actor: Actor) -> dict[str, Any]:
    """The list card's absence fields for `me`."""
    fields = no_absence()
    if me is None:
        return fields
    absence = await repo.open_absence(db, me.id)
    if absence is None:
        if actor.has_any(Role.WORKER):
            fields.update(record_absence=text("tripartite.own.record_absence"), me=me.id)
        return fields
    expected = text("tripartite.own.expected", day=absence.expected_return.isoformat()) \
        if absence.expected_return else ""
    fields.update(absence=absence.id,
                  absence_text=text("tripartite.own.away", start=absence.started_on.isoformat(), expected=expected),
                  pause_checkins="true" if absence.pause_checkins else "false",
                  pause_supervision="true" if absence.pause_supervision else "false",
                  pause_checkins_label=text("tripartite.own.pause_checkins"),
                  pause_supervision_label=text("tripartite.own.pause_supervision"),
                  pause_note=text("tripartite.own.pause_note"), pause_save=text("tripartite.own.pause_save"))
    return fields
