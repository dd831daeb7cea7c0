"""The HTTP edge: /api/messages and /healthz.

botbuilder alone answers 500 to malformed JSON and to several bad tokens; this wrapper makes
every bad request a 4xx before any bot code runs, refuses foreign tenants, and drops Teams'
redeliveries of an activity we already processed.
"""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import AdaptiveCardInvokeResponse
from msrest.serialization import Model
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admission import Admission, Refused, RefusalLog
from bot.logs import describe_exception
from bot.state_storage import SqlConversationState, prefetched_state
from storage.activities import ActivityLedger, Claim
from storage.db import ping

log = logging.getLogger(__name__)


class MessagesEndpoint:
    def __init__(
        self,
        adapter: CloudAdapter,
        bot: Bot,
        ledger: ActivityLedger,
        conversation_state: SqlConversationState,
        *,
        max_body_bytes: int,
        auth_required: bool,
        allowed_tenant: str | None,
    ) -> None:
        self._adapter = adapter
        self._bot = bot
        self._ledger = ledger
        self._state = conversation_state
        self._admission = Admission(adapter.bot_framework_authentication, max_body_bytes=max_body_bytes,
                                    auth_required=auth_required, allowed_tenant=allowed_tenant)
        self._refusals = RefusalLog()

    async def handle(self, request: web.Request) -> web.Response:
        try:
            activity, auth_result = await self._admission.admit(request)
        except Refused as refusal:
            self._refusals.note(refusal)
            return _error(refusal.status, refusal.reason)

        conversation_id, activity_id = activity.conversation.id, activity.id
        try:
            # The turn's dialog state is read with the claim, in one database round.
            claim = (await self._ledger.claim(conversation_id, activity_id, state_key=self._state.key_for(activity))
                     if activity_id else Claim(True))
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: let Teams retry
            log.error("could not record the activity: %s", describe_exception(exc))
            return _error(503, "temporarily unavailable")
        if not claim.first_delivery:
            log.info("dropped redelivered %s activity", activity.type)
            # A redelivered invoke gets the first delivery's answer (the card that replaced
            # the pressed one), so Teams does not show an error on the card.
            stored = await self._ledger.response(conversation_id, activity_id)
            return web.json_response(stored or {}, status=200)
        try:
            with prefetched_state(claim.state_key, claim.state):
                response = await self._adapter.process_activity(auth_result, activity, self._bot.on_turn)
        except Exception as exc:  # noqa: BLE001 - never a 500; let a redelivery try again
            log.error("turn failed outside the bot's error handler: %s", describe_exception(exc))
            if activity_id:
                try:
                    await self._ledger.release(conversation_id, activity_id)
                except Exception as release_exc:  # noqa: BLE001 - still answer 503, not 500
                    log.error("could not release the activity: %s", describe_exception(release_exc))
            return _error(503, "temporarily unavailable")
        if response is not None:
            body = _invoke_body(response.body)
            if activity_id and response.status == 200:
                await self._ledger.remember_response(conversation_id, activity_id, body)
            return web.json_response(body, status=response.status)
        return web.Response(status=200)


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
