"""A recording fake of the Bot Connector service (what Teams exposes at serviceUrl).

It answers the three routes the bot uses, records every activity, and can be told to answer
429 / 5xx / 403 on demand, or to enforce a rate limit like Teams does.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Sent:
    conversation_id: str
    activity: dict[str, Any]
    reply_to: str | None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.activity.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    updated: list[Sent] = field(default_factory=list)  # activities replaced in place (PUT), by id
    failures: deque = field(default_factory=deque)  # (status, retry_after or None), consumed in order
    rate_limit: tuple[int, float] | None = None  # (count, seconds) sliding window, 429 beyond it
    # Windows kept for each conversation on its own, as Teams' per bot per thread limits.
    conversation_limits: tuple[tuple[int, float], ...] = ()
    latency: float = 0.0
    throttled: int = 0
    in_flight: int = 0  # requests being answered right now
    peak_in_flight: int = 0  # the most at once: shows whether the bot's sends overlap
    _window: deque = field(default_factory=deque)
    _conversation_windows: dict = field(default_factory=dict)  # conversation id -> one deque per limit
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    server: TestServer | None = None

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        for _ in range(times):
            self.failures.append((status, retry_after))

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    def all_cards(self) -> list[dict[str, Any]]:
        return [card for s in self.sent for card in s.cards]

    async def _post(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.failures:
            status, retry_after = self.failures.popleft()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.json_response({"error": {"code": "Fake", "message": "on demand"}}, status=status,
                                     headers=headers)
        if not self._admit(request.match_info["cid"]):
            self.throttled += 1
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "1"})
        body = await request.json()
        self.sent.append(Sent(request.match_info["cid"], body, request.match_info.get("aid")))
        return web.json_response({"id": f"sent-{next(self._ids)}"})

    def _admit(self, conversation_id: str) -> bool:
        """Count the request in every window, or in none if any of them is full (Teams counts
        the requests it accepts)."""
        windows: list[tuple[deque, int, float]] = []
        if self.rate_limit:
            windows.append((self._window, *self.rate_limit))
        if self.conversation_limits:
            kept = self._conversation_windows.setdefault(conversation_id, [deque() for _ in self.conversation_limits])
            windows.extend((w, count, seconds) for w, (count, seconds) in zip(kept, self.conversation_limits))
        now = time.monotonic()
        for window, count, seconds in windows:
            while window and window[0] <= now - seconds:
                window.popleft()
            if len(window) >= count:
                return False
        for window, _, _ in windows:
            window.append(now)
        return True

    async def _member(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        return web.json_response({"id": mid, "name": "Member", "aadObjectId": f"aad-{mid}", "userRole": "user",
                                  "tenantId": "tenant-0001"})

    async def _update(self, request: web.Request) -> web.Response:
        self.updated.append(Sent(request.match_info["cid"], await request.json(), request.match_info["aid"]))
        return web.json_response({"id": request.match_info["aid"]})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        return app

    async def start(self) -> "FakeConnector":
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
