"""Outgoing HTTP that never blocks the event loop, and one connector client per service URL.

botbuilder builds a new `ConnectorClient` (msrest configuration, pipeline, serializers and a
`requests` session) for every turn and every proactive send, about 2 ms of CPU each, and sends
through blocking `requests` in the loop's default executor (6 threads on 2 cores, no timeout).
Here the adapter's authentication is wrapped so that its connector factories hand out one cached
client per (app id, audience, service URL), whose pipeline ends in one shared aiohttp session
with connect and read timeouts and a bounded number of connections. The bearer token for the
connector comes from MSAL, which may block on the network: it is fetched in a small executor.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult, AuthenticationConstants, BotFrameworkAuthentication, ClaimsIdentity,
    ConnectorFactory, UserTokenClient,
)
from botframework.connector.auth._built_in_bot_framework_authentication import _BuiltinBotFrameworkAuthentication
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import AsyncClientResponse, ClientRequest
from multidict import CIMultiDict


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_connections: int = 64
    token_threads: int = 2


class HttpClient:
    """The process's outgoing HTTP: one aiohttp session (made in the running loop on first use)
    and a small executor for the blocking token calls the SDK's credentials make."""

    def __init__(self, limits: HttpLimits = HttpLimits()) -> None:
        self.limits = limits
        self._session: aiohttp.ClientSession | None = None
        self.executor = ThreadPoolExecutor(max_workers=limits.token_threads, thread_name_prefix="peerspace-token")

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=None, connect=self.limits.connect_timeout,
                                     sock_connect=self.limits.connect_timeout, sock_read=self.limits.read_timeout)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.limits.max_connections), timeout=self.timeout)
        return self._session

    async def get_json(self, url: str) -> Any:
        async with self.session().get(url) as resp:
            resp.raise_for_status()
            return await resp.json(content_type=None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


class _Response(AsyncClientResponse):
    """What msrest's deserialisers and error types read from a response, body already loaded."""

    def __init__(self, request: ClientRequest, resp: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, resp)
        self.status_code = resp.status
        self.headers = CIMultiDict(resp.headers)
        self.reason = resp.reason
        self._body = body

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code is not None and self.status_code >= 400:
            raise ClientRequestError(f"HTTP {self.status_code}")


class AioHttpSender(AsyncHTTPSender):
    """The end of a connector client's msrest pipeline: the request goes out on aiohttp."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    async def __aenter__(self) -> "AioHttpSender":
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None

    def build_context(self) -> Any:
        return None

    async def send(self, request: Request, **config: Any) -> Response:
        out = request.http_request
        if out.files:
            raise ClientRequestError("multipart requests are not supported by this sender")
        try:
            async with self._http.session().request(out.method, out.url, headers=out.headers, data=out.data) as resp:
                body = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # As msrest's own senders do: a failure to connect or read carries no status.
            raise ClientRequestError(f"Error occurred in request: {type(exc).__name__}", exc) from exc
        return Response(request, _Response(out, resp, body))


def _anonymous(credentials: Any) -> bool:
    """As botbuilder's AppCredentials decides: no app id (development mode), no token."""
    app_id = getattr(credentials, "microsoft_app_id", None)
    return not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID


def _authorization(credentials: Any) -> str | None:
    """The Authorization header the SDK's credentials would set on a requests session (blocking)."""
    holder = SimpleNamespace(headers={})
    credentials.signed_session(holder)
    return holder.headers.get("Authorization")


class _BearerPolicy(AsyncHTTPPolicy):
    def __init__(self, credentials: Any, http: HttpClient) -> None:
        super().__init__()
        self._credentials = credentials
        self._http = http

    async def send(self, request: Request, **kwargs: Any) -> Response:
        if self._credentials is not None and not _anonymous(self._credentials):
            loop = asyncio.get_running_loop()
            header = await loop.run_in_executor(self._http.executor, _authorization, self._credentials)
            if header:
                request.http_request.headers["Authorization"] = header
        assert self.next is not None  # set by the pipeline that holds this policy
        return await self.next.send(request, **kwargs)


def async_pipeline(config: Any, http: HttpClient) -> AsyncPipeline:
    """msrest's default policies for an SDK client, with the token fetched off the loop and aiohttp."""
    return AsyncPipeline([config.user_agent_policy, _BearerPolicy(config.credentials, http), RawDeserializer(),
                          config.http_logger_policy], AioHttpSender(http))


class ConnectorClients:
    """Connector clients by (app id, audience, service URL), least recently used dropped first."""

    def __init__(self, http: HttpClient, max_clients: int = 64) -> None:
        self.http = http
        self._max = max_clients
        self._clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._user_token_clients: dict[Any, UserTokenClient] = {}
        self.created = 0

    async def client(self, factory: ConnectorFactory, service_url: str, audience: str | None) -> Any:
        # The factory's app id and default scope (botbuilder's _ConnectorFactoryImpl) are part
        # of what its clients authenticate as; a factory without them is keyed by identity.
        # (No app id, in development mode, reads as None from a request and "" from settings.)
        key = (getattr(factory, "_app_id", id(factory)) or None,
               audience or getattr(factory, "_to_channel_from_bot_oauth_scope", None), service_url)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = await factory.create(service_url, audience)
        client._client.config.pipeline = async_pipeline(client.config, self.http)  # noqa: SLF001 - msrest's slot
        self.created += 1
        self._clients[key] = client
        while len(self._clients) > self._max:
            self._clients.popitem(last=False)
        return client

    def user_token_client(self, app_id: Any) -> UserTokenClient | None:
        return self._user_token_clients.get(app_id)

    def keep_user_token_client(self, app_id: Any, client: UserTokenClient) -> None:
        if len(self._user_token_clients) < self._max:
            self._user_token_clients[app_id] = client


class _SharedFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, clients: ConnectorClients) -> None:
        self._inner = inner
        self._clients = clients

    async def create(self, service_url: str, audience: str = None) -> Any:  # type: ignore[assignment]
        return await self._clients.client(self._inner, service_url, audience)


class SharedClientsAuthentication(BotFrameworkAuthentication):
    """The SDK's authentication, unchanged, except that connector and user-token clients are reused."""

    def __init__(self, inner: BotFrameworkAuthentication, clients: ConnectorClients) -> None:
        self._inner = inner
        self.clients = clients

    def _shared(self, factory: ConnectorFactory | None) -> ConnectorFactory | None:
        return _SharedFactory(factory, self.clients) if factory is not None else None

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        result.connector_factory = self._shared(result.connector_factory)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str
                                             ) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_streaming_request(auth_header, channel_id_header)
        result.connector_factory = self._shared(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _SharedFactory(self._inner.create_connector_factory(claims_identity), self.clients)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # Built per turn by the SDK (another msrest client); only OAuth prompts would use it.
        app_id = _BuiltinBotFrameworkAuthentication.get_app_id(claims_identity)
        client = self.clients.user_token_client(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self.clients.keep_user_token_client(app_id, client)
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)
