"""Outgoing HTTP never blocks the event loop: connector clients are reused, requests time out,
a slow connector does not hold up other turns, and signing keys are fetched off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import MessageFactory
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from msrest.exceptions import ClientRequestError

from bot.app import http_client
from bot.connector import HttpClient, HttpLimits, async_pipeline
from bot.messenger import Outcome
from bot.signing_keys import SigningKeys
from bot.turns import seen_conversation
from tests import factories
from tests.conftest import make_settings


@contextlib.asynccontextmanager
async def ticking() -> AsyncIterator[list[int]]:
    """Counts how often another coroutine got the loop while the body ran."""
    ticks = [0]

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.005)
            ticks[0] += 1

    task = asyncio.get_running_loop().create_task(tick())
    try:
        yield ticks
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- connector clients ---------------------------------------------------------------------


async def test_one_connector_client_serves_every_turn_and_proactive_send(harness, monkeypatch):
    built: list[str] = []
    real_init = ConnectorClient.__init__

    def counted(self, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("base_url") or args[1])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ConnectorClient, "__init__", counted)
    for text in ("help", "my data", "help"):
        assert (await harness.say(text)).status == 200
    assert (await harness.say("help", factories.BOB)).status == 200
    reference = seen_conversation(Activity().deserialize(
        factories.message("hi", factories.ALICE, service_url=harness.connector.url))).reference
    result = await harness.components.messenger.send(reference, MessageFactory.text("a notice"))
    assert result.outcome is Outcome.SENT
    assert len(harness.connector.sent) == 5
    assert built == [harness.connector.url]


async def test_a_slow_connector_does_not_hold_up_other_turns(harness):
    """More replies wait on the connector at once than the SDK's default thread pool has threads
    (min(32, CPUs + 4)), and the loop keeps running other coroutines meanwhile."""
    default_threads = min(32, (os.cpu_count() or 1) + 4)
    people = [factories.Person(f"29:p{i}", f"aad-p{i}", f"Person {i}") for i in range(default_threads + 4)]
    harness.connector.latency = 2.0
    async with ticking() as ticks:
        answers = await asyncio.gather(*(harness.say("hello", p) for p in people))
    assert [a.status for a in answers] == [200] * len(people)
    assert harness.connector.peak_in_flight > default_threads
    assert ticks[0] > 0


async def test_outgoing_requests_time_out(connector):
    connector.latency = 3.0
    http = HttpClient(HttpLimits(connect_timeout=1.0, read_timeout=0.2))
    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url=connector.url)
    client._client.config.pipeline = async_pipeline(client.config, http)  # noqa: SLF001 - as bot/connector does
    try:
        with pytest.raises(ClientRequestError):
            await client.conversations.reply_to_activity("c1", "a1", MessageFactory.text("late"))
    finally:
        await http.close()
    assert connector.sent == []


def test_timeouts_and_connection_limit_come_from_settings(tmp_path):
    http = http_client(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", http_connect_timeout=2.5,
                                     http_read_timeout=12, http_max_connections=9))
    assert (http.timeout.connect, http.timeout.sock_connect, http.timeout.sock_read) == (2.5, 2.5, 12)
    assert http.timeout.total is None and http.limits.max_connections == 9


# --- signing keys --------------------------------------------------------------------------


def _jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
    return jwk


class KeyServer:
    """OpenID metadata and keys, answered slowly on this test's own event loop: a blocking fetch
    from the loop could never be answered."""

    def __init__(self) -> None:
        self.keys = [_jwk("k1")]
        self.requests: list[str] = []
        self.server: TestServer | None = None

    async def _meta(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.sleep(0.05)
        return web.json_response({"jwks_uri": str(request.url.with_path("/keys"))})

    async def _keys(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.sleep(0.05)
        return web.json_response({"keys": self.keys})

    async def start(self) -> "KeyServer":
        app = web.Application()
        app.router.add_get("/meta", self._meta)
        app.router.add_get("/keys", self._keys)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/meta"))


@pytest.fixture
async def key_server() -> AsyncIterator[KeyServer]:
    server = await KeyServer().start()
    yield server
    JwtTokenExtractor.metadataCache.pop(server.url, None)
    assert server.server is not None
    await server.server.close()


async def test_signing_keys_are_fetched_off_the_loop_at_start_and_then_cached(key_server):
    http = HttpClient()
    keys = SigningKeys(http, [key_server.url])
    try:
        async with ticking() as ticks:
            await keys.start()
        assert key_server.requests == ["/meta", "/keys"] and ticks[0] > 0
        source = JwtTokenExtractor.get_open_id_metadata(key_server.url)  # what botbuilder's validation asks
        assert source is keys.sources[key_server.url]
        assert (await source.get("k1")).endorsements == ["msteams"]
        assert await source.get("k1") is not None
        assert key_server.requests == ["/meta", "/keys"]
    finally:
        await keys.stop()
        await http.close()


async def test_stale_keys_are_refreshed_in_the_background_and_unknown_ones_rarely(key_server):
    http = HttpClient()
    keys = SigningKeys(http, [key_server.url])
    try:
        await keys.start()
        source = keys.sources[key_server.url]
        source.last_updated = datetime.now() - timedelta(days=2)
        key_server.keys.append(_jwk("k2"))
        assert await source.get("k1") is not None  # answered with the keys held, at once
        assert len(key_server.requests) == 2
        await source.refresh_soon()  # the refresh that get() started
        assert len(key_server.requests) == 4 and await source.get("k2") is not None
        assert await source.get("unknown") is None  # refreshed a moment ago: no refetch per token
        assert len(key_server.requests) == 4
    finally:
        await keys.stop()
        await http.close()


async def test_keys_are_kept_fresh_by_a_background_task(key_server):
    http = HttpClient()
    keys = SigningKeys(http, [key_server.url], refresh_every=timedelta(seconds=0.01))
    try:
        await keys.start()
        for _ in range(500):
            if keys.sources[key_server.url].fetches >= 3:
                break
            await asyncio.sleep(0.01)
        assert keys.sources[key_server.url].fetches >= 3
    finally:
        await keys.stop()
        await http.close()
