"""Proactive pacing at Teams' limits: no window ever exceeded, 429s retried once, batches overlapped."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from datetime import timedelta

from botbuilder.schema import Activity
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from bot.messenger import Messenger, MessengerLimits, Outcome
from scheduler.dispatcher import Delivery, DeliveryResult, Dispatcher
from scheduler.ratelimit import Limit, RateLimiter
from storage import outbox
from storage.models import Conversation
from tests.factories import Person

TEAMS_PER_CONVERSATION = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))


class VirtualTime:
    """A clock and sleep for many concurrent tasks: time jumps to the next wake-up once every
    unfinished task is asleep, so minutes of pacing run in milliseconds."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, coroutines) -> None:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while True:
            unfinished = [t for t in tasks if not t.done()]
            if not unfinished:
                break
            if len(self._sleepers) < len(unfinished):
                await asyncio.sleep(0)
                continue
            wake, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            future.set_result(None)
        for task in tasks:
            task.result()  # re-raise anything a task raised


def _worst_case_count(requests: list[tuple[float, float]], seconds: float) -> int:
    """The most requests the service could have counted in one window of `seconds`, wherever
    between sending (s) and answer (r) it saw each: those overlapping (t - seconds, t], t = some s."""
    return max((sum(1 for s, r in requests if s <= t and r > t - seconds + 1e-6) for t, _ in requests), default=0)


requests_strategy = st.lists(
    st.tuples(st.integers(0, 11), st.floats(0, 3, allow_nan=False), st.floats(0, 0.4, allow_nan=False)),
    min_size=1, max_size=140)


@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=requests_strategy,
    per_key=st.lists(st.tuples(st.integers(1, 9), st.sampled_from([0.5, 1.0, 2.0, 5.0])), min_size=0, max_size=3),
    teams=st.booleans(),
)
def test_the_pacer_never_exceeds_any_window_wherever_the_service_counts_a_request(requests, per_key, teams):
    """Requests (conversation, start offset, time until the answer) through the limiter: for every
    window, global and per conversation, no placement of arrivals between send and answer fits more
    than the limit allows. `teams` uses the messenger's own limits (Teams' documented figures)."""
    vt = VirtualTime()
    if teams:
        limits = MessengerLimits()
        global_limits, key_limits = limits.per_app(), limits.per_conversation()
        checked_key, checked_global = list(TEAMS_PER_CONVERSATION), [(50, 1.0)]
    else:
        global_limits = [Limit(20, 1.0, window=True)]
        key_limits = [Limit(count, seconds, window=True) for count, seconds in per_key]
        checked_key, checked_global = per_key, [(20, 1.0)]
    limiter = RateLimiter(global_limits, key_limits, clock=vt.clock, sleep=vt.sleep)
    seen: dict[int, list[tuple[float, float]]] = {}

    async def one(key: int, offset: float, duration: float) -> None:
        await vt.sleep(offset)
        permit = await limiter.acquire(f"conv-{key}")
        sent = vt.now
        await vt.sleep(duration)
        limiter.release(permit)
        seen.setdefault(key, []).append((sent, vt.now))

    asyncio.run(vt.run(one(*r) for r in requests))
    everything = [pair for pairs in seen.values() for pair in pairs]
    assert len(everything) == len(requests)
    for count, seconds in checked_global:
        assert _worst_case_count(everything, seconds) <= count, f"app-wide {count}/{seconds}s exceeded"
    for key, pairs in seen.items():
        for count, seconds in checked_key:
            assert _worst_case_count(pairs, seconds) <= count, f"conv-{key}: {count}/{seconds}s exceeded"


# --- the messenger against a connector enforcing Teams' limits ------------------------------


async def _reference(harness, person: Person) -> dict:
    await harness.install(person)
    async with harness.components.services.db() as db:
        return dict(await db.scalar(select(Conversation.reference).where(Conversation.id == person.conversation_id)))


def _note(marker: str) -> Activity:
    return Activity(type="message", text=marker)


async def test_a_burst_to_one_conversation_meets_every_teams_window_without_a_429(harness):
    """Twelve messages at once into one chat: 7 in the first second would pass a 7/s bucket, but
    the ninth within 2 s breaks Teams' 8 per 2 s; paced to all four windows there is no 429."""
    reference = await _reference(harness, Person("29:burst", "aad-burst", "Burst"))
    # Limits from here on: the welcome card the install sent is a reply, not the messenger's.
    harness.connector.conversation_limits = TEAMS_PER_CONVERSATION
    harness.connector.rate_limit = (50, 1.0)
    messenger = Messenger(harness.components.adapter, "", max_attempts=1)
    results = await asyncio.gather(*(messenger.send(reference, _note(f"b-{i}")) for i in range(12)))
    assert harness.connector.throttled == 0
    assert [r.outcome for r in results] == [Outcome.SENT] * 12
    assert sorted(s.text for s in harness.connector.sent if s.text.startswith("b-")) == sorted(f"b-{i}" for i in range(12))


async def test_429_with_retry_after_is_retried_and_each_message_sent_once(harness):
    references = [await _reference(harness, Person(f"29:r{i}", f"aad-r{i}", f"Retry {i}")) for i in range(4)]
    harness.connector.fail_next(429, times=3, retry_after=0.2)
    messenger = Messenger(harness.components.adapter, "", base_delay=0.01)
    results = await asyncio.gather(*(messenger.send(ref, _note(f"r-{i}")) for i, ref in enumerate(references)))
    assert [r.outcome for r in results] == [Outcome.SENT] * 4
    delivered = Counter(s.text for s in harness.connector.sent if s.text.startswith("r-"))
    assert delivered == Counter(f"r-{i}" for i in range(4)), "each message exactly once"


# --- the dispatcher overlaps its batches ----------------------------------------------------


async def test_a_slow_send_at_a_batch_end_does_not_stall_the_next_batch(harness, clock):
    """Batches of 3: the first row's send waits (as for a Retry-After) until something from the
    second batch has gone out. Batch after batch, that would never happen."""
    open_db = harness.components.services.db
    async with open_db() as db, db.begin():
        for i in range(6):
            await outbox.enqueue(db, kind="card", idempotency_key=f"o-{i}", conversation_id="a:overlap",
                                 due_at=clock.now() - timedelta(minutes=10 - i))
    due = {clock.now() - timedelta(minutes=10 - i): i for i in range(6)}
    second_batch_sent = asyncio.Event()

    async def deliver(message, confirm) -> DeliveryResult:
        index = due[message.due_at]
        if index == 0:
            try:
                await asyncio.wait_for(second_batch_sent.wait(), 5)
            except TimeoutError:
                return DeliveryResult(Delivery.FAILED, error="stalled")
        elif index >= 3:
            second_batch_sent.set()
        return DeliveryResult(Delivery.SENT)

    stats = await Dispatcher(open_db, deliver, clock, batch_size=3).drain()
    assert (stats.sent, stats.failed) == (6, 0)
