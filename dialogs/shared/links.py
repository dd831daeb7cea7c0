"""Unguessable, signed, optionally expiring links (calendar files, CSV exports).

A token is `payload.signature`, both URL-safe base64; the payload names the purpose, the
subject (a session id, say) and the expiry, and the HMAC-SHA256 signature uses the deployment
secret. A link made for one purpose cannot be replayed for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime


class InvalidLink(ValueError):
    """Tampered, expired, or made for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, secret: bytes, base_url: str) -> None:
        if len(secret) < 16:
            raise ValueError("link secret too short")
        self._secret = secret
        self.base_url = base_url.rstrip("/")

    def token(self, purpose: str, subject: str, expires_at: datetime | None = None) -> str:
        body: dict[str, str | int] = {"p": purpose, "s": subject}
        if expires_at is not None:
            body["e"] = int(expires_at.timestamp())
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, purpose: str, token: str, now: datetime) -> str:
        """Return the subject of a valid token, or raise InvalidLink."""
        try:
            payload, signature = token.split(".", 1)
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise InvalidLink("bad signature")
            body = json.loads(_unb64(payload))
        except (ValueError, TypeError) as exc:
            raise InvalidLink("malformed") from exc
        if not isinstance(body, dict) or body.get("p") != purpose or not isinstance(body.get("s"), str):
            raise InvalidLink("wrong purpose")
        expires = body.get("e")
        if expires is not None and (not isinstance(expires, int) or now.timestamp() > expires):
            raise InvalidLink("expired")
        return body["s"]

    def derive_key(self, purpose: str) -> bytes:
        """A key for `purpose` derived from the deployment secret (which never leaves this class).

        Features that need their own keyed hashes (feedback's "already answered" markers) use
        this, so a key for one purpose reveals nothing about links or other purposes.
        """
        return hmac.new(self._secret, b"derive-key\x00" + purpose.encode(), hashlib.sha256).digest()

    def url(self, path: str, token: str) -> str:
        """Absolute URL of `path` (which should contain the token), for cards and calendars."""
        return f"{self.base_url}{path.format(token=token)}"

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())
