"""Token buckets and sliding windows for proactive sends: per conversation and for the whole app.

Pure asyncio, no SDK. A sender acquires a permit from every limit that applies before each
request and releases it when the answer is back; when any limit is full it sleeps exactly until
that limit has room (see `RateLimiter.acquire`).

A token bucket that starts full lets `count` through at once and then `count` per period, so up
to twice `count` can land in one period; a service that counts requests in a sliding window
answers 429 to the excess, and every 429 costs a request and a Retry-After pause.
`Limit(..., window=True)` never lets more than `count` into any period *as the service counts
them*: the service sees a request at some moment between sending it and receiving the answer,
so a request occupies the window from the moment it is sent until `seconds` after its answer.
However late a busy machine puts a request on the wire, the service's window cannot hold more.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens per second, holding at most `capacity` (the largest burst allowed)."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    updated: float = field(default=0.0)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        if self.tokens < 0:
            self.tokens = self.capacity

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_time(self, now: float) -> float:
        self.refill(now)
        # The epsilon absorbs float rounding: without it a wait of 1e-17 s can never elapse.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate

    def take(self, now: float | None = None) -> None:
        self.tokens -= 1

    def reserve(self, now: float) -> float:
        """Take the next token now, even one not there yet, and return when it is due: waiters
        then sleep until their own turn, 1/rate apart, instead of all waking for every token.
        A sender that wakes after its turn sends at once, so time it lost is caught up (within
        the windows) rather than its turn passing unused."""
        due = now + self.wait_time(now)
        self.tokens -= 1
        return due

    def finish(self, now: float) -> None:
        """A bucket counts requests when they leave; their answers change nothing."""


# How often a sender blocked only by requests still in flight looks again: that happens only
# when `count` requests are awaiting their answers at once, as with a connector answering slowly.
IN_FLIGHT_POLL = 0.005


@dataclass
class SlidingWindow:
    """At most `count` requests in any `seconds`-long window, counting each from the moment it is
    sent (`take`) until `seconds` after its answer (`finish`): wherever between the two the
    service counted it, it can only have been in that window.

    `margin` keeps a little more than `seconds` after an answer (clock rounding).
    """

    count: int
    seconds: float
    margin: float = 0.0
    in_flight: int = 0
    finished: deque = field(default_factory=deque)  # answer times, oldest first; at most `count`

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0 or self.margin < 0:
            raise ValueError("count must be at least 1, seconds positive and margin not negative")

    def wait_time(self, now: float) -> float:
        span = self.seconds + self.margin
        while self.finished and self.finished[0] + span <= now:
            self.finished.popleft()
        excess = self.in_flight + len(self.finished) - self.count + 1
        if excess <= 0:
            return 0.0
        if excess > len(self.finished):
            return IN_FLIGHT_POLL  # room comes only when an answer does
        wait = self.finished[excess - 1] + span - now
        return wait if wait > 1e-9 else 0.0  # the epsilon as in TokenBucket.wait_time

    def take(self, now: float) -> None:
        self.in_flight += 1

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        self.finished.append(now)
        if len(self.finished) > self.count:
            self.finished.popleft()  # only the latest `count` answers can hold a request back


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `seconds`: a bucket that starts full, or with `window=True`
    a sliding window kept `margin` seconds longer (see SlidingWindow)."""

    count: float
    seconds: float
    burst: float | None = None  # defaults to `count`; buckets only
    window: bool = False
    margin: float = 0.0

    def bucket(self, now: float) -> TokenBucket | SlidingWindow:
        if self.window:
            # A fractional count (0.5 per second) becomes a whole one over a longer window.
            whole = max(1, math.floor(self.count))
            return SlidingWindow(whole, self.seconds * whole / self.count, self.margin)
        return TokenBucket(rate=self.count / self.seconds, capacity=self.burst or self.count, updated=now)


@dataclass
class Permit:
    """One request's place in every limit that applied to it, until released."""

    buckets: list[TokenBucket | SlidingWindow]


class RateLimiter:
    """Global limits shared by every send, plus limits kept per conversation (LRU-bounded)."""

    def __init__(
        self,
        global_limits: list[Limit],
        per_key_limits: list[Limit],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_keys: int = 50_000,
    ) -> None:
        now = clock()
        self._global = [limit.bucket(now) for limit in global_limits]
        self._per_key_limits = per_key_limits
        self._per_key: OrderedDict[str, list[TokenBucket | SlidingWindow]] = OrderedDict()
        self._blocked_until: dict[str, float] = {}
        self._clock = clock
        self._sleep = sleep
        self._max_keys = max_keys
        # Turns (see `acquire`) that came while a global window was full, and the time between turns.
        self._held_turns: list[float] = []
        self._spacing = max((1 / b.rate for b in self._global if isinstance(b, TokenBucket)), default=0.0)

    def set_global_limits(self, limits: list[Limit]) -> None:
        """Change the app-wide limits in place, the same kinds in the same order (a replica's share
        of the app's rate changes as replicas come and go). Requests in flight and answers still
        inside a window go on counting against the new limits; a bucket keeps the tokens it had."""
        now = self._clock()
        fresh = [limit.bucket(now) for limit in limits]
        if [type(b) for b in fresh] != [type(b) for b in self._global]:
            raise ValueError("the new limits must be of the same kinds, in the same order")
        for bucket, new in zip(self._global, fresh):
            if isinstance(bucket, TokenBucket) and isinstance(new, TokenBucket):
                bucket.refill(now)  # tokens earned so far, at the old rate
                bucket.rate, bucket.capacity = new.rate, new.capacity
                bucket.tokens = min(bucket.tokens, bucket.capacity)
            elif isinstance(bucket, SlidingWindow) and isinstance(new, SlidingWindow):
                bucket.count, bucket.seconds, bucket.margin = new.count, new.seconds, new.margin
                while len(bucket.finished) > bucket.count:
                    bucket.finished.popleft()  # as in `finish`: only the latest `count` answers matter

    def _buckets_for(self, key: str) -> list[TokenBucket | SlidingWindow]:
        buckets = self._per_key.get(key)
        if buckets is None:
            buckets = [limit.bucket(self._clock()) for limit in self._per_key_limits]
            self._per_key[key] = buckets
            if len(self._per_key) > self._max_keys:
                self._per_key.popitem(last=False)
        else:
            self._per_key.move_to_end(key)
        return buckets

    async def acquire(self, key: str) -> Permit:
        """Wait until one request to `key` is allowed, then count it against every limit.

        Give the permit back with `release` once the answer is in (or the request was dropped).
        The conversation's own limits are waited for first (few requests share them); then a
        turn is reserved in the global buckets, so that of all the requests waiting only those
        whose turn has come wake up; then the windows are checked and everything taken at once.
        """
        own = self._buckets_for(key)
        buckets = self._global + own
        windows = [bucket for bucket in buckets if isinstance(bucket, SlidingWindow)]
        turn: float | None = None
        held = False  # whether `turn` is in self._held_turns
        try:
            while True:
                now = self._clock()
                wait = self._own_wait(key, own, now)
                if wait <= 0:
                    if turn is None:
                        turn = max((b.reserve(now) for b in self._global if isinstance(b, TokenBucket)),
                                   default=now)
                    wait = max([turn - now] + [window.wait_time(now) for window in windows])
                    if wait > 1e-9 and turn <= now:
                        # Past its turn but held by a window: of the requests so held, the earliest
                        # turn looks first and each later one a spacing after, rather than all of
                        # them waking at every slot the window frees.
                        wait += self._spacing * sum(1 for other in self._held_turns if other < turn)
                        if not held:
                            self._held_turns.append(turn)
                            held = True
                if wait <= 1e-9:  # the epsilon as in TokenBucket.wait_time
                    # No await between the check and the take: asyncio makes this atomic.
                    for window in windows:
                        window.take(now)
                    for bucket in own:
                        if isinstance(bucket, TokenBucket):
                            bucket.take(now)  # the global buckets were taken by `reserve`
                    return Permit(buckets)
                await self._sleep(wait)
        finally:
            if held and turn is not None:
                self._held_turns.remove(turn)

    def _own_wait(self, key: str, own: list[TokenBucket | SlidingWindow], now: float) -> float:
        """How long `key`'s own limits and any Retry-After pause still hold a request back."""
        wait = max((bucket.wait_time(now) for bucket in own), default=0.0)
        blocked = self._blocked_until.get(key)
        if blocked is not None:
            if blocked > now:
                wait = max(wait, blocked - now)
            else:
                del self._blocked_until[key]
        return wait

    def release(self, permit: Permit) -> None:
        """The request's answer is in: from now its windows count down."""
        if permit.buckets:
            now = self._clock()
            for bucket in permit.buckets:
                bucket.finish(now)
            permit.buckets = []  # a second release changes nothing

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """`acquire` on entry and `release` on exit, whatever the request raised."""
        permit = await self.acquire(key)
        try:
            yield
        finally:
            self.release(permit)

    def penalise(self, key: str, seconds: float) -> None:
        """After a 429 with Retry-After, send nothing more to `key` for `seconds`.

        A pause rather than draining the buckets: draining the hourly bucket would throttle
        the conversation for far longer than Teams asked.
        """
        until = self._clock() + seconds
        self._blocked_until[key] = max(until, self._blocked_until.get(key, until))
