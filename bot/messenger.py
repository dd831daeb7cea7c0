"""The one proactive sender: rate limited as Teams documents, retried with backoff, outcome typed.

Everything that messages someone unprompted (reminders, announcements) goes through
`Messenger.send`, usually from the outbox dispatcher.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.direct_send import DirectSender, activity_json, addressed, retry_after_seconds
from scheduler.ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

RETRYABLE = {412, 429, 500, 502, 503, 504}
GONE = {403, 404}


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # still failing after our in-process retries
    GONE = "gone"  # app uninstalled or bot blocked: stop writing to this conversation
    FAILED = "failed"  # a request Teams will never accept (400, bad reference)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    activity_id: str | None = None
    status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class MessengerLimits:
    """Teams' documented limits for a bot: per conversation ("per bot per thread") 7 per 1 s,
    8 per 2 s, 60 per 30 s and 1,800 per hour; per app per tenant 50 requests per second.
    (Microsoft Learn, "Optimize your bot with rate limiting and best practices in Teams".)"""

    per_conversation_per_second: float = 7.0
    per_conversation_per_hour: float = 1800.0
    global_per_second: float = 50.0
    per_conversation_per_2s: float = 8.0
    per_conversation_per_30s: float = 60.0

    def per_conversation(self) -> list[Limit]:
        """Every per-conversation window, as sliding windows that count each request until its
        answer is in (see scheduler/ratelimit.py): Teams answers 429 to any one exceeded."""
        return [Limit(count, seconds, window=True, margin=_CLOCK_MARGIN) for count, seconds in (
            (self.per_conversation_per_second, 1.0), (self.per_conversation_per_2s, 2.0),
            (self.per_conversation_per_30s, 30.0), (self.per_conversation_per_hour, 3600.0))]

    def per_app(self) -> list[Limit]:
        # The window alone holds Teams' count whatever the jitter; the small bucket spreads the
        # sends out, so that a burst does not queue up inside the SDK's thread pool, where every
        # queued request would hold its place in the window for longer.
        return [Limit(self.global_per_second, 1.0, window=True, margin=_CLOCK_MARGIN),
                Limit(self.global_per_second, 1.0, burst=3)]


_CLOCK_MARGIN = 0.001  # float rounding between our clock readings and the service's


def _status_and_retry_after(exc: BaseException) -> tuple[int | None, float | None]:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    return (int(status) if status else None), retry_after_seconds(raw)


class Messenger:
    def __init__(
        self,
        adapter: BotAdapter,
        app_id: str,
        limits: MessengerLimits = MessengerLimits(),
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        concurrency: int = 64,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._limits = limits
        self._limiter = RateLimiter(limits.per_app(), limits.per_conversation(), sleep=sleep)
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        # The app's adapter sends by one JSON POST per message (bot/direct_send.py); any other
        # adapter (the SDK's test adapters) through its own `continue_conversation`.
        self._direct = DirectSender.of(adapter, app_id)

    @property
    def app_rate(self) -> float:
        return self._limits.global_per_second

    def set_app_rate(self, per_second: float) -> None:
        """This process's share of the app's per-second limit (replicas share it; scheduler/replicas.py)."""
        self._limits = replace(self._limits, global_per_second=per_second)
        self._limiter.set_global_limits(self._limits.per_app())

    async def send(self, reference: dict[str, Any], activity: Activity | dict[str, Any], *,
                   before_attempt: Callable[[], Awaitable[None]] | None = None) -> SendResult:
        """Send one activity (an SDK Activity, or its JSON as a dict) into the conversation
        `reference` points at.

        `before_attempt` is awaited just before each request, after any wait for the rate limits;
        whatever it raises abandons the send (the outbox raises when the row is no longer its own).
        """
        prepared = self._prepare(reference, activity)
        if isinstance(prepared, SendResult):
            return prepared
        key = prepared[0]
        async with self._slots:
            for attempt in range(1, self._max_attempts + 1):
                result, retry_after = await self._attempt(prepared, before_attempt)
                if result.outcome is not Outcome.RETRY_LATER or attempt == self._max_attempts:
                    return result
                delay = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                delay = delay * (0.5 + random.random() / 2)  # jitter spreads a herd of retries
                if retry_after is not None:
                    delay = max(delay, retry_after)
                    self._limiter.penalise(key, retry_after)
                log.info("proactive send got %s; retry %d in %.2fs", result.status, attempt, delay)
                await self._sleep(delay)
        return result  # pragma: no cover - the loop always returns

    def _prepare(self, reference: dict[str, Any], activity: Activity | dict[str, Any]) -> tuple | SendResult:
        """(conversation key, what `_attempt` sends), worked out once for every attempt."""
        if self._direct is not None:
            conversation = reference.get("conversation") if isinstance(reference, dict) else None
            if not isinstance(conversation, dict) or not conversation.get("id") or not reference.get("serviceUrl"):
                return SendResult(Outcome.FAILED, error="incomplete conversation reference")
            body = addressed(activity_json(activity), reference)
            # Serialised once per message, whatever the retries.
            return conversation["id"], body, json.dumps(body, separators=(",", ":")).encode()
        try:
            ref = ConversationReference().deserialize(reference)
        except Exception:  # noqa: BLE001 - a corrupt stored reference is a permanent failure
            return SendResult(Outcome.FAILED, error="unreadable conversation reference")
        if not ref.conversation or not ref.conversation.id or not ref.service_url:
            return SendResult(Outcome.FAILED, error="incomplete conversation reference")
        if isinstance(activity, dict):
            activity = Activity().deserialize(activity)
        return ref.conversation.id, ref, activity

    async def _attempt(self, prepared: tuple, before_attempt: Callable[[], Awaitable[None]] | None
                       ) -> tuple[SendResult, float | None]:
        if self._direct is None:
            key, ref, activity = prepared
            return await self._sdk_attempt(key, ref, activity, before_attempt)
        key, body, data = prepared
        permit = await self._limiter.acquire(key)
        try:
            if before_attempt is not None:
                await before_attempt()  # raising abandons the send: no request was made
            # The permit goes back as soon as the answer's status is in (see scheduler/ratelimit.py).
            answer = await self._direct.post(body, data, answered=lambda: self._limiter.release(permit))
        finally:
            self._limiter.release(permit)  # if no answer came; a second release changes nothing
        if answer.status is not None and answer.status < 400:
            return SendResult(Outcome.SENT, activity_id=answer.activity_id), None
        return _failure(answer.status, answer.retry_after, "HTTPError"), answer.retry_after

    async def _sdk_attempt(self, key: str, ref: ConversationReference, activity: Activity,
                       before_attempt: Callable[[], Awaitable[None]] | None) -> tuple[SendResult, float | None]:
        outcome: dict[str, Any] = {}

        async def callback(turn_context: TurnContext) -> None:
            # Errors are caught here: raised out of the callback they would reach the adapter's
            # on_turn_error, which answers the *user* with an apology.
            try:
                # The rate limits are taken here, once the SDK has built its connector client:
                # a request holds its place in Teams' windows from now until its answer, and
                # the less of our own work falls inside, the closer we run to the limits.
                async with self._limiter.slot(key):
                    if before_attempt is not None:
                        try:
                            await before_attempt()
                        except Exception as exc:  # noqa: BLE001 - raised again below, past the adapter
                            outcome["abandon"] = exc
                            return
                    response = await turn_context.send_activity(activity)
                outcome["id"] = getattr(response, "id", None)
            except Exception as exc:  # noqa: BLE001
                outcome["exc"] = exc

        try:
            await self._adapter.continue_conversation(ref, callback, self._app_id)
        except Exception as exc:  # noqa: BLE001 - connector creation or auth failed
            outcome["exc"] = exc
        if "abandon" in outcome:
            raise outcome["abandon"]  # `before_attempt` said stop: no request was made
        failure = outcome.get("exc")
        if failure is None:
            return SendResult(Outcome.SENT, activity_id=outcome.get("id")), None
        status, retry_after = _status_and_retry_after(failure)
        return _failure(status, retry_after, type(failure).__name__), retry_after


def _failure(status: int | None, retry_after: float | None, kind: str) -> SendResult:
    error = kind + (f" {status}" if status else "")
    if status in GONE:
        return SendResult(Outcome.GONE, status=status, error=error)
    if status is None or status in RETRYABLE:
        # No status means the connection itself failed: worth another go.
        return SendResult(Outcome.RETRY_LATER, status=status, error=error)
    return SendResult(Outcome.FAILED, status=status, error=error)
