"""A turn's replies as one JSON POST each, over the shared aiohttp session.

botbuilder sends every reply through its connector client's msrest operation
(`reply_to_activity` / `send_to_conversation`): the activity is deserialised into itself,
serialised, validated, sent through the request pipeline and the answer deserialised, about 14%
of the full bot's CPU per turn on PostgreSQL. Here the activity is serialised once and posted to
the same URL with the same headers, and the answer read as the SDK reads it: the id the service
gave the activity (the bot updates cards by that id), `ErrorResponseException` for any status
msrest does not accept, `ClientRequestError` when no answer came (as bot/connector.py's sender).
Delays, invoke responses and traces keep the SDK's own handling.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector import Channels
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError
from msrest.universal_http import ClientRequest

from bot.connector import SharedClientsAuthentication, _Response
from bot.direct_send import BearerHeaders

_ACCEPTED = (200, 201, 202)  # what the SDK's generated operations accept; anything else raises


def _sdk_handles(activity: Activity) -> bool:
    """The activities botbuilder's send_activities does not send to the connector."""
    return (activity.type in ("delay", ActivityTypes.invoke_response)
            or (activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator))


class ReplyAdapter(CloudAdapter):
    """The SDK's CloudAdapter, with a turn's replies posted as JSON by the shared HTTP session."""

    def __init__(self, authentication: SharedClientsAuthentication) -> None:
        super().__init__(authentication)
        self._http = authentication.clients.http
        self._headers = BearerHeaders(self._http.executor)  # by the turn client's credentials

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """As botbuilder's CloudAdapterBase.send_activities, the connector's part by one POST each."""
        if not context or not activities:
            return await super().send_activities(context, activities)  # the SDK's errors
        responses: list[ResourceResponse] = []
        for activity in activities:
            if _sdk_handles(activity):
                responses.extend(await super().send_activities(context, [activity]))
                continue
            client = context.turn_state.get(self.BOT_CONNECTOR_CLIENT_KEY)
            if not client:
                return await super().send_activities(context, [activity])  # the SDK's error
            activity.id = None
            responses.append(await self._post(client, activity))
        return responses

    async def _post(self, client: Any, activity: Activity) -> ResourceResponse:
        config = client.config
        url = f"{config.base_url.rstrip('/')}/v3/conversations/{quote(activity.conversation.id, safe='')}/activities"
        if activity.reply_to_id:
            url += "/" + quote(activity.reply_to_id, safe="")
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8",
                   "User-Agent": config.user_agent}
        authorization = await self._headers.header(config.credentials, _returning(config.credentials))
        if authorization:
            headers["Authorization"] = authorization
        data = json.dumps(activity.serialize())
        try:
            async with self._http.session().post(url, data=data, headers=headers) as resp:
                raw = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ClientRequestError(f"Error occurred in request: {type(exc).__name__}", exc) from exc
        if resp.status not in _ACCEPTED:
            # msrest's own exception, from the same response (the error body deserialised as the SDK does).
            raise ErrorResponseException(client.conversations._deserialize,  # noqa: SLF001 - the SDK's deserialiser
                                         _Response(ClientRequest("POST", url), resp, raw))
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            return ResourceResponse(id=answer.get("id"))
        return ResourceResponse(id=activity.id or "")


def _returning(value: Any) -> Any:
    async def found() -> Any:
        return value

    return found
