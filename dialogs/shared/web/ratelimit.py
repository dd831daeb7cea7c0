"""A small token bucket per client address, kept in this process only.

Each replica keeps its own buckets, so behind a load balancer with N replicas an address may
post up to N times the limit; the limit is there to blunt floods, not to count exactly.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    """`per_minute` submissions per key, in bursts of at most `per_minute`."""

    def __init__(self, per_minute: int, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty (the caller answers 429)."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self._max_keys:  # forget the longest-idle addresses first
            self._buckets.popitem(last=False)
        return allowed
