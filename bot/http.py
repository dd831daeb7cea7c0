"""The HTTP edge: /api/messages and /healthz.

botbuilder alone answers 500 to malformed JSON and to several bad tokens; this wrapper makes
every bad request a 4xx before any bot code runs, refuses foreign tenants, and runs each activity
once however often Teams delivers it (bot/redelivery.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse
from msrest.serialization import Model
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admission import Admission, Refused, RefusalLog
from bot.redelivery import Duplicate, Redelivery
from bot.state_storage import SqlConversationState, along_with_state_write, prefetched_state
from dialogs.shared.cards import ADAPTIVE_CARD
from dialogs.shared.context import InvalidInput, TurnInput
from dialogs.shared.registry import FeatureRegistry
from storage.activities import Claim
from storage.logs import describe_exception
from storage.db import ping

log = logging.getLogger(__name__)


class MessagesEndpoint:
    def __init__(
        self,
        adapter: CloudAdapter,
        bot: Bot,
        redelivery: Redelivery,
        conversation_state: SqlConversationState,
        *,
        already_received: dict[str, Any],
        max_body_bytes: int,
        auth_required: bool,
        allowed_tenant: str | None,
        registry: FeatureRegistry | None = None,
    ) -> None:
        self._adapter = adapter
        self._bot = bot
        self._redelivery = redelivery
        self._already_received = already_received
        self._state = conversation_state
        self._admission = Admission(adapter.bot_framework_authentication, max_body_bytes=max_body_bytes,
                                    auth_required=auth_required, allowed_tenant=allowed_tenant)
        self._refusals = RefusalLog()
        self._registry = registry

    async def handle(self, request: web.Request) -> web.Response:
        try:
            activity, auth_result = await self._admission.admit(request)
        except Refused as refusal:
            self._refusals.note(refusal)
            return _error(refusal.status, refusal.reason)

        conversation_id, activity_id = activity.conversation.id, activity.id
        try:
            # The turn's dialog state is read with the claim, in one database round.
            admitted = (await self._redelivery.admit(conversation_id, activity_id,
                                                     state_key=self._state.key_for(activity))
                        if activity_id else Claim(True))
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: let Teams retry
            log.error("could not record the activity: %s", describe_exception(exc))
            card = offline_card(self._registry, activity) if self._registry else None
            if card is not None:
                log.warning("database unavailable: a card action answered from content alone")
                return web.json_response({"statusCode": 200, "type": ADAPTIVE_CARD, "value": card})
            return _error(503, "temporarily unavailable")
        if isinstance(admitted, Duplicate):
            log.info("dropped redelivered %s activity", activity.type)
            if activity.type != ActivityTypes.invoke:
                return web.Response(status=200)
            # The first delivery's answer (the card that replaced the pressed one) when this
            # process still has it, so Teams does not show an error on the card.
            status, body = admitted.answer or (200, self._already_received)
            return web.json_response(body, status=status)
        return await self._run(auth_result, activity, admitted)

    async def _run(self, auth_result: Any, activity: Activity, claim: Claim) -> web.Response:
        answer = None
        try:
            with (prefetched_state(claim.state_key, claim.state),
                  along_with_state_write(self._redelivery.finish_step(claim)) as finished):
                async with self._redelivery.leased(claim):
                    response = await self._adapter.process_activity(auth_result, activity, self._bot.on_turn)
            if response is not None:
                answer = (response.status, _invoke_body(response.body))
        except Exception as exc:  # noqa: BLE001 - never a 500; let a redelivery try again
            log.error("turn failed outside the bot's error handler: %s", describe_exception(exc))
            try:
                await self._redelivery.release(claim)
            except Exception as release_exc:  # noqa: BLE001 - still answer 503, not 500
                log.error("could not release the activity: %s", describe_exception(release_exc))
            return _error(503, "temporarily unavailable")
        except BaseException:
            self._redelivery.abandon(claim)  # cancelled mid-turn: its lease runs out, a redelivery runs it
            raise
        self._redelivery.finish(claim, answer, already_final=finished())
        if answer is not None:
            return web.json_response(answer[1], status=answer[0])
        return web.Response(status=200)


def offline_card(registry: FeatureRegistry, activity: Activity) -> dict | None:
    """For a card action (invoke) whose feature can answer without a database, that answer."""
    value = activity.value
    if activity.type != "invoke" or activity.name != "adaptiveCard/action" or not isinstance(value, dict):
        return None
    action = value.get("action")
    if not isinstance(action, dict):
        return None
    try:
        turn_input = TurnInput.from_action(action.get("verb"), action.get("data"), via_invoke=True)
    except InvalidInput:
        return None
    answer = registry.offline_answer(turn_input.verb or "")
    return answer(turn_input.data) if answer is not None else None


def _invoke_body(body: object) -> object:
    """botbuilder answers a malformed adaptiveCard/action itself (400) with an msrest model whose
    value is an Exception: turn that into the JSON Teams expects instead of failing with a 500."""
    if isinstance(body, AdaptiveCardInvokeResponse):
        value = body.value
        if isinstance(value, BaseException):
            code, message = ([str(a) for a in value.args] + ["Error", ""])[:2]
            value = {"code": code, "message": message}
        return {"statusCode": int(body.status_code or 200), "type": body.type, "value": value}
    if isinstance(body, Model):
        return serializer_helper(body)
    return body


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def health_handler(engine: AsyncEngine):
    async def healthz(_request: web.Request) -> web.Response:
        if await ping(engine):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "unavailable"}, status=503)

    return healthz
