"""Proactive sends as one JSON POST each, straight to the Bot Connector over the shared aiohttp session.

The SDK's way (`continue_conversation`, a turn context, `send_activity`) costs several
milliseconds of CPU per message: a continuation activity and turn context are built, and the
activity is serialised, validated, deep-copied and its answer deserialised by msrest. A fan-out of
thousands of messages at Teams' 50 per second spends half a core on that. Here the activity is
turned into JSON bytes once per message (addressed exactly as `TurnContext.apply_conversation_reference`
addresses it) and posted to `/v3/conversations/{id}/activities` as the SDK's connector client
would, with the same bearer token (the SDK's own credentials, read in the token executor and kept
for a minute; MSAL caches the token itself for far longer).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import Activity

from bot.connector import ConnectorClients, SharedClientsAuthentication, _anonymous, _authorization

TOKEN_KEPT_SECONDS = 60.0


@dataclass(frozen=True)
class Answer:
    """What the connector answered: status (None when no answer came), Retry-After, activity id."""

    status: int | None
    retry_after: float | None = None
    activity_id: str | None = None


def activity_json(activity: Activity | dict[str, Any]) -> dict[str, Any]:
    """The activity as the JSON the connector reads; a plain dict is taken as already that JSON."""
    return dict(activity) if isinstance(activity, dict) else activity.serialize()


def addressed(body: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """`body` addressed into the conversation of a stored reference (the camelCase JSON the bot
    stores, bot.turns.seen_conversation), as `TurnContext.apply_conversation_reference` does."""
    body = {**body, "channelId": reference.get("channelId"), "locale": reference.get("locale"),
            "serviceUrl": reference["serviceUrl"], "conversation": reference["conversation"],
            "from": reference.get("bot"), "recipient": reference.get("user")}
    if reference.get("activityId"):
        body["replyToId"] = reference["activityId"]
    body.pop("id", None)  # as the SDK's send_activities: the service names the activity
    return {key: value for key, value in body.items() if value is not None}


class DirectSender:
    """Posts addressed activity JSON through the adapter's shared connector clients' HTTP session."""

    def __init__(self, adapter: CloudAdapterBase, clients: ConnectorClients, app_id: str) -> None:
        self._adapter = adapter
        self._clients = clients
        self._app_id = app_id
        self._headers = BearerHeaders(clients.http.executor)  # by service URL

    @classmethod
    def of(cls, adapter: Any, app_id: str) -> DirectSender | None:
        """The direct sender for the app's adapter; None for any other (tests' own adapters)."""
        auth = getattr(adapter, "bot_framework_authentication", None)
        if isinstance(adapter, CloudAdapterBase) and isinstance(auth, SharedClientsAuthentication):
            return cls(adapter, auth.clients, app_id)
        return None

    async def post(self, body: dict[str, Any], data: bytes, answered: Callable[[], None] = lambda: None) -> Answer:
        """POST `data` (the JSON of `body`, an `addressed` activity) to its conversation.

        `answered` is called the moment the answer's status line is in, before its body is read:
        the messenger gives its rate-limit permit back then (the sooner, the less time each
        request holds its place in Teams' windows)."""
        service_url = body["serviceUrl"].rstrip("/")
        url = f"{service_url}/v3/conversations/{quote(body['conversation']['id'], safe='')}/activities"
        if body.get("replyToId"):
            url += "/" + quote(body["replyToId"], safe="")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            authorization = await self._header(service_url)
        except Exception:  # noqa: BLE001 - no token (MSAL, network): as a failed connection, retried
            return Answer(None)
        if authorization:
            headers["Authorization"] = authorization
        try:
            async with self._clients.http.session().post(url, data=data, headers=headers) as resp:
                answered()
                raw = await resp.read()
                status, retry_after = resp.status, retry_after_seconds(resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return Answer(None)  # no answer: as the SDK's senders, a failure without a status
        if status >= 400:
            return Answer(status, retry_after)
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        return Answer(status, activity_id=answer.get("id") if isinstance(answer, dict) else None)

    async def _header(self, service_url: str) -> str | None:
        async def credentials() -> Any:
            # The SDK's own client for this service URL, and so its credentials (and their scope).
            factory = self._adapter.bot_framework_authentication.create_connector_factory(
                self._adapter.create_claims_identity(self._app_id))
            return (await factory.create(service_url, None)).config.credentials

        return await self._headers.header(service_url, credentials)


class BearerHeaders:
    """The Authorization header the SDK's credentials would set, read in the token executor and
    kept for a minute per key (MSAL caches the token itself for far longer)."""

    def __init__(self, executor: Executor, max_kept: int = 128) -> None:
        self._executor = executor
        self._max = max_kept
        self._kept: dict[Any, tuple[str | None, float]] = {}  # key -> (header, until)

    async def header(self, key: Any, credentials: Callable[[], Awaitable[Any]]) -> str | None:
        """The header for `key`; `credentials` is awaited only when none is kept (None: no token)."""
        kept = self._kept.get(key)
        now = time.monotonic()
        if kept is not None and kept[1] > now:
            return kept[0]
        found = await credentials()
        header = None
        if found is not None and not _anonymous(found):
            loop = asyncio.get_running_loop()
            header = await loop.run_in_executor(self._executor, _authorization, found)
        if len(self._kept) >= self._max:
            self._kept.clear()
        self._kept[key] = (header, now + TOKEN_KEPT_SECONDS)
        return header


def retry_after_seconds(raw: str | None) -> float | None:
    """A Retry-After header in seconds (the form Teams sends); None if absent or unreadable."""
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None
