"""Turns an outbox row into a Teams message and sends it through the messenger.

Features register a renderer per message kind; the dispatcher (scheduler/) calls `deliver`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.cards import ADAPTIVE_CARD
from dialogs.shared.templating import with_submit_fallback
from dialogs.shared.registry import Renderer
from bot.messenger import Messenger, Outcome
from scheduler.dispatcher import Confirm, Delivery, DeliveryResult
from storage.db import OpenDb
from storage.models import Conversation
from storage.outbox import ClaimedMessage
from storage.users import deactivate_conversation, personal_conversation

CardRenderer = Callable[[AsyncSession, ClaimedMessage], Awaitable[dict[str, Any] | None]]


class OutboxDelivery:
    """Provides dialogs.shared.registry.OutboxRenderers to features, and `deliver` to the dispatcher."""

    def __init__(self, open_db: OpenDb, messenger: Messenger,
                 on_gone: Callable[[], None] = lambda: None) -> None:
        self._db = open_db
        self._messenger = messenger
        # Called when a conversation is marked inactive, so cached turn facts are dropped and
        # the person's next message re-activates it.
        self._on_gone = on_gone
        # Features' renderers give SDK Activities; the built-in "card" kind gives activity JSON.
        self._renderers: dict[str, Renderer | CardRenderer] = {"card": render_card_payload}

        self._sessionless = {"card"}  # kinds whose renderer reads nothing from the database
        # Recipients read for whole claimed batches (`prepare`), by row id: the latest two
        # batches, as the dispatcher holds at most two at once.
        self._recipients: tuple[dict[int, tuple[str, dict] | None], ...] = ({}, {})

    def register(self, kind: str, renderer: Renderer, *, needs_db: bool = True) -> None:
        """`needs_db=False`: the renderer ignores its session, so none is opened for it."""
        if kind in self._renderers:
            raise ValueError(f"renderer for {kind!r} registered twice")
        self._renderers[kind] = renderer
        if not needs_db:
            self._sessionless.add(kind)

    async def prepare(self, batch: list[ClaimedMessage]) -> None:
        """Read the recipients of a claimed batch's rows addressed to a conversation in one
        query, instead of one session and ORM object per row in `deliver`."""
        wanted = {message.conversation_id for message in batch if message.conversation_id is not None}
        found: dict[str, dict] = {}
        if wanted:
            async with self._db() as db:
                rows = await db.execute(select(Conversation.id, Conversation.reference)
                                        .where(Conversation.id.in_(wanted), Conversation.active.is_(True)))
                found = {conversation_id: reference for conversation_id, reference in rows}
        ready = {message.id: ((message.conversation_id, found[message.conversation_id])
                              if message.conversation_id in found else None)
                 for message in batch if message.conversation_id is not None}
        self._recipients = (self._recipients[1], ready)

    @property
    def kinds(self) -> set[str]:
        return set(self._renderers)

    async def deliver(self, message: ClaimedMessage, confirm: Confirm | None = None) -> DeliveryResult:
        """Render and send one row; `confirm` runs before every attempt and may raise to stop it."""
        renderer = self._renderers.get(message.kind)
        if renderer is None:
            return DeliveryResult(Delivery.FAILED, error=f"no renderer for {message.kind}")
        prepared = next((ready for ready in self._recipients if message.id in ready), None)
        if prepared is not None and message.kind in self._sessionless:
            recipient = prepared.pop(message.id)
            if recipient is None:
                return DeliveryResult(Delivery.NO_RECIPIENT, error="no active conversation")
            conversation_id, reference = recipient
            activity = await renderer(None, message)  # type: ignore[arg-type]  # reads no database
        else:
            async with self._db() as db:
                conversation = await _recipient(db, message)
                if conversation is None:
                    return DeliveryResult(Delivery.NO_RECIPIENT, error="no active conversation")
                activity = await renderer(db, message)
                reference = dict(conversation.reference)
                conversation_id = conversation.id
        if activity is None:
            return DeliveryResult(Delivery.SKIPPED, error="no longer wanted")
        result = await self._messenger.send(reference, activity, before_attempt=confirm)
        if result.outcome is Outcome.SENT:
            return DeliveryResult(Delivery.SENT, activity_id=result.activity_id)
        if result.outcome is Outcome.GONE:
            async with self._db() as db, db.begin():
                await deactivate_conversation(db, conversation_id, f"gone {result.status}")
            self._on_gone()
            return DeliveryResult(Delivery.GONE, error=result.error)
        if result.outcome is Outcome.RETRY_LATER:
            return DeliveryResult(Delivery.RETRY, error=result.error)
        return DeliveryResult(Delivery.FAILED, error=result.error)


async def _recipient(db: AsyncSession, message: ClaimedMessage) -> Conversation | None:
    if message.conversation_id is not None:
        conv = await db.get(Conversation, message.conversation_id)
        return conv if conv is not None and conv.active else None
    assert message.user_id is not None
    return await personal_conversation(db, message.user_id)


async def render_card_payload(_session: AsyncSession, message: ClaimedMessage) -> dict[str, Any] | None:
    """Kind "card": the payload already holds a bound card (announcements built at enqueue time),
    sent as the activity's JSON as it is: no SDK object per message."""
    card: Any = message.payload.get("card")
    return card_activity_json(card) if isinstance(card, dict) else None


def card_activity_json(card: dict[str, Any]) -> dict[str, Any]:
    """The JSON of `dialogs.shared.cards.card_activity(card)`, without building the SDK's objects."""
    return {"type": "message", "attachmentLayout": "list",
            "attachments": [{"contentType": ADAPTIVE_CARD, "content": with_submit_fallback(card)}]}
