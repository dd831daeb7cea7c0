"""A turn's replies go out as one JSON POST each (bot/replies.py), and the connector sees, answers
and refuses them exactly as on the SDK's msrest path."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.models import ErrorResponseException

from bot.replies import ReplyAdapter
from dialogs.shared.cards import card_activity
from tests.core.test_finished_cards import _menu_and_my_data
from tests.factories import ALICE

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "one"}]}


def _sdk_path(monkeypatch) -> None:
    monkeypatch.setattr(ReplyAdapter, "send_activities", CloudAdapterBase.send_activities)


def _no_msrest_sends(monkeypatch) -> None:
    async def refused(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a reply went through msrest")

    monkeypatch.setattr(ConversationsOperations, "reply_to_activity", refused)
    monkeypatch.setattr(ConversationsOperations, "send_to_conversation", refused)


def _routing(harness, monkeypatch, route) -> None:
    monkeypatch.setattr(harness.components.bot, "_route", route)


async def test_menu_and_my_data_cards_reach_the_connector_as_on_the_sdk_path(harness, monkeypatch):
    assert isinstance(harness.components.adapter, ReplyAdapter)
    await harness.say("hello", ALICE)
    with monkeypatch.context() as patch:
        _no_msrest_sends(patch)
        direct = await _menu_and_my_data(harness)
    direct_replies = [s.reply_to for s in harness.connector.sent[-len(direct):]]
    _sdk_path(monkeypatch)
    sdk = await _menu_and_my_data(harness)
    sdk_replies = [s.reply_to for s in harness.connector.sent[-len(sdk):]]
    assert len(direct) == len(sdk) >= 2
    assert any("AdaptiveCard" in body for body in direct)
    assert direct == sdk
    assert all(direct_replies) and len(direct_replies) == len(sdk_replies)


async def test_the_connector_s_id_comes_back_and_a_card_replace_updates_that_activity(harness, monkeypatch):
    seen: dict[str, Any] = {}

    async def route(turn_context: TurnContext) -> None:
        first = await turn_context.send_activity(card_activity(CARD))
        second = await turn_context.send_activity(MessageFactory.text("two"))
        seen["ids"] = [first.id, second.id]
        replacement = card_activity({**CARD, "body": [{"type": "TextBlock", "text": "replaced"}]})
        replacement.id = first.id
        await turn_context.update_activity(replacement)

    _no_msrest_sends(monkeypatch)
    _routing(harness, monkeypatch, route)
    before = len(harness.connector.sent)
    assert (await harness.say("anything", ALICE)).status == 200
    sent = harness.connector.sent[before:]
    assert len(sent) == 2 and sent[0].cards == [CARD]
    numbers = [int(i.removeprefix("sent-")) for i in seen["ids"]]
    assert numbers[1] == numbers[0] + 1  # the connector's own ids, in the order it gave them
    (update,) = harness.connector.updated
    assert update.reply_to == seen["ids"][0]
    assert update.cards[0]["body"][0]["text"] == "replaced"


async def _typing_trace_invoke(harness, monkeypatch) -> tuple[Any, ...]:
    seen: dict[str, Any] = {}

    async def route(turn_context: TurnContext) -> None:
        adapter = turn_context.adapter
        answers = await turn_context.send_activities([
            Activity(type=ActivityTypes.typing),
            Activity(type=ActivityTypes.trace, name="t", value={"a": 1}),
            Activity(type=ActivityTypes.invoke_response, value={"status": 200}),
            MessageFactory.text("after"),
        ])
        seen["ids"] = [a.id.startswith("sent-") if a.id else a.id for a in answers]
        seen["invoke"] = turn_context.turn_state.get(adapter._INVOKE_RESPONSE_KEY)  # noqa: SLF001

    _routing(harness, monkeypatch, route)
    before = len(harness.connector.sent)
    assert (await harness.say("anything", ALICE)).status == 200
    sent = [s.activity["type"] for s in harness.connector.sent[before:]]
    return sent, seen["ids"], seen["invoke"].type, seen["invoke"].value


async def test_typing_trace_and_invoke_responses_keep_the_sdk_handling(harness, monkeypatch):
    with monkeypatch.context() as patch:
        _no_msrest_sends(patch)
        direct = await _typing_trace_invoke(harness, monkeypatch)
    _sdk_path(monkeypatch)
    sdk = await _typing_trace_invoke(harness, monkeypatch)
    assert direct == sdk
    assert direct[0] == ["typing", "message"] and direct[2] == ActivityTypes.invoke_response


async def _refusal(harness, monkeypatch, status: int) -> tuple[Any, ...]:
    caught: list[BaseException] = []

    async def route(turn_context: TurnContext) -> None:
        try:
            await turn_context.send_activity(MessageFactory.text("refused"))
        except Exception as exc:  # noqa: BLE001 - recorded for comparison
            caught.append(exc)
            raise

    _routing(harness, monkeypatch, route)
    harness.connector.fail_next(status, retry_after=1.0)
    assert (await harness.say("anything", ALICE)).status == 200
    (exc,) = caught
    return type(exc), str(exc), exc.response.status, exc.error.error.code


@pytest.mark.parametrize("status", [500, 429])
async def test_a_refused_reply_raises_as_on_the_sdk_path(harness, monkeypatch, status):
    direct = await _refusal(harness, monkeypatch, status)
    _sdk_path(monkeypatch)
    sdk = await _refusal(harness, monkeypatch, status)
    assert direct == sdk
    assert direct[0] is ErrorResponseException and direct[2] == status
