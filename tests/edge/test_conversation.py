"""The conversation basics through HTTP: install, welcome, menu, unknown text, about, redelivery."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import event, select

from storage.models import Conversation, User
from tests import factories
from tests.factories import ALICE


def _objects(node) -> Iterator[dict]:
    """Every JSON object in a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _texts(card: dict) -> str:
    return "\n".join(node[key] for node in _objects(card) for key in ("text", "title", "value")
                     if isinstance(node.get(key), str))


async def test_install_sends_welcome_once_and_stores_reference(harness):
    resp = await harness.install()
    assert resp.status == 200
    await harness.post(factories.bot_added(ALICE, service_url=harness.connector.url))
    cards = harness.connector.all_cards()
    assert len(cards) == 1, "installationUpdate and conversationUpdate must welcome once"
    text = _texts(cards[0])
    assert "Welcome to PeerSpace" in text
    assert "not monitored around the clock" in text
    assert "anonymous" in text.lower()
    async with harness.components.services.db() as db:
        user = await db.scalar(select(User).where(User.teams_id == ALICE.teams_id))
        conv = await db.get(Conversation, ALICE.conversation_id)
    assert user.aad_object_id == ALICE.aad and user.name == ALICE.name
    assert user.time_zone == "Europe/London" and user.tenant_id == factories.TENANT
    assert conv.reference["serviceUrl"] == harness.connector.url
    assert conv.reference["conversation"]["tenantId"] == factories.TENANT
    assert conv.user_id == user.id and conv.active


async def test_time_zone_from_teams_is_stored(harness):
    activity = factories.message("hi", ALICE, service_url=harness.connector.url)
    activity["entities"] = [{"type": "clientInfo", "timezone": "America/New_York"}]
    await harness.post(activity)
    async with harness.components.services.db() as db:
        user = await db.scalar(select(User).where(User.teams_id == ALICE.teams_id))
    assert user.time_zone == "America/New_York"


async def test_help_shows_menu_with_feature_buttons(harness):
    await harness.say("Help!")
    card = harness.connector.sent[-1].cards[0]
    verbs = set()
    for node in _objects(card):
        if node.get("type") == "Action.Execute":
            verbs.add(node["verb"])
            assert node["fallback"]["type"] == "Action.Submit"
            assert node["fallback"]["data"]["verb"] == node["verb"]
    assert {"about.show", "my_data.show"} <= verbs


async def test_unknown_text_points_to_menu(harness):
    await harness.say("what is the weather like")
    [card] = harness.connector.sent[-1].cards
    assert "I didn't catch that" in _texts(card)
    assert [a["verb"] for a in card["actions"]] == ["menu.show"], "the menu is one press away"


async def test_menu_button_by_execute_and_by_submit_fallback(harness):
    body = await harness.press("about.show")
    assert body["statusCode"] == 200
    about = harness.connector.sent[-1].cards[0]
    assert "not a crisis service" in _texts(about)
    await harness.post(factories.submit("about.show", service_url=harness.connector.url))
    assert harness.connector.sent[-1].cards[0] == about


async def test_redelivered_activity_is_processed_once(harness):
    activity = factories.message("help", ALICE, service_url=harness.connector.url)
    first = await harness.post(activity)
    second = await harness.post(activity)
    assert first.status == 200 and second.status == 200
    assert len(harness.connector.sent) == 1


async def test_stale_card_button_is_answered_kindly(harness):
    await harness.press("my_data.delete.confirm")
    [card] = harness.connector.sent[-1].cards
    assert "already been used" in _texts(card)
    assert [a["verb"] for a in card["actions"]] == ["menu.show"]


async def test_malformed_submission_changes_nothing(harness):
    activity = factories.execute("about.show", service_url=harness.connector.url)
    activity["value"]["action"]["data"] = {"x": {"nested": "object"}}
    resp = await harness.post(activity)
    assert resp.status == 200
    assert "check" in harness.connector.sent[-1].text.lower()


async def test_redelivered_invoke_gets_the_same_answer(harness):
    await harness.say("my data")
    activity = factories.execute("my_data.delete", service_url=harness.connector.url)
    first = await (await harness.post(activity)).json()
    second = await (await harness.post(activity)).json()
    assert first["type"] == "application/vnd.microsoft.card.adaptive"
    assert second == first


async def test_typed_commands_open_features(harness):
    await harness.say("Sessions")
    assert "Implementation space sessions" in _texts(harness.connector.sent[-1].cards[0])
    await harness.say("feedback")
    assert harness.connector.sent[-1].cards, "the feedback list is a card"
    await harness.say("my sessions")
    assert harness.connector.sent[-1].cards


async def test_a_known_persons_menu_turn_is_one_database_round(harness):
    """The redelivery claim and the dialog-state read share one connection; an unchanged state is
    not written back. (Each extra checkout was about a millisecond of CPU per turn.)"""
    await harness.say("help")
    await harness.say("help")  # the person, conversation and an empty dialog state are now stored
    checkouts = []
    pool = harness.components.engine.sync_engine.pool
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    event.listen(pool, "checkout", listener)
    try:
        resp = await harness.say("menu")
    finally:
        event.remove(pool, "checkout", listener)
    assert resp.status == 200
    assert len(checkouts) == 1
    assert harness.connector.all_cards()[-1] == harness.connector.all_cards()[0]


async def test_a_dialog_turn_reads_its_state_with_the_claim_and_keeps_it(harness):
    await harness.say("my data")
    await harness.say("I typed something")  # the prompt is waiting for a button: reminded, still waiting
    assert harness.connector.sent[-1].activity["text"] == harness.components.content.text("bot.use_buttons")
    await harness.say("I typed something else")
    assert harness.connector.sent[-1].activity["text"] == harness.components.content.text("bot.use_buttons")
