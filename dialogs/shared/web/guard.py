"""Middlewares of the web pages: security headers, size and rate limits on submissions, and
friendly error pages so that no input ever yields a 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from dialogs.shared.web.ratelimit import TokenBuckets
from storage.logs import describe_exception

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorPage = Callable[[web.Request, int], Awaitable[web.StreamResponse]]

# No scripts at all; styles only from our own stylesheet; forms post only to us; never framed.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Statuses shown as themselves; anything else unexpected becomes "try again later" (503).
SHOWN = frozenset({400, 403, 404, 405, 410, 411, 413, 429})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def headers_middleware() -> Callable:
    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # Pages may show what someone typed: never keep them in a shared cache.
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return headers


def errors_middleware(error_page: ErrorPage) -> Callable:
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise  # redirects (303 after a post) pass through
            status = exc.status if exc.status in SHOWN else 400
            return await error_page(request, status)
        except Exception as exc:  # noqa: BLE001 - a friendly page, never a 500
            # The exception's type and place only: its message could hold what was typed.
            log.error("web page failed: %s", describe_exception(exc))
            return await error_page(request, 503)

    return errors


def client_address(request: web.Request, header: str) -> str:
    """Who is posting, for the rate limit: the last address in `header` (the one the nearest
    proxy added, which a client cannot forge) when the bot sits behind one, else the peer's."""
    if header:
        forwarded = request.headers.get(header, "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or "unknown"


def limits_middleware(buckets: TokenBuckets, max_form_bytes: int, address_header: str = "") -> Callable:
    """Refuse a submission that is too big (413) or comes too often from one address (429)."""

    @web.middleware
    async def limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in WRITES:
            if request.content_length is None and request.body_exists:
                raise web.HTTPLengthRequired()  # chunked bodies could be any size
            if (request.content_length or 0) > max_form_bytes:
                raise web.HTTPRequestEntityTooLarge(max_size=max_form_bytes,
                                                    actual_size=request.content_length or 0)
            if not buckets.allow(client_address(request, address_header)):
                log.info("web submission refused: rate limit")
                raise web.HTTPTooManyRequests()
        return await handler(request)

    return limits
