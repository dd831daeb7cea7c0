"""Booking the three parties' meeting from the task card: any of them picks a day and a time in
their own zone (not in the past); the task is then "meeting booked" with the time kept in UTC, and
all three are told, each in their own zone and with their own calendar link (calendar.py).
Booking again moves the meeting; a stale card changes nothing, as for the other actions."""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from botbuilder.core import TurnContext

from dialogs.shared.context import scope_of
from dialogs.tripartite.tasks import TaskActions, _version
from storage.coreflections.recurrence import local_to_utc
from storage.tripartite import repository as repo

log = logging.getLogger(__name__)


class MeetingActions(TaskActions):
    async def book(self, turn_context: TurnContext) -> None:
        """Book or move the meeting of the pressed task (parties only, through `_task_for`)."""
        data = scope_of(turn_context).input.data
        error: str | None = None
        async with self.services.db() as db, db.begin():
            found = await self._task_for(db, turn_context)
            if found is None:
                return await self._gone(turn_context)
            me, task = found
            at = _instant(data.get("meeting_day"), data.get("meeting_time"), await self._zone(db, me))
            if at is None:
                error = self.text("tripartite.meeting.invalid")
            elif at <= self.services.now():
                error = self.text("tripartite.meeting.past")
            else:
                try:
                    await repo.book(db, task, at=at, version=_version(data))
                    await self.delivery.notify(db, task, "booked", to=repo.party_ids(task))
                except repo.StaleTask:
                    error = self.text("tripartite.errors.stale")
                except repo.TaskDone:
                    error = self.text("tripartite.meeting.done")
        if error:
            return await self._answer(turn_context, error, None)
        log.info("tripartite meeting booked")
        await self._answer(turn_context, None, self.text("tripartite.saved.booked"))


def _instant(day: object, at: object, zone: str) -> datetime | None:
    """Input.Date and Input.Time values, read in the booker's zone, as UTC; None when not valid."""
    if not isinstance(day, str) or not isinstance(at, str) or len(day) > 10 or len(at) > 8:
        return None
    try:
        local = datetime.combine(date.fromisoformat(day.strip()), time.fromisoformat(at.strip()[:5]))
    except ValueError:
        return None
    return local_to_utc(local, zone)
