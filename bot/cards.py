"""Turning bound card JSON into Teams attachments and invoke responses."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def with_submit_fallback(card: dict[str, Any]) -> dict[str, Any]:
    """Give every Action.Execute an Action.Submit fallback carrying the same verb and data.

    Clients without Universal Actions then post a message whose `value` holds the verb,
    which the bot routes exactly like the invoke.
    """
    card = copy.deepcopy(card)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "fallback" not in node:
                data = dict(node.get("data") or {})
                data["verb"] = node.get("verb", "")
                node["data"] = data
                node["fallback"] = {"type": "Action.Submit", "title": node.get("title", ""), "data": data}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return card


def attachment(card: dict[str, Any]) -> Attachment:
    return CardFactory.adaptive_card(with_submit_fallback(card))


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(attachment(card))
