"""Turning bound card JSON into Teams attachments and invoke responses."""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

from dialogs.shared.templating import FinishedCard, with_submit_fallback

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class SentCard(dict):
    """A card on its way out. botbuilder deep-copies every activity it sends (node by node: about
    2 ms for a "my data" card), so that a caller changing its activity afterwards cannot change
    what was sent. Nothing changes a card once it is handed over (cards are bound afresh, or
    remembered and only ever read), so the copy is the card itself."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> "SentCard":
        return self


def attachment(card: dict[str, Any]) -> Attachment:
    if type(card) is FinishedCard:
        return CardFactory.adaptive_card(card)  # has its fallbacks, and is never changed: sent as it is
    return CardFactory.adaptive_card(SentCard(with_submit_fallback(card)))


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(attachment(card))
