"""'My data': listing and erasing, and a dialog that continues across a restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage import outbox
from storage.models import Base, BotStateItem, Conversation, OutboxMessage, RoleGrant, User
from storage.sessions.models import Registration
from tests import factories
from tests.cards import unescape
from tests.conftest import start_harness
from tests.factories import ALICE, BOB, FACILITATOR
from tests.core.test_roles import ADMIN
from tests.sessions.test_sessions_admin import NEW, save, user_id
from tests.sessions.test_sessions_register import card_of, first_session, register, rows


async def _count(open_db, model, *where):
    async with open_db() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_my_data_lists_what_is_held(harness):
    await harness.say("my data")
    card = harness.connector.sent[-1].cards[0]
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Name"] == ALICE.name
    assert facts["Time zone"] == "Europe/London"
    assert facts["Chats with me"] == "1"


async def test_delete_needs_confirmation_and_erases_everything(harness, clock):
    open_db = harness.components.services.db
    await harness.say("hello", BOB)
    await harness.say("my data")
    async with open_db() as db, db.begin():
        alice = await db.scalar(select(User).where(User.teams_id == ALICE.teams_id))
        await outbox.enqueue(db, kind="card", idempotency_key="t-1", user_id=alice.id,
                             due_at=clock.now() + timedelta(days=1), payload={"card": {}})
    body = await harness.press("my_data.delete")
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Delete everything" in body["value"]["body"][0]["text"]
    assert await _count(open_db, User, User.teams_id == ALICE.teams_id) == 1, "nothing deleted before confirming"

    body = await harness.press("my_data.delete.confirm")
    assert body["value"]["body"][0]["text"] == "Your data has been deleted"
    assert await _count(open_db, User, User.teams_id == ALICE.teams_id) == 0
    assert await _count(open_db, Conversation, Conversation.id == ALICE.conversation_id) == 0
    assert await _count(open_db, OutboxMessage) == 0
    assert await _count(open_db, BotStateItem, BotStateItem.key.contains(ALICE.conversation_id)) == 0
    assert await _count(open_db, User, User.teams_id == BOB.teams_id) == 1, "other people are untouched"


async def test_keep_changes_nothing(harness):
    await harness.say("my data")
    body = await harness.press("my_data.keep")
    assert body["value"]["body"][0]["text"] == "Nothing deleted"
    assert await _count(harness.components.services.db, User) == 1


async def test_typing_during_the_dialog_gets_a_reminder_and_the_dialog_waits(harness):
    await harness.say("my data")
    await harness.say("what?")
    assert "buttons" in harness.connector.sent[-1].text
    body = await harness.press("my_data.delete")
    assert "Delete everything" in body["value"]["body"][0]["text"]


async def test_dialog_started_before_restart_continues_after_it(settings, connector, clock):
    """Two app instances over one database: the second finishes what the first started."""
    first = await start_harness(settings, connector, clock)
    await first.say("my data")
    await first.press("my_data.delete")
    await first.client.close()  # the process goes away mid-dialog

    second = await start_harness(settings, connector, clock)
    try:
        body = await second.press("my_data.delete.confirm")
        assert body["value"]["body"][0]["text"] == "Your data has been deleted"
        assert await _count(second.components.services.db, User) == 0
    finally:
        await second.client.close()


async def test_submit_fallback_drives_the_same_dialog(harness):
    await harness.say("my data")
    await harness.post(factories.submit("my_data.delete", service_url=harness.connector.url))
    assert "Delete everything" in harness.connector.sent[-1].cards[0]["body"][0]["text"]


# --- every field held, and deletion of all of it (issue 8, item 5) -------------------------------

def _facts(card) -> list[tuple[str, str]]:
    return [(unescape(f["title"]), unescape(f["value"])) for b in card["body"] if b["type"] == "FactSet"
            for f in b["facts"]]


async def _my_data(harness, person=ALICE) -> dict[str, str]:
    await harness.say("my data", person)
    return dict(_facts(harness.connector.sent[-1].cards[0]))


async def test_my_data_lists_the_registration_details_typed_and_the_series_followed(harness):
    sid = await first_session(harness)
    await register(harness, sid, ALICE, access_needs="Captions, please")
    facts = await _my_data(harness)
    registration = facts["Session registration"]
    for shown in ("You have a place", "Your name: Alice Example", "Organisation: Somerset NHS FT",
                  "Role or department: Peer lead", "What brings you here?: Setting up PSW roles",
                  "What would you most like from the session?: Supervision ideas",
                  "Access needs or reasonable adjustments: Captions, please"):
        assert shown in registration, shown
    assert facts["Series you hear about new sessions of"] == "Peer Support Implementation Space"
    assert ALICE.aad in facts["Your Teams account (ids)"] and facts["Language setting"] == "en-GB"


async def test_an_administrator_named_in_configuration_sees_that_role(harness):
    facts = await _my_data(harness, ADMIN)
    assert facts["Roles the bot's configuration gives you (they stay until it changes)"] == "administrators"
    assert facts["Roles given to you"] == "None"


async def test_cancelling_a_place_deletes_the_details_typed(harness):
    sid = await first_session(harness)
    await register(harness, sid, ALICE, access_needs="Captions, please")
    await card_of(harness, "sessions.withdraw", {"session_id": sid})
    [left] = await rows(harness, Registration)
    assert left.status == "withdrawn"
    assert (left.name, left.organisation, left.role, left.reason, left.hopes, left.access_needs) == ("",) * 6
    form = await card_of(harness, "sessions.register.form", {"session_id": sid})
    values = {i["id"]: i.get("value") for i in form["body"] if i.get("id")}
    assert values["organisation"] == "" and values["access_needs"] == "", "nothing comes back pre-filled"
    assert values["name"] == ALICE.name, "the Teams name is offered, as for anyone new"
    registration = (await _my_data(harness))["Session registration"]
    assert registration.endswith(": Cancelled"), "listed as cancelled, with nothing else"
    assert "Somerset" not in registration and "Captions" not in registration


async def test_delete_leaves_no_row_naming_the_person_in_any_table(harness):
    """Every column that refers to a person (a foreign key to users, or the marks facilitators
    leave) holds nothing of theirs after "delete my data", whatever feature wrote it."""
    await harness.say("hi", FACILITATOR)
    await harness.say("hi", ADMIN)
    sid = await first_session(harness)
    await register(harness, sid, FACILITATOR)
    await card_of(harness, "sessions.attendance.save", {"session_id": sid, "attended": ""}, FACILITATOR)
    await save(harness, NEW, person=FACILITATOR)
    await harness.press("roles.grant", {"person": await user_id(harness, FACILITATOR), "role": "line_manager"},
                        ADMIN)
    fran = await user_id(harness, FACILITATOR)
    facts = await _my_data(harness, FACILITATOR)
    assert facts["Sessions you created"] == "1" and facts["Roles given to you"] == "line managers"
    await harness.press("my_data.delete", person=FACILITATOR)
    await harness.press("my_data.delete.confirm", person=FACILITATOR)
    async with harness.components.services.db() as db:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if any(fk.column.table.name == "users" for fk in column.foreign_keys) \
                        or column.name in ("attendance_marked_by", "created_by"):
                    held = await db.scalar(select(func.count()).select_from(table).where(column == fran))
                    assert held == 0, f"{table.name}.{column.name}"
        assert await db.scalar(select(func.count()).select_from(RoleGrant).where(
            RoleGrant.aad_object_id == FACILITATOR.aad)) == 0
