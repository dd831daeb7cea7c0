"""'My data': listing and erasing, and a dialog that continues across a restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage import outbox
from storage.models import BotStateItem, Conversation, OutboxMessage, User
from tests import factories
from tests.conftest import start_harness
from tests.factories import ALICE, BOB


async def _count(sessions, model, *where):
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_my_data_lists_what_is_held(harness):
    await harness.say("my data")
    card = harness.connector.sent[-1].cards[0]
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Name"] == ALICE.name
    assert facts["Time zone"] == "Europe/London"
    assert facts["Chats with me"] == "1"


async def test_delete_needs_confirmation_and_erases_everything(harness, clock):
    sessions = harness.components.services.sessions
    await harness.say("hello", BOB)
    await harness.say("my data")
    async with sessions() as session, session.begin():
        alice = await session.scalar(select(User).where(User.teams_id == ALICE.teams_id))
        await outbox.enqueue(session, kind="card", idempotency_key="t-1", user_id=alice.id,
                             due_at=clock.now() + timedelta(days=1), payload={"card": {}})
    body = await harness.press("my_data.delete")
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Delete everything" in body["value"]["body"][0]["text"]
    assert await _count(sessions, User, User.teams_id == ALICE.teams_id) == 1, "nothing deleted before confirming"

    body = await harness.press("my_data.delete.confirm")
    assert body["value"]["body"][0]["text"] == "Your data has been deleted"
    assert await _count(sessions, User, User.teams_id == ALICE.teams_id) == 0
    assert await _count(sessions, Conversation, Conversation.id == ALICE.conversation_id) == 0
    assert await _count(sessions, OutboxMessage) == 0
    assert await _count(sessions, BotStateItem, BotStateItem.key.contains(ALICE.conversation_id)) == 0
    assert await _count(sessions, User, User.teams_id == BOB.teams_id) == 1, "other people are untouched"


async def test_keep_changes_nothing(harness):
    await harness.say("my data")
    body = await harness.press("my_data.keep")
    assert body["value"]["body"][0]["text"] == "Nothing deleted"
    assert await _count(harness.components.services.sessions, User) == 1


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
        assert await _count(second.components.services.sessions, User) == 0
    finally:
        await second.client.close()


async def test_submit_fallback_drives_the_same_dialog(harness):
    await harness.say("my data")
    await harness.post(factories.submit("my_data.delete", service_url=harness.connector.url))
    assert "Delete everything" in harness.connector.sent[-1].cards[0]["body"][0]["text"]
