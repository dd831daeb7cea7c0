"""Bearer-token signing keys fetched off the event loop: at start-up, then in the background.

botbuilder keeps OpenID signing keys per metadata URL in `JwtTokenExtractor.metadataCache` and,
when they are a day old (or a token names an unknown key), fetches them again with blocking
`requests` and no timeout, inside the event loop: every turn waits for Microsoft's key endpoint.
The entries are replaced by `_Metadata`, which fetches with the shared aiohttp session (timeouts
bounded), refreshes stale keys in the background while the old ones go on being used, and parses
each key once instead of once per token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig, _OpenIdMetadata
from jwt.algorithms import RSAAlgorithm

from bot.connector import HttpClient
from storage.logs import describe_exception

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=1)  # as botbuilder: keys older than this are refetched
UNKNOWN_KEY_RETRY = timedelta(minutes=5)  # a token naming an unknown key refetches at most this often


class _Metadata(_OpenIdMetadata):
    def __init__(self, url: str, http: HttpClient) -> None:
        super().__init__(url)
        self._http = http
        self._parsed: dict[str, _OpenIdConfig] = {}
        self._refreshing: asyncio.Task | None = None
        self.fetches = 0

    async def get(self, key_id: str) -> _OpenIdConfig | None:
        if not self.keys:
            await self.refresh()  # nothing to check tokens against yet: wait (off the loop) for keys
        elif self.last_updated < datetime.now() - STALE_AFTER:
            self.refresh_soon()  # keep using the current keys meanwhile
        key = self._find(key_id)
        if key is None and self.last_updated < datetime.now() - UNKNOWN_KEY_RETRY:
            await self.refresh()
            key = self._find(key_id)
        return key

    def refresh_soon(self) -> asyncio.Task:
        """One refresh at a time; callers share the one under way."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._fetch())
        return self._refreshing

    async def refresh(self) -> None:
        await asyncio.shield(self.refresh_soon())

    async def cancel(self) -> None:
        """Stop a refresh under way (shielded from its waiters, it would outlive them)."""
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    async def _fetch(self) -> None:
        self.fetches += 1
        metadata = await self._http.get_json(self.url)
        document = await self._http.get_json(metadata["jwks_uri"])
        keys = document["keys"]
        self._parsed = {}
        self.keys = keys
        self.last_updated = datetime.now()

    async def _refresh(self) -> None:  # botbuilder's name, should anything call it
        await self.refresh()

    def _find(self, key_id: str) -> _OpenIdConfig | None:
        parsed = self._parsed.get(key_id)
        if parsed is None:
            key = next((k for k in self.keys if isinstance(k, dict) and k.get("kid") == key_id), None)
            if key is None:
                return None  # botbuilder's own raises IndexError here
            parsed = _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)), key.get("endorsements", []))
            self._parsed[key_id] = parsed
        return parsed


class SigningKeys:
    """Installs `_Metadata` for the given metadata URLs and keeps the first one's keys fresh (the
    others, such as the Emulator's, are fetched off the loop when a token first needs them)."""

    def __init__(self, http: HttpClient, urls: Iterable[str], *, refresh_every: timedelta = timedelta(hours=12)
                 ) -> None:
        self._refresh_every = refresh_every
        self.sources = {url: _Metadata(url, http) for url in dict.fromkeys(urls)}
        self._kept_fresh = list(self.sources.values())[:1]
        self._task: asyncio.Task | None = None

    def install(self) -> None:
        JwtTokenExtractor.metadataCache.update(self.sources)

    async def start(self) -> None:
        """Fetch every source's keys now (a failure is logged; the first token retries), then
        refresh them in the background."""
        self.install()
        await self._refresh_all()
        self._task = asyncio.get_running_loop().create_task(self._keep_fresh())

    async def _refresh_all(self) -> None:
        results = await asyncio.gather(*(source.refresh() for source in self._kept_fresh), return_exceptions=True)
        for source, result in zip(self._kept_fresh, results):
            if isinstance(result, BaseException):
                log.warning("could not fetch signing keys from %s: %s", source.url, describe_exception(result))

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_every.total_seconds())
            await self._refresh_all()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for source in self.sources.values():
            await source.cancel()


def metadata_urls(custom_url: str) -> list[str]:
    """Where botbuilder looks for signing keys of Teams' channel tokens (and the Emulator's)."""
    return [custom_url or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL]

