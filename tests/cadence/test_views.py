"""Through the bot, on SQLite and PostgreSQL: who sees the compliance figures (every read path,
every role: the card for each scope, and the CSV link, re-checked on download), the chart and its
text equivalent, reminders carrying "Record it" and a calendar file, and the weekly digest.

The organisation: Wren (Ward A; manager Max, peer supervisor Sam) and Olly (Ward B; manager Mo,
peer supervisor Sue), both overdue for everything; Lee leads Ward A's peer workers, Lou Ward B's.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import delete, select

from storage.cadence.models import CadencePreference
from storage.models import RoleGrant, User
from storage.people.models import LinkKind, Person, PersonLink
from storage.people.repository import ensure_person
from tests.cadence.helpers import grant, link, record
from tests.checkins.helpers import run_job
from tests.factories import FACILITATOR, Person as Who

NAMES = ("Admin", "Wren", "Olly", "Max", "Mo", "Sam", "Sue", "Lee", "Lou")
WHO = {n: Who(f"29:{n.lower()}", f"aad-{n.lower()}", f"{n} Example") for n in NAMES}
WHO["Fran"] = FACILITATOR
TEAM = {"Wren": "Ward A", "Lee": "Ward A", "Olly": "Ward B", "Lou": "Ward B"}
SCOPES = (None, "organisation", "team", "reports", "supervisees")
# Who may see whom, by scope asked for (None: their broadest); anything else is refused.
ALLOWED = {
    "Admin": {None: {"Wren", "Olly"}, "organisation": {"Wren", "Olly"}},
    "Max": {None: {"Wren"}, "reports": {"Wren"}},
    "Mo": {None: {"Olly"}, "reports": {"Olly"}},
    "Sam": {None: {"Wren"}, "supervisees": {"Wren"}},
    "Sue": {None: {"Olly"}, "supervisees": {"Olly"}},
    "Lee": {None: {"Wren"}, "team": {"Wren"}},
    "Lou": {None: {"Olly"}, "team": {"Olly"}},
    "Wren": {}, "Olly": {}, "Fran": {},
}


@pytest.fixture
async def org(harness):
    for who in WHO.values():
        await harness.say("hi", who)
    async with harness.components.services.db() as db, db.begin():
        people = {}
        for name, who in WHO.items():
            user = await db.scalar(select(User).where(User.teams_id == who.teams_id))
            people[name] = await ensure_person(db, user)
            people[name].team, people[name].organisation = TEAM.get(name, ""), "Trust"
        for worker, manager, supervisor in (("Wren", "Max", "Sam"), ("Olly", "Mo", "Sue")):
            people[worker].start_date = date(2025, 1, 6)
            await link(db, people[worker], people[manager], LinkKind.LINE_MANAGER)
            await link(db, people[worker], people[supervisor], LinkKind.PEER_SUPERVISOR)
            await record(db, people[worker], "peer_supervision", date(2026, 9, 1))  # overdue since 1 October
        # Wren's management supervision is in date.
        await record(db, people["Wren"], "management_supervision", date(2026, 11, 10))
        await grant(db, people["Lee"], "peer_lead")
        await grant(db, people["Lou"], "peer_lead")
        ids = {name: (p.id, p.user_id) for name, p in people.items()}
    # Links imply roles; the turn's actor cache would hold the roles from before they existed.
    harness.components.services.actors.clear()
    return ids


def shown(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False)


async def press_scope(harness, name: str, scope: str | None) -> tuple[dict, str]:
    before = len(harness.connector.sent)
    body = await harness.press("cadence.compliance", {} if scope is None else {"scope": scope}, WHO[name])
    replies = " ".join(s.text for s in harness.connector.sent[before:])
    return body, replies


async def test_every_role_sees_only_the_people_it_is_entitled_to(harness, org):
    for name in ALLOWED:
        for scope in SCOPES:
            body, replies = await press_scope(harness, name, scope)
            text = shown(body)
            allowed = ALLOWED[name].get(scope)
            if allowed is None:
                assert body.get("type") != "application/vnd.microsoft.card.adaptive", (name, scope)
                assert "only open to" in replies, (name, scope, replies)
                assert "Wren Example" not in text + replies and "Olly Example" not in text + replies
                continue
            for worker in ("Wren", "Olly"):
                assert (f"{worker} Example" in text) == (worker in allowed), (name, scope, worker)
            assert "Chart.VerticalBar" in text


async def test_chart_has_a_fallback_and_every_figure_in_words(harness, org):
    body = await harness.press("cadence.compliance", {}, WHO["Admin"])
    card = body["value"]
    chart = next(e for e in card["body"] if e.get("type") == "Chart.VerticalBar")
    assert chart["fallback"]["type"] == "TextBlock"
    bars = {d["x"]: d["y"] for d in chart["data"]}
    # Peer supervision: both overdue; management: Wren in date; co-reflection: nobody has one.
    assert bars == {"Peer supervision": 0, "Management supervision": 50, "Group co-reflection": 0}
    facts = {f["title"]: f["value"] for e in card["body"] if e.get("type") == "FactSet" for f in e["facts"]}
    assert facts["Management supervision"] == "50% in date (1 of 2)"
    teams = [e for e in card["body"] if e.get("type") == "Container"]
    assert [t["items"][0]["text"] for t in teams] == ["Ward A", "Ward B"]
    overdue = [e["text"] for e in card["body"] if e.get("type") == "TextBlock" and e["text"].startswith("- ")]
    assert "- Olly Example (Ward B): Peer supervision, due Thursday 1 October 2026, 53 days overdue" in overdue


def _csv_path(body: dict) -> str:
    url = next(a["url"] for a in body["value"]["actions"] if a["type"] == "Action.OpenUrl")
    parts = urlsplit(url)
    return parts.path


async def _download(harness, path: str):
    resp = await harness.client.get(path)
    return resp.status, await resp.text()


async def test_csv_holds_what_the_card_may_show_and_rechecks_the_role(harness, org):
    paths = {}
    for name in (n for n, scopes in ALLOWED.items() if scopes):
        path = paths[name] = _csv_path(await harness.press("cadence.compliance", {}, WHO[name]))
        status, text = await _download(harness, path)
        assert status == 200
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0][:3] == ["section", "team", "type"]
        assert {r[6] for r in rows[1:] if r[0] == "overdue"} == {f"{w} Example" for w in ALLOWED[name][None]}, name
        # Tampered: refused.
        assert (await _download(harness, path.replace(".csv", "x.csv")))[0] == 404
    # The roles that allowed them taken away (the peer lead grants, every link): refused on download.
    async with harness.components.services.db() as db, db.begin():
        await db.execute(delete(RoleGrant).where(RoleGrant.role == "peer_lead"))
        await db.execute(delete(PersonLink))
    for name, path in paths.items():
        assert (await _download(harness, path))[0] == (200 if name == "Admin" else 403), name


async def test_csv_link_expires_and_cells_cannot_run_as_formulas(harness, org, clock):
    async with harness.components.services.db() as db, db.begin():
        wren = await db.get(Person, org["Wren"][0])
        wren.name = "=HYPERLINK(\"http://x\")"
    body = await harness.press("cadence.compliance", {}, WHO["Admin"])
    path = _csv_path(body)
    status, text = await _download(harness, path)
    assert status == 200 and "'=HYPERLINK" in text
    clock.advance(timedelta(minutes=16))
    assert (await _download(harness, path))[0] == 404


async def test_reminder_carries_record_it_and_a_calendar_file(harness, org, clock):
    # Peer supervision last 1 September: due 1 October. A record on 20 November moves it to 20 December.
    async with harness.components.services.db() as db, db.begin():
        wren = await db.get(Person, org["Wren"][0])
        await record(db, wren, "peer_supervision", date(2026, 11, 20))
    clock.set(datetime(2026, 12, 13, 9, 30, tzinfo=timezone.utc))
    await run_job(harness, "cadence.queue")
    await harness.components.dispatcher.drain()
    to_wren = [c for s in harness.connector.to(WHO["Wren"].conversation_id) for c in s.cards]
    to_sam = [c for s in harness.connector.to(WHO["Sam"].conversation_id) for c in s.cards]
    card = next(c for c in to_wren if "Peer supervision is due on Sunday 20 December 2026" in shown(c))
    record_it = next(a for a in card["actions"] if a.get("verb") == "supervision.record")
    assert record_it["data"] == {"type": "peer_supervision", "worker": org["Wren"][0], "verb": "supervision.record"}
    assert any("Peer supervision with Wren Example is due on Sunday 20 December 2026" in shown(c) for c in to_sam)
    calendar = next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl")
    resp = await harness.client.get(urlsplit(calendar).path)
    assert resp.status == 200 and resp.content_type == "text/calendar"
    event = next(iter(Calendar.from_ical(await resp.read()).walk("VEVENT")))
    assert event.decoded("dtstart") == date(2026, 12, 20) and str(event["summary"]) == "Peer supervision due"
    assert "Wren" not in (await resp.text())
    assert (await harness.client.get(urlsplit(calendar).path.replace(".ics", "0.ics"))).status == 404


async def test_a_reminder_queued_before_a_record_was_confirmed_sends_nothing(harness, org, clock):
    clock.set(datetime(2026, 12, 12, 12, tzinfo=timezone.utc))
    async with harness.components.services.db() as db, db.begin():
        wren = await db.get(Person, org["Wren"][0])
        await record(db, wren, "management_supervision", date(2026, 11, 20))  # due 20 December
    await run_job(harness, "cadence.queue")
    async with harness.components.services.db() as db, db.begin():
        await record(db, await db.get(Person, org["Wren"][0]), "management_supervision", date(2026, 12, 12))
    before = len(harness.connector.sent)
    await harness.components.dispatcher.drain()
    assert not any("Management supervision" in shown(s.activity) for s in harness.connector.sent[before:])


async def test_digest_lists_each_report_due_or_overdue(harness, org, clock):
    body = await harness.press("cadence.reminders.save", {"choice": "digest"}, WHO["Max"])
    assert "one weekly digest" in shown(body)
    refused = await harness.press("cadence.reminders.save", {"choice": "digest"}, WHO["Wren"])
    assert "digest" not in shown(refused).lower()
    async with harness.components.services.db() as db:
        assert await db.scalar(select(CadencePreference.person_id).where(CadencePreference.weekly_digest)) == \
            org["Max"][0]
    # Sunday 13 December: Monday's digest. Wren's management supervision (10 November) is due 10 December:
    # overdue; Olly's (none since starting 6 January 2025) is overdue since long ago but Olly is Mo's.
    clock.set(datetime(2026, 12, 13, 12, tzinfo=timezone.utc))
    await run_job(harness, "cadence.queue")
    await harness.components.dispatcher.drain()
    # The digest is due Monday 09:00: nothing sent yet; then Monday.
    clock.set(datetime(2026, 12, 14, 9, 5, tzinfo=timezone.utc))
    await harness.components.dispatcher.drain()
    digest = next(c for s in harness.connector.to(WHO["Max"].conversation_id) for c in s.cards
                  if "Supervision this week" in shown(c))
    lines = [e["text"] for e in digest["body"] if e["text"].startswith("- ")]
    assert lines == ["- Wren Example: Management supervision, overdue since Thursday 10 December 2026"]
    # Max got no single reminder for Wren's management supervision.
    assert not any("is due" in shown(s.activity) for s in harness.connector.to(WHO["Max"].conversation_id))
    # A bad choice changes nothing and says so.
    bad = await harness.press("cadence.reminders.save", {"choice": "weekly!"}, WHO["Max"])
    assert "Please choose one of the two options." in shown(bad)


async def test_my_data_lists_and_erases_the_digest_choice(harness, org):
    await harness.press("cadence.reminders.save", {"choice": "digest"}, WHO["Sam"])
    await harness.say("my data", WHO["Sam"])
    assert "One weekly digest" in shown(harness.connector.sent[-1].activity)
    await harness.press("my_data.delete", {}, WHO["Sam"])
    await harness.press("my_data.delete.confirm", {}, WHO["Sam"])
    async with harness.components.services.db() as db:
        assert await db.scalar(select(CadencePreference.person_id)) is None
