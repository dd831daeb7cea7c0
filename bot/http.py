"""The HTTP edge: /api/messages and /healthz.

botbuilder alone answers 500 to malformed JSON and to several bad tokens; this wrapper makes
every bad request a 4xx before any bot code runs, refuses foreign tenants, and drops Teams'
redeliveries of an activity we already processed.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse
from msrest.serialization import Model
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.shared.cards import ADAPTIVE_CARD
from dialogs.shared.context import InvalidInput, TurnInput
from dialogs.shared.registry import FeatureRegistry
from storage.logs import describe_exception
from bot.state_storage import SqlConversationState, prefetched_state
from bot.turns import tenant_of
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
        registry: FeatureRegistry | None = None,
    ) -> None:
        self._adapter = adapter
        self._bot = bot
        self._ledger = ledger
        self._state = conversation_state
        self._max_body = max_body_bytes
        self._auth_required = auth_required
        self._tenant = allowed_tenant or None
        self._registry = registry

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self._max_body:
            return _error(413, "body too large")
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self._max_body:
                return _error(413, "body too large")
            chunks.append(chunk)
        body = b"".join(chunks)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                raise ValueError("not an activity")
            activity = Activity().deserialize(payload)
        except (ValueError, TypeError, AttributeError, KeyError):
            return _error(400, "malformed activity")
        if not activity.conversation or not activity.conversation.id or not activity.service_url:
            return _error(400, "activity lacks conversation or serviceUrl")
        if not _usable_id(activity.conversation.id) or not (activity.id is None or _usable_id(activity.id)):
            # The ledger keys on these; PostgreSQL refuses NUL characters in text.
            return _error(400, "malformed conversation or activity id")

        auth_header = request.headers.get("Authorization", "")
        if not self._auth_required:
            # Development mode validates nothing; ignoring a stray token avoids a network fetch.
            auth_header = ""
        elif not auth_header:
            return _error(401, "missing bearer token")
        try:
            auth_result = await self._adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
        except Exception as exc:  # noqa: BLE001 - any failure to authenticate is a 401
            log.info("refused unauthenticated request: %s", type(exc).__name__)
            return _error(401, "invalid bearer token")

        if self._tenant and (tenant_of(activity) or "").lower() != self._tenant.lower():
            log.info("refused activity from another tenant")
            return _error(403, "tenant not allowed")

        conversation_id, activity_id = activity.conversation.id, activity.id
        try:
            # The turn's dialog state is read with the claim, in one database round.
            claim = (await self._ledger.claim(conversation_id, activity_id, state_key=self._state.key_for(activity))
                     if activity_id else Claim(True))
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: let Teams retry
            log.error("could not record the activity: %s", describe_exception(exc))
            card = offline_card(self._registry, activity) if self._registry else None
            if card is not None:
                log.warning("database unavailable: a card action answered from content alone")
                return web.json_response({"statusCode": 200, "type": ADAPTIVE_CARD, "value": card})
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


def _usable_id(value: object) -> bool:
    return isinstance(value, str) and "\x00" not in value


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def health_handler(engine: AsyncEngine):
    async def healthz(_request: web.Request) -> web.Response:
        if await ping(engine):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "unavailable"}, status=503)

    return healthz
