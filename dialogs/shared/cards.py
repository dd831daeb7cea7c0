"""Turning bound card JSON into Teams attachments and invoke responses."""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

from dialogs.shared.templating import with_submit_fallback

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def attachment(card: dict[str, Any]) -> Attachment:
    # Idempotent: cards from Content.card already carry their fallbacks.
    return CardFactory.adaptive_card(with_submit_fallback(card))


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(attachment(card))
