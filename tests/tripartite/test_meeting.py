"""Booking the three parties' meeting through the bot, on SQLite and PostgreSQL: any party books
in their own zone (not in the past), all three are told in their own zones with their own calendar
link, the .ics holds only a 1-hour event named by kind and worker, re-booking moves it (stale cards
change nothing), and nobody else books or downloads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from icalendar import Calendar
from sqlalchemy import select, update

from storage.models import User
from storage.people.models import Person as PersonRow
from storage.tripartite.models import TripartiteTask
from storage.tripartite.rules import TaskStatus
from tests.factories import ALICE, BOB, FACILITATOR
from tests.tripartite.test_flow import CAROL, SOL, _setup, _version, text_of

UTC = timezone.utc


async def _task(harness, task_id: str) -> TripartiteTask:
    async with harness.components.services.db() as db:
        return await db.get(TripartiteTask, task_id)


async def _book(harness, task_id: str, person, day: str, at: str, version: str | None = None) -> str:
    version = version if version is not None else await _version(harness, task_id)
    body = await harness.press("tripartite.book", {"task": task_id, "version": version,
                                                   "meeting_day": day, "meeting_time": at}, person)
    return _plain(text_of(body["value"]))


def _plain(shown: str) -> str:
    """Card text without the binder's Markdown escapes (America/New\\_York)."""
    return shown.replace("\\\\", "")


def _calendar_links(cards: list[dict]) -> list[str]:
    return [a["url"] for c in cards for a in c.get("actions", []) if a.get("type") == "Action.OpenUrl"]


async def test_a_party_books_all_three_are_told_in_their_zones_and_get_a_calendar_file(harness):
    task_id = await _setup(harness)
    async with harness.components.services.db() as db, db.begin():
        await db.execute(update(User).where(User.teams_id == BOB.teams_id).values(time_zone="America/New_York"))
    # Bob books 10:00 in New York: 15:00 UTC (winter).
    shown = await _book(harness, task_id, BOB, "2026-12-01", "10:00")
    assert "The meeting is booked" in shown and "Tue 01 Dec 2026 10:00 (America/New_York)" in shown
    task = await _task(harness, task_id)
    assert task.status == TaskStatus.SCHEDULED and task.meeting_at == datetime(2026, 12, 1, 15, tzinfo=UTC)
    harness.connector.sent.clear()
    stats = await harness.components.dispatcher.drain()
    assert stats.sent == 3
    cards = harness.connector.all_cards()
    texts = [_plain(text_of(c)) for c in cards]
    assert sum("Tue 01 Dec 2026 15:00 (Europe/London)" in t for t in texts) == 2  # Alice and Sol
    assert sum("Tue 01 Dec 2026 10:00 (America/New_York)" in t for t in texts) == 1  # Bob
    links = _calendar_links(cards)
    assert len(set(links)) == 3  # one per person
    for url in links:
        resp = await harness.client.get(urlsplit(url).path)
        assert resp.status == 200 and resp.content_type == "text/calendar"
        (event,) = Calendar.from_ical(await resp.read()).walk("VEVENT")
        assert event.decoded("dtstart") == datetime(2026, 12, 1, 15, tzinfo=UTC)
        assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
        assert str(event["summary"]) == "Probation review: Alice Example"
        assert "description" not in event and "Objectives" not in (await resp.text())
    # Tampered: 404.
    assert (await harness.client.get(urlsplit(links[0]).path.replace(".ics", "x.ics"))).status == 404

    # Re-booking moves it; all three told again; the calendar file follows.
    shown = await _book(harness, task_id, SOL, "2026-12-02", "09:30")
    task = await _task(harness, task_id)
    assert task.meeting_at == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    harness.connector.sent.clear()
    assert (await harness.components.dispatcher.drain()).sent == 3
    event = Calendar.from_ical(await (await harness.client.get(urlsplit(links[0]).path)).read()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)

    # Someone who is no longer a party: their link stops working.
    async with harness.components.services.db() as db, db.begin():
        carol = await db.scalar(select(PersonRow.id).where(PersonRow.aad_object_id == CAROL.aad))
        await db.execute(update(TripartiteTask).values(peer_supervisor_id=carol))
    statuses = [(await harness.client.get(urlsplit(u).path)).status for u in links]
    assert sorted(statuses) == [200, 200, 404]


async def test_bad_times_stale_cards_and_outsiders_change_nothing(harness):
    task_id = await _setup(harness)
    before = await _version(harness, task_id)
    assert "already passed" in await _book(harness, task_id, ALICE, "2026-11-23", "08:00")  # clock: 09:00 UTC
    assert "choose both a date" in await _book(harness, task_id, ALICE, "2026-13-40", "10:00")
    assert "choose both a date" in await _book(harness, task_id, ALICE, "2026-12-01", "")
    for person in (CAROL, FACILITATOR):
        assert "not one of yours" in await _book(harness, task_id, person, "2026-12-01", "10:00")
    assert await _version(harness, task_id) == before
    assert (await _task(harness, task_id)).meeting_at is None
    await _book(harness, task_id, ALICE, "2026-12-01", "10:00")
    assert "changed since this card was sent" in await _book(harness, task_id, BOB, "2026-12-05", "10:00",
                                                             version=before)
    assert (await _task(harness, task_id)).meeting_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
