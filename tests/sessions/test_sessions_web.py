"""Registration on the web page (people outside Teams): the same checks, places and waitlist as
Teams, a personal page with the agenda, joining link and .ics alarms, change and cancel."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from icalendar import Calendar
from sqlalchemy import select

from dialogs.sessions.web import registration_url
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, User
from storage.sessions import repository as repo
from storage.sessions.models import Meeting, Registration, Series
from tests.factories import ALICE, FACILITATOR
from tests.sessions.test_sessions_register import (
    card_of, first_session, path_of, register, rows, set_capacity, texts, url_of,
)
from tests.sessions.web_helpers import WEB_FORM, post_form, public_path, set_link, web_register

UTC = timezone.utc
LINK = "https://teams.example/meet/web-secret"


async def test_the_manage_card_gives_facilitators_the_public_link(harness):
    sid = await first_session(harness)
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    url = url_of(card, "Open the web registration page")
    assert url == registration_url(harness.components.services.links, sid) and url in texts(card)
    assert sid not in url.split("/")[-1].split(".")[1], "the token is signed, not guessable"
    page = await harness.client.get(path_of(url))
    html = await page.text()
    assert page.status == 200 and 'autocomplete="organization"' in html and 'for="field-name"' in html


async def test_bad_input_is_shown_next_to_each_field_and_saves_nothing(harness):
    sid = await first_session(harness)
    answer = await post_form(harness.client, public_path(harness, sid),
                             {**WEB_FORM, "name": "  ", "role": "x" * 201, "reason": "bad\x00"})
    html = await answer.text()
    assert answer.status == 400
    for field in ("name", "role", "reason"):
        assert f'id="field-{field}-error"' in html and f'href="#field-{field}"' in html
    assert "Please give your name." in html and "200 characters or fewer" in html
    assert 'aria-invalid="true"' in html and 'value="Mersey Care NHS FT"' in html, "what was typed stays"
    assert await rows(harness, Registration) == []


async def test_register_see_the_agenda_link_and_calendar_then_change_and_cancel(harness, clock):
    sid = await first_session(harness)
    await set_link(harness, sid, LINK)
    mine = await web_register(harness, sid)
    page = await (await harness.client.get(mine)).text()
    assert "You&#39;re registered" in page and LINK in page and "Mersey Care NHS FT" in page
    assert "Hopes and dreams" not in page and "Agenda" in page
    [row] = await rows(harness, Registration)
    assert row.user_id is None and row.web_key
    assert "Dana" not in mine and "Mersey" not in mine, "no personal data in the link"

    ics = await harness.client.get(mine + "/session.ics")
    event = next(c for c in Calendar.from_ical(await ics.read()).walk("VEVENT"))
    triggers = sorted(a.decoded("trigger") for a in event.walk("VALARM"))
    assert triggers == [-timedelta(days=1), -timedelta(hours=1)]
    assert all(a["action"] == "DISPLAY" for a in event.walk("VALARM")) and str(event["url"]) == LINK

    changed = await post_form(harness.client, mine + "/change", {**WEB_FORM, "role": "Peer lead"})
    assert changed.status == 303 and changed.headers["Location"].endswith("?saved=1")
    [row] = await rows(harness, Registration)
    assert row.role == "Peer lead"

    confirm = await harness.client.get(mine + "/cancel")
    assert "Yes, cancel my place" in await confirm.text()
    done = await post_form(harness.client, mine + "/cancel", {}, token_from=mine + "/cancel")
    assert done.status == 303
    page = await (await harness.client.get(mine)).text()
    assert "Your place is cancelled" in page and LINK not in page
    [row] = await rows(harness, Registration)
    assert row.status == "withdrawn" and (row.name, row.organisation, row.access_needs) == ("", "", "")


async def test_web_and_teams_share_the_places_and_the_waitlist(harness, clock):
    sid = await first_session(harness)
    await set_capacity(harness, sid, 1)
    await set_link(harness, sid, LINK)
    first = await web_register(harness, sid)
    clock.set(clock.now() + timedelta(minutes=1))
    card = await register(harness, sid, ALICE)
    assert "You're on the waitlist" in texts(card), "the web registrant holds the only place"
    clock.set(clock.now() + timedelta(minutes=1))
    second = await web_register(harness, sid, name="Eve Waiting")
    page = await (await harness.client.get(second)).text()
    assert "You&#39;re on the waitlist" in page and "number 2 on the waitlist" in page and LINK not in page
    ics = Calendar.from_ical(await (await harness.client.get(second + "/session.ics")).read())
    assert "url" not in next(iter(ics.walk("VEVENT"))), "no joining link for the waitlist"

    await post_form(harness.client, first + "/cancel", {}, token_from=first + "/cancel")
    [alice] = await rows(harness, Registration, Registration.user_id.is_not(None))
    assert alice.status == "registered", "promoted the same way as in Teams"
    notices = await rows(harness, OutboxMessage, OutboxMessage.idempotency_key.contains(":promoted:"))
    assert [n.user_id for n in notices] == [alice.user_id]

    # The facilitator's export lists web registrants like everyone else.
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    csv = await (await harness.client.get(path_of(url_of(card, "Download register (CSV)")))).text()
    assert "Eve Waiting" in csv and "Alice Example" in csv and "Dana Outside" not in csv


async def test_forged_expired_and_closed_links_get_friendly_pages(harness, clock):
    sid = await first_session(harness)
    mine = await web_register(harness, sid)
    forged = await harness.client.get(mine[:-3] + "abc")
    assert forged.status == 404 and "Page not found" in await forged.text()
    made_up = await harness.client.get("/web/sessions/register/eyJwIjoid2ViX3JlZ2lzdGVyIn0.x")
    assert made_up.status == 404
    async with harness.components.services.db() as db:
        space = await db.get(Meeting, sid)
    clock.set(space.starts_at + timedelta(minutes=5))
    closed = await harness.client.get(public_path(harness, sid))
    assert closed.status == 409 and "Registration is not open" in await closed.text()
    too_late = await harness.client.get(mine + "/change")
    assert too_late.status == 409 and "Back to my registration" in await too_late.text()
    assert "Change my details" not in await (await harness.client.get(mine)).text()
    clock.set(space.ends_at + timedelta(days=15))  # the feedback window (14 days) has closed
    expired = await harness.client.get(mine)
    assert expired.status == 410 and "This link has expired" in await expired.text()


async def test_what_web_registrants_typed_is_blanked_after_the_retention_period(harness, clock):
    assert "sessions.web_retention" in harness.components.scheduler.job_ids
    sid = await first_session(harness)
    await web_register(harness, sid)
    async with harness.components.services.db() as db, db.begin():
        space = await db.get(Meeting, sid)
        assert await repo.forget_web_registrations(db, space.ends_at) == 0, "not before the session ends"
        assert await repo.forget_web_registrations(db, space.ends_at + timedelta(days=1)) == 1
    [row] = await rows(harness, Registration)
    assert row.web_key is None and row.name == "" and row.access_needs == "" and row.status == "registered"


async def test_a_teams_and_a_web_registrant_race_for_the_last_place_on_postgres(pg_url):
    engine = create_engine(pg_url)
    open_db = create_sessionmaker(engine)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    details = repo.RegistrationDetails("n", "o", "r", "", "", "", False)
    try:
        async with open_db() as db, db.begin():
            series = Series(name="s")
            db.add(series)
            await db.flush()
            people = [User(teams_id=f"29:p{i}", name=f"P{i}") for i in range(6)]
            spaces = [Meeting(series_id=series.id, title=f"t{i}", starts_at=now + timedelta(days=30),
                              ends_at=now + timedelta(days=30, hours=2), status="registration_open",
                              capacity=1) for i in range(6)]
            db.add_all([*people, *spaces])
            await db.flush()
            pairs = [(s.id, p.id) for s, p in zip(spaces, people)]

        async def racer(kind: str, space_id: str, uid: str, first: asyncio.Event, second: bool) -> str:
            if second:
                await first.wait()  # arrives while the first holds the session's lock, uncommitted
            async with open_db() as db, db.begin():
                if kind == "teams":
                    result = await repo.register(db, space_id, uid, details, now)
                else:
                    result = await repo.register_on_web(db, space_id, details, now)
                first.set()
                await asyncio.sleep(0.05)  # hold the lock while the other one arrives
                return f"{kind}:{result.status}"

        winners = set()
        for i, (space_id, uid) in enumerate(pairs):
            # Alternate who arrives first, so each side both wins and loses (by arrival, not by
            # which task the machine happens to run first).
            kinds = ("teams", "web") if i % 2 else ("web", "teams")
            first = asyncio.Event()
            outcomes = await asyncio.gather(*(racer(kind, space_id, uid, first, n == 1)
                                              for n, kind in enumerate(kinds)))
            assert outcomes[0].endswith("registered"), outcomes
            assert sorted(o.split(":")[1] for o in outcomes) == ["registered", "waitlisted"], outcomes
            winners.add(next(o.split(":")[0] for o in outcomes if o.endswith("registered")))
        async with open_db() as db:
            for space_id, _ in pairs:
                taken = await db.scalars(select(Registration).where(
                    Registration.session_id == space_id, Registration.status == "registered"))
                assert len(list(taken)) == 1
        assert winners == {"teams", "web"}
    finally:
        await engine.dispose()
