"""The HTTP edge under hostile or broken input, through the real app over HTTP.

* Development mode (no app id): malformed or non-activity JSON -> 400, oversized bodies -> 413,
  and no odd input ever gets a 5xx; none of the refusals reaches bot code.
* With an app id: bearer tokens are checked against a local OpenID metadata + JWKS server (run in
  a thread: botbuilder fetches the keys with blocking `requests` from inside the event loop, so a
  server on the same loop would deadlock). A valid token is answered; every kind of bad token is a
  401 before any bot code runs.
* Tenant allow-list, redelivered invokes, and logs that never hold what people typed.

Every test runs behind a network guard (only loopback addresses can be resolved or connected to,
so a stray call to Microsoft fails at once and is recorded) and a wall-clock limit.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import jwt
import pytest
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

from bot.logs import configure_logging
from storage.activities import ActivityLedger
from storage.models import ProcessedActivity, User
from tests import factories
from tests.conftest import BotHarness, make_settings, start_harness
from tests.factories import ALICE

APP_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
OTHER_APP_ID = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KID = "test-key"
TEST_LIMIT_SECONDS = 60
MARKER_TEXT = "zebra-marker-7f3a"
MARKER_VALUE = "okapi-marker-91c2"
MARKER_ERROR = "lemur-marker-c0de"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "ip6-localhost"}


# --- guards: no real network, bounded time ---------------------------------------------------


@pytest.fixture(autouse=True)
def blocked_hosts(monkeypatch) -> list[str]:
    """Refuse (at once) any name lookup or connection that is not to this machine; record it."""
    blocked: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and str(name) not in _LOOPBACK:
            blocked.append(str(name))
            raise socket.gaierror(socket.EAI_NONAME, f"network blocked by test: {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guard_connect(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
                blocked.append(str(address[0]))
                raise ConnectionRefusedError(f"network blocked by test: {address[0]}")
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guard_connect(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard_connect(socket.socket.connect_ex))
    return blocked


@pytest.fixture(autouse=True)
def time_limit() -> Iterator[None]:
    """Fail a test that runs too long, even inside a blocking call (SIGALRM interrupts it)."""

    def expire(_signum, _frame):
        pytest.fail(f"took longer than {TEST_LIMIT_SECONDS}s (a blocking network call?)", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_LIMIT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- helpers --------------------------------------------------------------------------------


async def _count(h: BotHarness, model) -> int:
    async with h.components.services.db() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def assert_bot_code_never_ran(h: BotHarness) -> None:
    assert h.connector.sent == [], "the bot answered a refused request"
    assert await _count(h, User) == 0, "the bot recorded the sender of a refused request"
    assert await _count(h, ProcessedActivity) == 0, "a refused request used up its activity id"


async def post_raw(h: BotHarness, body: bytes, headers: dict[str, str] | None = None):
    return await h.client.post("/api/messages", data=body,
                               headers={"Content-Type": "application/json", **(headers or {})})


def msg(h: BotHarness, text: str = "help", **kw: Any) -> dict[str, Any]:
    return factories.message(text, ALICE, service_url=h.connector.url, **kw)


@pytest.fixture
async def make_harness(db_url, connector, clock) -> AsyncIterator[Callable[..., Awaitable[BotHarness]]]:
    """Start the real app with settings overrides; everything started is closed afterwards."""
    started: list[BotHarness] = []

    async def make(**overrides: Any) -> BotHarness:
        h = await start_harness(make_settings(db_url, **overrides), connector, clock)
        started.append(h)
        return h

    yield make
    for h in started:
        await h.client.close()


# --- development mode: malformed input --------------------------------------------------------


_MALFORMED_BODIES = {
    "brace": b"{", "empty": b"", "text": b"not json", "single-quotes": b"{'type': 'message'}",
    "trailing-comma": b'{"type": "message",}', "bad-utf8": b"\xff\xfe\x00", "null": b"null",
    "number": b"42", "string": b'"message"', "bool": b"true", "nan-only": b"NaN",
}


async def test_malformed_json_is_400_and_runs_no_bot_code(harness):
    wrong = {}
    for name, body in _MALFORMED_BODIES.items():
        resp = await post_raw(harness, body)
        if resp.status != 400 or "error" not in await resp.json():
            wrong[name] = (resp.status, await resp.text())
    assert wrong == {}
    await assert_bot_code_never_ran(harness)


def _not_activities(url: str) -> list[tuple[str, Any]]:
    good = factories.message("help", ALICE, service_url=url)

    def without(*path: str) -> dict[str, Any]:
        activity = json.loads(json.dumps(good))
        node = activity
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return activity

    def with_(key: str, value: Any) -> dict[str, Any]:
        return {**json.loads(json.dumps(good)), key: value}

    return [
        ("list", [good]),
        ("empty-object", {}),
        ("missing-type", without("type")),
        ("type-number", with_("type", 7)),
        ("type-null", with_("type", None)),
        ("type-object", with_("type", {"x": 1})),
        ("missing-conversation", without("conversation")),
        ("conversation-null", with_("conversation", None)),
        ("conversation-without-id", without("conversation", "id")),
        ("conversation-empty-id", with_("conversation", {"id": ""})),
        ("conversation-string", with_("conversation", "a:personal")),
        ("conversation-id-nul", with_("conversation", {"id": "a:personal\u0000x"})),
        ("activity-id-nul", with_("id", "act\u0000")),
        ("missing-serviceUrl", without("serviceUrl")),
        ("serviceUrl-empty", with_("serviceUrl", "")),
        ("from-list", with_("from", [1, 2])),
        ("timestamp-garbage", with_("timestamp", "yesterday-ish")),
        ("entities-object", with_("entities", {"type": "clientInfo"})),
        ("attachments-string", with_("attachments", "card")),
    ]


async def test_json_that_is_not_an_activity_is_400_and_runs_no_bot_code(harness):
    wrong = {}
    for name, payload in _not_activities(harness.connector.url):
        resp = await harness.post(payload)
        if resp.status != 400:
            wrong[name] = (resp.status, await resp.text())
    assert wrong == {}
    await assert_bot_code_never_ran(harness)


# --- development mode: body size ---------------------------------------------------------------


def _padded(activity: dict[str, Any], size: int) -> bytes:
    """The activity as JSON, padded with trailing whitespace (still valid JSON) to exactly size."""
    raw = json.dumps(activity).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


async def _chunked(body: bytes, chunk: int = 16 * 1024):
    for start in range(0, len(body), chunk):
        yield body[start:start + chunk]
        await asyncio.sleep(0)


def test_default_body_limit_is_256_kb(settings):
    assert settings.max_body_bytes == 256 * 1024


async def test_body_over_limit_with_content_length_is_413(harness):
    limit = harness.components.settings.max_body_bytes
    resp = await post_raw(harness, _padded(msg(harness), limit + 1))
    assert resp.status == 413, await resp.text()
    await assert_bot_code_never_ran(harness)


async def test_body_over_limit_without_content_length_is_413(harness):
    limit = harness.components.settings.max_body_bytes
    body = _padded(msg(harness), limit + 1)
    resp = await harness.client.post("/api/messages", data=_chunked(body),
                                     headers={"Content-Type": "application/json"})
    assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in resp.request_info.headers
    assert resp.status == 413, await resp.text()
    await assert_bot_code_never_ran(harness)


async def test_huge_chunked_body_is_refused_without_reading_it_all(make_harness):
    h = await make_harness(max_body_bytes=4096)
    sent = 0

    async def endless():
        nonlocal sent
        yield json.dumps(msg(h)).encode()
        while sent < 50 * 1024 * 1024:
            sent += 64 * 1024
            yield b" " * (64 * 1024)
            await asyncio.sleep(0)

    try:
        resp = await h.client.post("/api/messages", data=endless(), headers={"Content-Type": "application/json"})
        status = resp.status
    except (aiohttp.ClientError, ConnectionError):  # the server may hang up while the client still sends
        status = "disconnected"
    assert status in (413, "disconnected")
    assert sent < 50 * 1024 * 1024, "the server kept reading a body far over the limit"
    await assert_bot_code_never_ran(h)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_exactly_at_limit_is_processed(harness, chunked):
    limit = harness.components.settings.max_body_bytes
    body = _padded(msg(harness), limit)
    resp = await harness.client.post("/api/messages", data=_chunked(body) if chunked else body,
                                     headers={"Content-Type": "application/json"})
    assert resp.status == 200, await resp.text()
    assert len(harness.connector.sent) == 1


# --- development mode: odd but well-formed input never gets a 5xx ----------------------------


def _odd_activities(url: str) -> list[tuple[str, Any]]:
    def m(**fields: Any) -> dict[str, Any]:
        base = factories.message("help", ALICE, service_url=url)
        for key, value in fields.items():
            if value is _DELETE:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    def e(verb: Any, data: Any = None, **fields: Any) -> dict[str, Any]:
        activity = factories.execute("about.show", None, ALICE, service_url=url)
        activity["value"]["action"]["verb"] = verb
        activity["value"]["action"]["data"] = data
        activity.update(fields)
        return activity

    huge = "x" * 200_000
    return [
        ("text-null", m(text=None)),
        ("text-number", m(text=12345)),
        ("text-object", m(text={"a": 1})),
        ("text-list", m(text=["help"])),
        ("text-huge", m(text=huge)),
        ("text-unicode", m(text="h\u00e9lp \U0001F600 \u202e\u0000 \u4f60\u597d \ufeff")),
        ("text-lone-surrogate", m(text="\ud800")),
        ("from-null", m(**{"from": None})),
        ("from-missing", m(**{"from": _DELETE})),
        ("from-id-number", m(**{"from": {"id": 29, "name": 5, "aadObjectId": []}})),
        ("from-name-huge", m(**{"from": {"id": "29:alice", "name": huge, "aadObjectId": "a" * 5000}})),
        ("from-name-surrogate", m(**{"from": {"id": "29:alice", "name": "\udfff", "aadObjectId": "aad-alice"}})),
        ("from-is-bot", m(**{"from": {"id": factories.BOT_ID}})),
        ("recipient-null", m(recipient=None)),
        ("conversation-id-number", m(conversation={"id": 12345})),
        ("conversation-id-huge", m(conversation={"id": "c" * 10_000, "conversationType": "personal"})),
        ("conversation-type-odd", m(conversation={"id": "a:x", "conversationType": "\u0000" * 50})),
        ("serviceUrl-number", m(serviceUrl=12345)),
        ("serviceUrl-not-a-url", m(serviceUrl="not a url")),
        ("channelData-string", m(channelData="tenant")),
        ("channelData-tenant-string", m(channelData={"tenant": "tenant-0001"})),
        ("channelData-tenant-id-number", m(channelData={"tenant": {"id": 1}})),
        ("channelData-tenant-id-huge", m(channelData={"tenant": {"id": "t" * 5000}})),
        ("channelData-team-list", m(channelData={"team": ["x"]})),
        ("entities-garbage", m(entities=[{"type": "clientInfo", "timezone": 5}, {"type": None}, {}])),
        ("entities-bad-zone", m(entities=[{"type": "clientInfo", "timezone": "Mars/Olympus_Mons"}])),
        ("entities-zone-huge", m(entities=[{"type": "clientInfo", "timezone": "Europe/" + "x" * 5000}])),
        ("mention-garbage", m(entities=[{"type": "mention", "mentioned": None, "text": 5}])),
        ("locale-huge", m(locale="en-" + "x" * 5000)),
        ("locale-number", m(locale=7)),
        ("localTimezone-odd", m(localTimezone="../../etc/passwd")),
        ("id-null", m(id=None)),
        ("id-huge", m(id="i" * 10_000)),
        ("id-number", m(id=42)),
        ("value-list", m(value=[1, 2, 3])),
        ("value-string", m(value="about.show")),
        ("value-verb-number", m(value={"verb": 3})),
        ("value-verb-unknown", m(value={"verb": "no.such.verb", "x": "y"})),
        ("value-deep", m(value={"verb": "about.show", "a": {"b": {"c": [1, {"d": None}]}}})),
        ("value-many-fields", m(value={"verb": "about.show", **{f"f{i}": i for i in range(500)}})),
        ("type-unknown", m(type="somethingNew")),
        ("type-empty", m(type="")),
        ("type-typing", m(type="typing")),
        ("type-event", m(type="event", name=None)),
        ("type-messageReaction", m(type="messageReaction", reactionsAdded=[{"type": None}])),
        ("type-conversationUpdate-junk", m(type="conversationUpdate", membersAdded=[{"id": None}, {}],
                                           membersRemoved="x")),
        ("type-installationUpdate-no-action", m(type="installationUpdate")),
        ("type-installationUpdate-odd-action", m(type="installationUpdate", action=["add"])),
        ("type-endOfConversation", m(type="endOfConversation")),
        ("invoke-no-name", m(type="invoke")),
        ("invoke-value-null", e("about.show", value=None)),
        ("invoke-value-string", e("about.show", value="x")),
        ("invoke-action-null", e("about.show", value={"action": None})),
        ("invoke-verb-null", e(None)),
        ("invoke-verb-number", e(5)),
        ("invoke-verb-huge", e("v" * 100_000)),
        ("invoke-data-list", e("about.show", [1, 2])),
        ("invoke-data-string", e("about.show", "x")),
        ("invoke-data-nested", e("about.show", {"x": {"y": {"z": 1}}})),
        ("invoke-data-value-huge", e("about.show", {"note": "n" * 100_000})),
        ("invoke-data-many-keys", e("about.show", {f"k{i}": "v" for i in range(1000)})),
        ("invoke-data-key-huge", e("about.show", {"k" * 5000: "v"})),
        ("invoke-verb-unknown", e("no.such.verb", {})),
        ("invoke-verb-dangerous", e("my_data.delete.confirm", {})),
    ]


_DELETE = object()
_HANDLED_INVOKES = {"adaptiveCard/action"}


def assert_no_server_error(status: int, activity: Any, detail: str) -> None:
    """No 5xx, except botbuilder's deliberate 501 Not Implemented for an invoke the bot has no
    handler for (Teams reads that as "unsupported", not as a crash)."""
    name = activity.get("name") if isinstance(activity, dict) else None
    if (status == 501 and activity.get("type") == "invoke"
            and not (isinstance(name, str) and name in _HANDLED_INVOKES)):
        return
    assert status < 500, detail


async def test_odd_activities_never_get_a_5xx(harness):
    failures = []
    for name, activity in _odd_activities(harness.connector.url):
        resp = await harness.post(activity)
        try:
            assert_no_server_error(resp.status, activity, f"{name}: {resp.status} {(await resp.text())[:200]}")
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert failures == []


async def test_reply_to_an_unreachable_service_url_is_bounded(harness, blocked_hosts):
    """Development mode replies wherever serviceUrl points; an unreachable one must not hang the
    request past Teams' ~15 s retry window (the connector client retries connection errors)."""
    started = time.monotonic()
    resp = await harness.post({**msg(harness), "serviceUrl": "https://smba.trafficmanager.net/emea/"})
    assert resp.status == 200
    assert time.monotonic() - started < 15
    assert "smba.trafficmanager.net" in blocked_hosts


@pytest.mark.parametrize("value, message", [
    (None, "Missing value property"),
    ("x", "Value property is not properly formed"),
    ({"action": None}, "Missing action property"),
    ({"action": {"type": "Action.Submit", "verb": "about.show"}}, "The action 'Action.Submit' is not supported."),
], ids=["null", "string", "no-action", "not-execute"])
async def test_malformed_card_action_gets_a_teams_error_response(harness, value, message):
    activity = factories.execute("about.show", None, ALICE, service_url=harness.connector.url)
    activity["value"] = value
    resp = await harness.post(activity)
    assert resp.status == 400, await resp.text()
    body = await resp.json()
    assert body["statusCode"] == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["message"] == message
    assert harness.connector.sent == []


async def test_lone_surrogates_in_raw_json_never_get_a_5xx(harness):
    body = json.dumps(msg(harness)).replace('"help"', '"\\udc80\\ud800 help"').encode()
    assert b"\\ud800" in body
    resp = await post_raw(harness, body)
    assert resp.status < 500, await resp.text()


# Hypothesis: JSON-ish activities, starting from a real one and replacing or dropping fields.

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
_ids = st.text(min_size=1, max_size=40) | _json
_account = st.fixed_dictionaries({}, optional={"id": _ids, "name": _json, "aadObjectId": _json, "role": _json})
_FIELDS: dict[str, st.SearchStrategy] = {
    "type": st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "event",
                             "messageReaction", "typing", "endOfConversation", "messageUpdate"]) | _json,
    "id": _ids,
    # Only URLs that fail at once: a refused connection costs ~10 s of connector-client retries.
    "serviceUrl": st.sampled_from(["CONNECTOR", "ftp://x", "not a url"]) | _json,
    "channelId": st.sampled_from(["msteams", "emulator", "webchat", ""]) | _json,
    "from": _account | _json,
    "recipient": _account | _json,
    "conversation": st.fixed_dictionaries({"id": _ids}, optional={
        "conversationType": st.sampled_from(["personal", "groupChat", "channel"]) | _json,
        "tenantId": _json, "isGroup": _json, "name": _json}) | _json,
    "text": st.text(max_size=300) | _json,
    "name": st.sampled_from(["adaptiveCard/action", "task/fetch", "composeExtension/query", "signin/verifyState"])
            | _json,
    "value": st.fixed_dictionaries({}, optional={
        "action": st.fixed_dictionaries({}, optional={
            "type": st.just("Action.Execute") | _json,
            "verb": st.sampled_from(["about.show", "my_data.show", "my_data.delete", "my_data.delete.confirm"])
                    | _json,
            "data": _json}),
        "verb": st.sampled_from(["about.show", "my_data.show"]) | _json,
        "trigger": _json}) | _json,
    "channelData": st.fixed_dictionaries({}, optional={
        "tenant": st.fixed_dictionaries({}, optional={"id": _ids}) | _json,
        "team": st.fixed_dictionaries({}, optional={"id": _ids}) | _json,
        "eventType": _json}) | _json,
    "entities": st.lists(st.fixed_dictionaries({"type": st.sampled_from(["clientInfo", "mention"]) | _json},
                                               optional={"timezone": _json, "locale": _json,
                                                         "mentioned": _account | _json, "text": _json}),
                         max_size=3) | _json,
    "attachments": st.lists(st.fixed_dictionaries({}, optional={"contentType": _json, "content": _json}),
                            max_size=2) | _json,
    "timestamp": st.sampled_from(["2026-11-23T10:00:00Z", "2026-13-45T99:00:00Z", ""]) | _json,
    "localTimestamp": _json,
    "locale": st.sampled_from(["en-GB", "", "x" * 100]) | _json,
    "localTimezone": st.sampled_from(["Europe/London", "Nowhere/Else"]) | _json,
    "replyToId": _json,
    "action": st.sampled_from(["add", "remove"]) | _json,
    "membersAdded": st.lists(_account | _json, max_size=3) | _json,
    "membersRemoved": st.lists(_account | _json, max_size=3) | _json,
    "reactionsAdded": _json,
}


_REPLACED = st.lists(st.sampled_from(sorted(_FIELDS)), min_size=1, max_size=4, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: _FIELDS[key] for key in keys}))


@hypothesis_settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(replaced=_REPLACED, dropped=st.sets(st.sampled_from(sorted(_FIELDS)), max_size=2))
async def test_fuzzed_activities_never_get_a_5xx(harness, replaced, dropped):
    activity = factories.execute("about.show", {"note": "n"}, ALICE, service_url=harness.connector.url)
    for key in dropped:
        activity.pop(key, None)
    activity.update(replaced)
    if activity.get("serviceUrl") == "CONNECTOR":
        activity["serviceUrl"] = harness.connector.url
    resp = await harness.post(activity)
    event(f"HTTP {resp.status}")
    assert_no_server_error(resp.status, activity, f"{resp.status} {await resp.text()} for {activity!r}")


# --- with an app id: bearer tokens against a local OpenID metadata server ----------------------


@dataclass
class OpenIdServer:
    """OpenID metadata + JWKS on 127.0.0.1, served from a thread (botbuilder fetches them with
    blocking `requests` inside the event loop)."""

    jwks: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/.well-known/openidconfiguration"

    def start(self) -> "OpenIdServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                owner.requests.append(self.path)
                if self.path == "/.well-known/openidconfiguration":
                    body = {"issuer": BOT_FRAMEWORK_ISSUER,
                            "authorization_endpoint": "https://invalid.example/authorize",
                            "jwks_uri": f"{owner.base}/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "token_endpoint_auth_methods_supported": ["private_key_jwt"]}
                elif self.path == "/keys":
                    body = owner.jwks
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="openid-test-server", daemon=True)
        self._thread.start()
        # botbuilder caches metadata per URL for a day, process-wide; a reused port must not see old keys.
        JwtTokenExtractor.metadataCache.pop(self.metadata_url, None)
        return self

    def stop(self) -> None:
        if self._server is not None:
            JwtTokenExtractor.metadataCache.pop(self.metadata_url, None)
            self._server.shutdown()
            self._server.server_close()


@dataclass(frozen=True)
class Keys:
    signing: rsa.RSAPrivateKey
    impostor: rsa.RSAPrivateKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    def new():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    return Keys(new(), new())


def _jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: list[str]) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256", "endorsements": endorsements})
    return jwk


@pytest.fixture
def openid(keys) -> Iterator[OpenIdServer]:
    server = OpenIdServer({"keys": [_jwk(keys.signing, KID, ["msteams"]),
                                    _jwk(keys.impostor, "webchat-only-key", ["webchat"])]}).start()
    yield server
    server.stop()


@dataclass
class OutgoingTokens:
    """Stands in for AAD: the bot's own token for replying (login.microsoftonline.com is offline)."""

    scopes: list[str] = field(default_factory=list)


@pytest.fixture
def outgoing_tokens(monkeypatch) -> OutgoingTokens:
    record = OutgoingTokens()

    def fake_get_access_token(self, force_refresh: bool = False) -> str:
        assert self.microsoft_app_id == APP_ID
        record.scopes.append(self.oauth_scope)
        return "test-outgoing-token"

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", fake_get_access_token)
    return record


def auth_settings(openid: OpenIdServer, **overrides: Any) -> dict[str, Any]:
    return {"dev_mode": False, "app_id": APP_ID, "app_password": "x" * 40, "signing_secret": "s" * 40,
            "openid_metadata_url": openid.metadata_url, **overrides}


@pytest.fixture
async def secured(make_harness, openid) -> BotHarness:
    return await make_harness(**auth_settings(openid))


_DROP = object()


def mint(key: rsa.RSAPrivateKey, service_url: str, *, kid: str | None = KID, alg: str = "RS256",
         **claims: Any) -> str:
    """A Bot Framework channel token: iss api.botframework.com, aud = our app id, serviceurl."""
    now = int(time.time())
    payload: dict[str, Any] = {"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": service_url,
                               "nbf": now - 60, "iat": now - 60, "exp": now + 3600}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not _DROP}
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_VALID_REFUSED = (
    "a valid channel token was refused. With only TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL set, botbuilder "
    "switches to _ParameterizedBotFrameworkAuthentication, whose expected issuer is then None, so a token "
    "with iss https://api.botframework.com never validates: bot/app.py _adapter must also set "
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER (and the outgoing login URL / scope) to the public-cloud values"
)


async def post_authenticated(h: BotHarness, activity: dict[str, Any], token: str, expected: int = 200):
    resp = await h.post(activity, headers=bearer(token))
    if resp.status == 401 and expected != 401:
        pytest.fail(_VALID_REFUSED, pytrace=False)
    assert resp.status == expected, await resp.text()
    return resp


async def test_valid_channel_token_is_answered(secured, keys, openid, outgoing_tokens, blocked_hosts):
    await post_authenticated(secured, msg(secured), mint(keys.signing, secured.connector.url))
    assert await _count(secured, User) == 1
    assert len(secured.connector.sent) == 1, "the reply did not reach the connector"
    assert outgoing_tokens.scopes == ["https://api.botframework.com"], "the reply was not authenticated"
    assert "/.well-known/openidconfiguration" in openid.requests and "/keys" in openid.requests
    assert blocked_hosts == []


async def test_valid_token_answers_an_invoke_in_the_response(secured, keys, outgoing_tokens):
    activity = factories.execute("about.show", None, ALICE, service_url=secured.connector.url)
    resp = await post_authenticated(secured, activity, mint(keys.signing, secured.connector.url))
    assert (await resp.json())["statusCode"] == 200


async def test_without_outgoing_credentials_the_turn_runs_but_the_reply_is_lost(
        secured, keys, openid, blocked_hosts, caplog):
    """No stand-in for AAD: getting the bot's own token fails offline (at once, behind the guard)."""
    caplog.set_level(logging.INFO)
    await post_authenticated(secured, msg(secured), mint(keys.signing, secured.connector.url))
    assert await _count(secured, User) == 1, "the turn did not run"
    assert secured.connector.sent == []
    assert "login.microsoftonline.com" in blocked_hosts, blocked_hosts
    assert any("turn failed" in r.getMessage() for r in caplog.records)


async def test_missing_authorization_header_is_401(secured, openid):
    fetched_at_start = list(openid.requests)  # the keys are fetched at start-up (bot/signing_keys.py)
    resp = await secured.post(msg(secured))
    assert resp.status == 401
    await assert_bot_code_never_ran(secured)
    assert openid.requests == fetched_at_start


def _bad_tokens(keys: Keys, url: str) -> dict[str, str]:
    now = int(time.time())
    good = mint(keys.signing, url)
    head, body, sig = good.split(".")
    other_sig = mint(keys.signing, url, aud=OTHER_APP_ID).split(".")[2]
    public_pem = keys.signing.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {
        "not-a-jwt": "Bearer notajwt",
        "garbage-base64": "Bearer " + base64.b64encode(b"\x00\xff" * 40).decode(),
        "garbage-three-parts": "Bearer aaa.bbb.ccc",
        "empty-bearer": "Bearer ",
        "basic-scheme": "Basic " + base64.b64encode(b"user:pass").decode(),
        "token-without-scheme": good,
        "lowercase-scheme": f"bearer {good}",
        "expired": "Bearer " + mint(keys.signing, url, exp=now - 3600, nbf=now - 7200, iat=now - 7200),
        "not-yet-valid": "Bearer " + mint(keys.signing, url, nbf=now + 3600, iat=now),
        "signed-by-another-key-same-kid": "Bearer " + mint(keys.impostor, url),
        "key-endorsed-for-another-channel": "Bearer " + mint(keys.impostor, url, kid="webchat-only-key"),
        "unknown-kid": "Bearer " + mint(keys.signing, url, kid="no-such-key"),
        "no-kid": "Bearer " + mint(keys.signing, url, kid=None),
        "wrong-audience": "Bearer " + mint(keys.signing, url, aud=OTHER_APP_ID),
        "no-audience": "Bearer " + mint(keys.signing, url, aud=_DROP),
        "wrong-issuer": "Bearer " + mint(keys.signing, url, iss="https://evil.example"),
        "no-issuer": "Bearer " + mint(keys.signing, url, iss=_DROP),
        "emulator-issuer": "Bearer " + mint(
            keys.signing, url, iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
            ver="1.0", appid=APP_ID),
        "skill-shaped": "Bearer " + mint(keys.signing, url, ver="2.0", azp=OTHER_APP_ID, appid=OTHER_APP_ID),
        "other-service-url": "Bearer " + mint(keys.signing, url, serviceurl="https://smba.trafficmanager.net/x/"),
        "no-service-url": "Bearer " + mint(keys.signing, url, serviceurl=_DROP),
        "tampered-payload": "Bearer " + ".".join([head, mint(keys.signing, url, aud=OTHER_APP_ID).split(".")[1], sig]),
        "swapped-signature": "Bearer " + ".".join([head, body, other_sig]),
        "alg-none": "Bearer " + jwt.encode({"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": url,
                                            "exp": now + 3600}, None, algorithm="none", headers={"kid": KID}),
        "hs256-with-public-key": "Bearer " + _hs256_with_public_key(public_pem, url, now),
    }


def _hs256_with_public_key(public_pem: bytes, url: str, now: int) -> str:
    """The classic key-confusion forgery: HMAC keyed with the (public) RSA key."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    payload = b64(json.dumps({"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": url,
                              "exp": now + 3600}).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


async def test_bad_tokens_are_401_and_run_no_bot_code(secured, keys, outgoing_tokens, blocked_hosts):
    wrong = {}
    for name, header in _bad_tokens(keys, secured.connector.url).items():
        resp = await secured.post(msg(secured), headers={"Authorization": header})
        if resp.status != 401:
            wrong[name] = (resp.status, await resp.text())
    assert wrong == {}
    await assert_bot_code_never_ran(secured)
    assert outgoing_tokens.scopes == []
    assert blocked_hosts == [], f"a bad token made the bot try the network: {blocked_hosts}"


async def test_refused_token_does_not_use_up_the_activity_id(secured, keys, outgoing_tokens):
    """An attacker replaying a real activity id with a bad token must not block the real delivery."""
    activity = msg(secured)
    bad = await secured.post(activity, headers=bearer(mint(keys.impostor, secured.connector.url)))
    assert bad.status == 401
    await post_authenticated(secured, activity, mint(keys.signing, secured.connector.url))
    assert len(secured.connector.sent) == 1


async def test_malformed_json_with_an_app_id_is_400_not_500(secured, keys):
    """With a valid token; without one the body is never parsed (a 401, tests/test_edge_admission.py)."""
    body = b'{"type": "message", '
    resp = await post_raw(secured, body, headers=bearer(mint(keys.signing, secured.connector.url)))
    assert resp.status == 400
    assert (await post_raw(secured, body, headers=bearer("whatever"))).status == 401
    await assert_bot_code_never_ran(secured)


# --- tenant allow-list -------------------------------------------------------------------------


def test_dev_mode_accepts_a_tenant_restriction(db_url):
    settings = make_settings(db_url, app_tenant_id=factories.TENANT)
    assert settings.dev_mode and settings.app_tenant_id == factories.TENANT


@pytest.mark.parametrize("tenant", ["tenant-9999", None, "tenant-0001x"], ids=["other", "none", "prefix-match"])
async def test_dev_mode_refuses_other_tenants(make_harness, tenant):
    h = await make_harness(app_tenant_id=factories.TENANT)
    activity = factories.message("help", ALICE, service_url=h.connector.url, tenant=tenant)
    resp = await h.post(activity)
    assert resp.status == 403, await resp.text()
    await assert_bot_code_never_ran(h)


async def test_dev_mode_refuses_a_tenant_only_claimed_in_conversation(make_harness):
    """Teams sends channelData.tenant.id; conversation.tenantId alone is not trusted to match."""
    h = await make_harness(app_tenant_id=factories.TENANT)
    activity = factories.message("help", ALICE, service_url=h.connector.url, tenant="tenant-9999")
    activity["conversation"]["tenantId"] = factories.TENANT
    resp = await h.post(activity)
    assert resp.status == 403
    await assert_bot_code_never_ran(h)


@pytest.mark.parametrize("tenant", [factories.TENANT, factories.TENANT.upper()], ids=["same", "other-case"])
async def test_dev_mode_processes_the_allowed_tenant(make_harness, tenant):
    h = await make_harness(app_tenant_id=factories.TENANT)
    resp = await h.post(factories.message("help", ALICE, service_url=h.connector.url, tenant=tenant))
    assert resp.status == 200, await resp.text()
    assert await _count(h, User) == 1
    assert len(h.connector.sent) == 1


@pytest.fixture
async def single_tenant(make_harness, openid) -> BotHarness:
    return await make_harness(**auth_settings(openid, app_type="SingleTenant", app_tenant_id=factories.TENANT))


async def test_single_tenant_refuses_another_tenant_after_auth(single_tenant, keys, outgoing_tokens):
    h = single_tenant
    activity = factories.message("help", ALICE, service_url=h.connector.url, tenant="tenant-9999")
    await post_authenticated(h, activity, mint(keys.signing, h.connector.url), expected=403)
    await assert_bot_code_never_ran(h)
    assert outgoing_tokens.scopes == []


async def test_single_tenant_bad_token_is_401_before_the_tenant_check(single_tenant, keys):
    h = single_tenant
    activity = factories.message("help", ALICE, service_url=h.connector.url, tenant="tenant-9999")
    resp = await h.post(activity, headers=bearer(mint(keys.impostor, h.connector.url)))
    assert resp.status == 401
    await assert_bot_code_never_ran(h)


async def test_single_tenant_processes_its_own_tenant(single_tenant, keys, outgoing_tokens):
    h = single_tenant
    await post_authenticated(h, msg(h), mint(keys.signing, h.connector.url))
    assert await _count(h, User) == 1
    assert len(h.connector.sent) == 1


# --- redelivery ------------------------------------------------------------------------------


async def test_redelivered_invoke_is_processed_once(harness):
    activity = factories.execute("about.show", None, ALICE, service_url=harness.connector.url)
    first = await harness.post(activity)
    second = await harness.post(activity)
    assert first.status == 200 and second.status == 200
    assert (await first.json())["statusCode"] == 200
    assert len(harness.connector.all_cards()) == 1
    # A different press of the same button is a new activity and is answered again.
    await harness.press("about.show")
    assert len(harness.connector.all_cards()) == 2


async def test_concurrent_redeliveries_of_an_invoke_are_processed_once(harness):
    activity = factories.execute("about.show", None, ALICE, service_url=harness.connector.url)
    responses = await asyncio.gather(*(harness.post(activity) for _ in range(5)))
    assert [r.status for r in responses] == [200] * 5
    assert len(harness.connector.all_cards()) == 1


async def test_turn_failing_outside_the_bot_is_retried_on_redelivery(harness, monkeypatch):
    adapter = harness.components.adapter
    real = adapter.process_activity
    calls = 0

    async def flaky(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(adapter, "process_activity", flaky)
    activity = msg(harness)
    first = await harness.post(activity)
    assert first.status == 503
    second = await harness.post(activity)
    assert second.status == 200
    assert len(harness.connector.sent) == 1


async def test_ledger_failure_is_503_so_teams_retries(harness, monkeypatch):
    async def database_down(*_args, **_kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(ActivityLedger, "claim", database_down)
    resp = await harness.say("help")
    assert resp.status == 503
    assert harness.connector.sent == []


async def test_failed_release_after_a_failed_turn_is_still_503(harness, monkeypatch):
    async def database_down(*_args, **_kwargs):
        raise ConnectionError("database unavailable")

    async def turn_fails(*_args, **_kwargs):
        raise RuntimeError("adapter failure")

    monkeypatch.setattr(ActivityLedger, "release", database_down)
    monkeypatch.setattr(harness.components.adapter, "process_activity", turn_fails)
    resp = await harness.say("help")
    assert resp.status == 503


# --- logs hold no message text or card values -------------------------------------------------


@pytest.fixture
def debug_logs(caplog) -> Iterator[Any]:
    """LOG_LEVEL=DEBUG exactly as production sets it up (bot.logs.configure_logging, which keeps the
    SDK's and HTTP clients' body-logging loggers at WARNING), with the root logger at DEBUG."""
    loggers = {name: lg.level for name, lg in logging.Logger.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}
    root_handlers = list(logging.root.handlers)
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, lg in logging.Logger.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.setLevel(loggers.get(name, logging.NOTSET))
    logging.root.handlers[:] = root_handlers


def _leaks(caplog, *markers: str) -> list[str]:
    leaked = []
    for record in caplog.records:
        formatted = caplog.handler.format(record)  # message, plus any exception and traceback text
        extra = " ".join(str(v) for v in record.__dict__.values())
        for marker in markers:
            if marker in formatted or marker in extra:
                leaked.append(f"{record.name} {record.levelname}: {formatted[:300]}")
    return leaked


async def test_logs_never_hold_message_text_or_card_values(harness, debug_logs):
    caplog = debug_logs
    url = harness.connector.url
    assert (await harness.say(f"{MARKER_TEXT} please help")).status == 200
    await harness.press("about.show", {"note": MARKER_VALUE})
    await harness.post(factories.submit("about.show", {"note": MARKER_VALUE}, service_url=url))
    # Invalid submissions take the rejection path, which logs.
    await harness.press("about.show", {"note": {"nested": MARKER_VALUE}})
    await harness.press("about.show", {"note": MARKER_VALUE * 300})
    await harness.press(MARKER_VALUE)  # an unknown verb
    assert len(harness.connector.sent) >= 4
    assert _leaks(caplog, MARKER_TEXT, MARKER_VALUE) == []
    # The canary: the check above would have seen a marker in a log record.
    logging.getLogger("bot.canary").debug("canary %s", MARKER_TEXT)
    assert len(_leaks(caplog, MARKER_TEXT)) == 1


async def test_logs_hold_no_user_text_when_turns_fail(harness, debug_logs, monkeypatch):
    caplog = debug_logs
    url = harness.connector.url

    # 1. The connector refuses the reply (and the apology).
    harness.connector.fail_next(500, times=2)
    resp = await harness.say(f"{MARKER_TEXT} one")
    assert resp.status == 200
    harness.connector.fail_next(500, times=2)
    await harness.post(factories.submit("about.show", {"note": MARKER_VALUE}, service_url=url))

    # 2. Bot code raises an exception whose message quotes what the person sent.
    bot = harness.components.bot

    async def exploding_route(turn_context):
        text = turn_context.activity.text or json.dumps(turn_context.activity.value)
        raise ValueError(f"could not understand {text} ({MARKER_ERROR})")

    monkeypatch.setattr(bot, "_route", exploding_route)
    assert (await harness.say(f"{MARKER_TEXT} two")).status == 200
    body = await harness.press("about.show", {"note": MARKER_VALUE})
    assert body["statusCode"] == 200

    # 3. The failure escapes the adapter (the endpoint's own handler).
    adapter = harness.components.adapter

    async def exploding_process(_auth, activity, _logic):
        raise RuntimeError(f"{activity.text} {MARKER_ERROR}")

    monkeypatch.setattr(adapter, "process_activity", exploding_process)
    assert (await harness.say(f"{MARKER_TEXT} three")).status == 503

    messages = [r.getMessage() for r in caplog.records]
    assert sum("turn failed" in m for m in messages) >= 4, messages  # the failure paths did run and log
    assert _leaks(caplog, MARKER_TEXT, MARKER_VALUE, MARKER_ERROR) == []


async def test_logs_never_hold_client_chosen_field_names(harness, debug_logs):
    """A crafted submission's field names are client-chosen text, like values."""
    await harness.press("about.show", {MARKER_VALUE: {"nested": "object"}})
    assert "check" in harness.connector.sent[-1].text.lower()  # the rejection path ran
    assert _leaks(debug_logs, MARKER_VALUE) == []


async def test_logs_never_hold_what_the_bot_stores_about_people(harness, debug_logs):
    """Names (and, as features grow, anything else a turn stores) must not reach the logs through
    the database driver's DEBUG logging of statement parameters."""
    person = factories.Person("29:marker", "aad-marker", f"Name {MARKER_TEXT}")
    resp = await harness.post(factories.message("help", person, service_url=harness.connector.url))
    assert resp.status == 200
    async with harness.components.services.db() as db:
        stored = await db.scalar(select(User.name).where(User.teams_id == person.teams_id))
    assert stored == person.name  # it did go through the database
    assert _leaks(debug_logs, MARKER_TEXT) == []
