"""Facilitator actions: create, edit, reschedule, cancel, open/close, announce; role checks;
facilitator views and the CSV register export."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.sessions.views import export_subject
from storage.models import OutboxMessage, User
from storage.sessions.models import Meeting, Registration
from tests import factories
from tests.factories import ALICE, BOB, FACILITATOR
from tests.sessions.test_sessions_register import (
    card_of, count, first_session, path_of, register, rows, texts, url_of,
)

NEW = {"title": "Evaluation: measuring what matters", "topic": "Stories and data together",
       "presenters": "Two peer leads", "date": "2027-06-04", "start": "14:00", "end": "16:00",
       "joining_url": "https://teams.microsoft.com/l/meetup-join/abc", "capacity": "30", "recorded": "true"}


async def save(harness, data, session_id: str = "", person=FACILITATOR) -> dict:
    return await card_of(harness, "sessions.save", {**data, "session_id": session_id}, person)


async def user_id(harness, person) -> str:
    return (await rows(harness, User.id, User.teams_id == person.teams_id))[0]


@pytest.mark.parametrize("verb", ["sessions.new", "sessions.edit", "sessions.save", "sessions.manage",
                                  "sessions.open", "sessions.close", "sessions.cancel", "sessions.cancel.confirm",
                                  "sessions.announce", "sessions.announce.send", "sessions.attendance",
                                  "sessions.attendance.save"])
async def test_attendees_are_not_permitted_and_nothing_changes(harness, verb):
    sid = await first_session(harness)
    body = await harness.press(verb, {**NEW, "session_id": sid, "attended": ""}, ALICE)
    assert body["statusCode"] == 200
    assert "only open to facilitators, administrators" in harness.connector.sent[-1].text
    [space] = await rows(harness, Meeting, Meeting.id == sid)
    assert (space.status, space.title) == ("registration_open", "Peer Support Implementation Space")
    assert await count(harness, Meeting) == 2


async def test_new_session_form_proposes_thirteen_weeks_after_the_last(harness):
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.new", person=FACILITATOR)
    values = {i["id"]: i.get("value") for i in card["body"] if "id" in i}
    assert values["date"] == "2027-06-04"
    inputs = {i["id"]: i for col in card["body"] if col.get("type") == "ColumnSet"
              for c in col["columns"] for i in c["items"]}
    assert inputs["start"]["value"] == "14:00" and inputs["end"]["value"] == "16:00"


@pytest.mark.parametrize("change, message", [
    ({"title": ""}, "give the session a title"),
    ({"joining_url": "http://teams.example/x"}, "https://"),
    ({"joining_url": "javascript:alert(1)"}, "https://"),
    ({"capacity": "-1"}, "whole number"),  # 0 or empty: no limit
    ({"capacity": "ten"}, "whole number"),
    ({"end": "13:00"}, "end time must be after"),
    ({"date": "2026-01-02"}, "start in the future"),
    ({"date": "not a date"}, "choose a date"),
    ({"date": "2027-03-28", "start": "01:30", "end": "03:00"}, "clocks go forward"),
])
async def test_invalid_session_forms_come_back_with_a_message(harness, change, message):
    await harness.say("hi", FACILITATOR)
    card = await save(harness, {**NEW, **change})
    assert message in texts(card)
    assert card["body"][0]["text"] == "New session"
    assert await count(harness, Meeting) == 0


async def test_facilitator_creates_a_session_in_their_own_zone(harness):
    await harness.say("hi", FACILITATOR)
    card = await save(harness, NEW)
    assert "Saved." in texts(card)
    [space] = await rows(harness, Meeting, Meeting.title == NEW["title"])
    assert space.starts_at.isoformat() == "2027-06-04T13:00:00+00:00"  # 14:00 BST
    assert (space.capacity, space.recorded, space.status) == (30, True, "scheduled")
    card = await card_of(harness, "sessions.open", {"session_id": space.id}, FACILITATOR)
    assert "Registration is open" in texts(card)
    card = await card_of(harness, "sessions.close", {"session_id": space.id}, FACILITATOR)
    assert "Registration is closed" in texts(card)


async def test_reschedule_moves_every_pending_reminder_and_tells_registrants(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid)
    alice = await user_id(harness, ALICE)
    before = {m.idempotency_key.rsplit(":", 1)[-1]: m.due_at for m in await rows(harness, OutboxMessage)}
    await harness.say("hi", FACILITATOR)
    card = await save(harness, {**NEW, "date": "2026-12-18", "capacity": ""}, sid)
    assert "Saved." in texts(card)
    pending = await rows(harness, OutboxMessage, OutboxMessage.status == "pending", OutboxMessage.user_id == alice)
    moved = {m.idempotency_key.rsplit(":", 1)[-1]: m.due_at for m in pending if m.kind != "card"}
    assert {k: v - before[k] for k, v in moved.items()} == {k: timedelta(days=7) for k in before}
    assert len(await rows(harness, OutboxMessage, OutboxMessage.kind != "card")) == 4, "the old rows are gone"
    [notice] = [m for m in pending if m.kind == "card"]
    assert "has moved to Friday 18 December 2026, 14:00 to 16:00" in str(notice.payload)


async def test_cancel_needs_confirmation_removes_reminders_and_tells_registrants(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.cancel", {"session_id": sid}, FACILITATOR)
    assert "Cancel this session?" in texts(card)
    [space] = await rows(harness, Meeting, Meeting.id == sid)
    assert space.status == "registration_open", "nothing happens before confirming"
    card = await card_of(harness, "sessions.cancel.confirm", {"session_id": sid}, FACILITATOR)
    assert "The session is cancelled" in texts(card)
    [space] = await rows(harness, Meeting, Meeting.id == sid)
    assert space.status == "cancelled"
    pending = await rows(harness, OutboxMessage, OutboxMessage.status == "pending")
    assert [m.kind for m in pending] == ["card"]
    await harness.components.dispatcher.drain()
    assert "has been cancelled" in texts(harness.connector.to(ALICE.conversation_id)[-1].cards[0])
    card = await save(harness, NEW, sid)
    assert "can no longer be changed" in texts(card)


async def test_raising_capacity_promotes_the_waitlist(harness):
    sid = await first_session(harness)
    await harness.say("hi", BOB)
    await harness.say("hi", FACILITATOR)
    await save(harness, {**NEW, "date": "2026-12-11", "capacity": "1"}, sid)
    await register(harness, sid, ALICE)
    await register(harness, sid, BOB)
    assert {r.name: r.status for r in await rows(harness, Registration)}[BOB.name] == "waitlisted"
    await save(harness, {**NEW, "date": "2026-12-11", "capacity": "2"}, sid)
    assert {r.name: r.status for r in await rows(harness, Registration)}[BOB.name] == "registered"


async def test_manage_view_counts_by_organisation_and_role_with_access_needs(harness):
    sid = await first_session(harness)
    await harness.say("hi", BOB)
    await register(harness, sid, ALICE, access_needs="Live captions please")
    await register(harness, sid, BOB, organisation="Somerset NHS FT", role="Ward manager")
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    shown = texts(card)
    assert "Places taken: 2 of no limit. Waitlist: 0. In the room: 0." in shown
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Somerset NHS FT"] == "2" and facts["Ward manager"] == "1"
    assert facts[ALICE.name] == "Live captions please"


async def test_register_export_is_csv_for_facilitators_only_with_an_expiring_link(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid, ALICE, name="Siân O'Connor", organisation="=HYPERLINK(\"x\")")
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    url = url_of(card, "Download register (CSV)")
    resp = await harness.client.get(path_of(url))
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Name,Organisation,Role or department,Registered at,Status,Attended"
    assert lines[1].startswith("Siân O'Connor,\"'=HYPERLINK(\"\"x\"\")\",Peer lead,2026-11-23 09:00,You have a place,No")

    links = harness.components.services.links
    forged = links.token("register_csv", export_subject(sid, await user_id(harness, ALICE)), clock.now() + timedelta(hours=1))
    assert (await harness.client.get(f"/exports/register/{forged}.csv")).status == 403, "signed for a non-facilitator"
    clock.advance(timedelta(minutes=31))
    assert (await harness.client.get(path_of(url))).status == 404, "expired"


async def test_announcement_goes_to_chosen_channels_and_subscribers(harness):
    sid = await first_session(harness)
    await register(harness, sid, ALICE)  # asked to hear about new sessions
    channel = "19:general@thread.tacv2"
    await harness.post(factories.message("hi", FACILITATOR, service_url=harness.connector.url,
                                         conversation_id=channel, conversation_type="channel"))
    card = await card_of(harness, "sessions.announce", {"session_id": sid}, FACILITATOR)
    assert "1 people asked to hear about new sessions." in texts(card)
    bad = await card_of(harness, "sessions.announce.send", {"session_id": sid, "channels": "19:other"}, FACILITATOR)
    assert "Choose channels from the list" in texts(bad)
    card = await card_of(harness, "sessions.announce.send",
                         {"session_id": sid, "channels": channel, "subscribers": "true"}, FACILITATOR)
    assert "Announcement queued for 2 chats and channels" in texts(card)
    again = await card_of(harness, "sessions.announce.send",
                          {"session_id": sid, "channels": channel, "subscribers": "true"}, FACILITATOR)
    assert "Nothing was sent: every channel and person you chose already has" in texts(again), \
        "announcing twice sends nothing new, and says so"
    await harness.components.dispatcher.drain()
    [to_channel] = [c for s in harness.connector.to(channel) for c in s.cards
                    if "Join the next implementation space" in texts(c)]
    assert "(Europe/London)" in texts(to_channel)
    assert any("Join the next implementation space" in texts(c)
               for s in harness.connector.to(ALICE.conversation_id) for c in s.cards)


async def test_register_pressed_in_a_channel_goes_to_a_private_chat(harness):
    sid = await first_session(harness)
    channel = "19:general@thread.tacv2"
    body = await harness.press("sessions.register.form", {"session_id": sid}, ALICE,
                               conversation_id=channel, conversation_type="channel")
    assert body["type"] != "application/vnd.microsoft.card.adaptive", "the channel card is not replaced"
    await harness.components.dispatcher.drain()
    cards = [c for s in harness.connector.to(ALICE.conversation_id) for c in s.cards]
    assert cards and cards[-1]["body"][0]["text"].startswith("Register")


@pytest.mark.parametrize("verb", ["sessions.open", "sessions.cancel.confirm", "sessions.manage", "sessions.edit",
                                  "sessions.attendance.save", "sessions.announce.send"])
async def test_malformed_session_ids_change_nothing(harness, verb):
    await harness.say("hi", FACILITATOR)
    for bad in (5, True, "x" * 40, ""):
        resp = await harness.post(factories.execute(verb, {"session_id": bad}, FACILITATOR,
                                                    service_url=harness.connector.url))
        assert resp.status == 200
    assert "went wrong" not in " ".join(s.text for s in harness.connector.sent)
    assert await count(harness, Meeting, Meeting.status != "registration_open") == 0


async def test_moving_a_session_and_moving_it_back_keeps_the_reminders(harness):
    sid = await first_session(harness)
    await register(harness, sid)
    await harness.say("hi", FACILITATOR)
    await save(harness, {**NEW, "date": "2026-12-18", "capacity": ""}, sid)
    await save(harness, {**NEW, "date": "2026-12-11", "capacity": ""}, sid)
    pending = await rows(harness, OutboxMessage, OutboxMessage.status == "pending", OutboxMessage.kind != "card")
    assert len(pending) == 4
    assert min(m.due_at for m in pending).isoformat() == "2026-12-04T14:00:00+00:00"
