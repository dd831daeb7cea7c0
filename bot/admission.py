"""What a request to /api/messages must pass before any bot code or database work runs.

The order is the point: with an app id, the bearer token is verified before the body is read
or parsed, so a stranger's request costs a header check and one signature check, never a JSON
parse. The JSON is then bounded in nesting depth (the parser and msrest both recurse), and the
ids the redelivery ledger keys on must be text every database can store.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import jwt
from aiohttp import web
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, BotFrameworkAuthentication, JwtTokenValidation

from bot.turns import tenant_of

log = logging.getLogger(__name__)

# Teams activities are under ten levels deep; our cards submit flat data.
MAX_JSON_DEPTH = 64


class Refused(Exception):
    """A request answered with a 4xx before any bot code ran; `reason` is a fixed phrase."""

    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


class RefusalLog:
    """At most one log line per kind of refusal per interval: a flood of bad requests must not
    become a flood of log lines. The next line of a kind says how many were left unlogged."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._kinds: dict[str, tuple[float, int]] = {}  # kind -> (when last logged, unlogged since)

    def note(self, refusal: Refused) -> None:
        kind = f"{refusal.status} {refusal.reason}" + (f" ({refusal.detail})" if refusal.detail else "")
        now = self._clock()
        logged_at, unlogged = self._kinds.get(kind, (None, 0))
        if logged_at is not None and now - logged_at < self._interval:
            self._kinds[kind] = (logged_at, unlogged + 1)
            return
        self._kinds[kind] = (now, 0)
        log.info("refused request: %s (%d more since the last such line)", kind, unlogged)


class Admission:
    """Reads, authenticates and parses one request into an activity, or raises Refused."""

    def __init__(self, authentication: BotFrameworkAuthentication, *, max_body_bytes: int, auth_required: bool,
                 allowed_tenant: str | None) -> None:
        self._auth = authentication
        self._max_body = max_body_bytes
        self._auth_required = auth_required
        self._tenant = allowed_tenant or None

    async def admit(self, request: web.Request) -> tuple[Activity, AuthenticateRequestResult]:
        """The request's activity and its authentication result, in the order described above."""
        if request.content_length is not None and request.content_length > self._max_body:
            raise Refused(413, "body too large")
        # Development mode validates nothing; ignoring a stray token avoids a network fetch.
        auth_header = await self._verified_token(request) if self._auth_required else ""
        activity = parse_activity(await self._read_body(request))
        # Again with the real activity: its channel must be endorsed for the signing key and its
        # serviceUrl must be the one the token names.
        auth_result = await self._authenticate(activity, auth_header)
        if self._tenant and (tenant_of(activity) or "").lower() != self._tenant.lower():
            raise Refused(403, "tenant not allowed")
        return activity, auth_result

    async def _verified_token(self, request: web.Request) -> str:
        auth_header = request.headers.get("Authorization", "")
        if not auth_header:
            raise Refused(401, "missing bearer token")
        if not JwtTokenValidation.is_valid_token_format(auth_header):
            raise Refused(401, "malformed bearer token")
        try:
            claims = jwt.decode(auth_header.split(" ", 1)[1], options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Refused(401, "malformed bearer token") from None
        # Until the body is parsed the channel is unknown (botbuilder then skips the endorsement
        # check), and the token's own serviceUrl claim stands in for the activity's.
        service_url = claims.get("serviceurl")
        stand_in = Activity(service_url=service_url if isinstance(service_url, str) else None)
        await self._authenticate(stand_in, auth_header)
        return auth_header

    async def _authenticate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await self._auth.authenticate_request(activity, auth_header)
        except Exception as exc:  # noqa: BLE001 - any failure to authenticate is a 401
            raise Refused(401, "invalid bearer token", type(exc).__name__) from None

    async def _read_body(self, request: web.Request) -> bytes:
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self._max_body:
                raise Refused(413, "body too large")
            chunks.append(chunk)
        return b"".join(chunks)


def parse_activity(body: bytes) -> Activity:
    """The body as an activity with usable ids; Refused (400) for anything else."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise Refused(400, "JSON nested too deeply") from None
    except ValueError:
        raise Refused(400, "malformed activity") from None
    if not _depth_within(payload, MAX_JSON_DEPTH):
        raise Refused(400, "JSON nested too deeply")
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Refused(400, "malformed activity")
    try:
        activity = Activity().deserialize(payload)
    except (ValueError, TypeError, AttributeError, KeyError):
        raise Refused(400, "malformed activity") from None
    if not activity.conversation or not activity.conversation.id or not activity.service_url:
        raise Refused(400, "activity lacks conversation or serviceUrl")
    # The channel and conversation ids also make the dialog-state key read with the claim; a reply
    # to a serviceUrl no HTTP client can encode would be lost after the turn had changed state.
    ids = (activity.conversation.id, activity.id, activity.channel_id, activity.service_url)
    if not all(_usable_id(v) for v in ids if v is not None):
        raise Refused(400, "malformed conversation, channel or activity id, or serviceUrl")
    return activity


def _depth_within(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests no deeper than limit (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def _usable_id(value: object) -> bool:
    """The ledger keys on these: PostgreSQL refuses NUL characters in text, and neither database
    driver can encode a lone surrogate (which a retry would not fix)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
