"""CSRF protection: a token in each form, bound to a per-visitor cookie.

The cookie holds a random visitor id (nothing about the person); the form's token is an HMAC of
that id under a key derived from the deployment secret (LinkSigner.derive_key), so a page on
another site can neither read nor forge it. The cookie is HttpOnly and SameSite=Strict, and
Secure when the site is served over https.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "ps_visitor"
FIELD = "csrf_token"
_VISITOR_KEY = web.RequestKey("peerspace.web.visitor", str)
_NEW_VISITOR_KEY = web.RequestKey("peerspace.web.new_visitor", str)
_MAX_COOKIE = 64


class Csrf:
    def __init__(self, key: bytes, *, secure: bool, path: str) -> None:
        self._key = key
        self._secure = secure
        self._path = path

    def _token_for(self, visitor: str) -> str:
        digest = hmac.new(self._key, visitor.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _visitor(self, request: web.Request) -> str | None:
        value = request.cookies.get(COOKIE, "")
        return value if 16 <= len(value) <= _MAX_COOKIE and value.replace("-", "").replace("_", "").isalnum() else None

    def token(self, request: web.Request) -> str:
        """The token for this visitor's forms; a new visitor id is made (and later set) if needed."""
        visitor = request.get(_VISITOR_KEY) or self._visitor(request)
        if visitor is None:
            visitor = secrets.token_urlsafe(24)
            request[_NEW_VISITOR_KEY] = visitor
        request[_VISITOR_KEY] = visitor
        return self._token_for(visitor)

    def set_cookie(self, request: web.Request, response: web.StreamResponse) -> None:
        """Set the visitor cookie on `response` when `token` made a new visitor id."""
        visitor = request.get(_NEW_VISITOR_KEY)
        if visitor:
            response.set_cookie(COOKIE, visitor, path=self._path, httponly=True, secure=self._secure,
                                samesite="Strict")

    def valid(self, request: web.Request, submitted: object) -> bool:
        """Whether a posted token matches the visitor cookie that came with it."""
        visitor = self._visitor(request)
        if visitor is None or not isinstance(submitted, str) or len(submitted) > _MAX_COOKIE:
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not False).
        return hmac.compare_digest(submitted.encode("utf-8", "replace"), self._token_for(visitor).encode())
