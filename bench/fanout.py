"""Proactive fan-out: N messages through the real Messenger into a rate-limited fake connector.

Run from the repository root:

    python bench/fanout.py                     # 10,000 messages at Teams' 50/s: about 200 s
    python bench/fanout.py --rate 500          # the same at 500/s: about 20 s

The Messenger is the one ``bot.app.create_app`` builds (real ``CloudAdapter.continue_conversation``
path, token buckets from the settings: global ``--rate`` per second, per conversation 7/s and
1800/h). Messages go to ``--conversations`` personal chats (default 2,000 x 5 messages), with
conversation references shaped exactly as the bot stores them (``bot.turns.seen_conversation``).
Each activity is a notice card with a unique id in its ``channelData``. They are handed to
``Messenger.send`` the way the outbox dispatcher does: batches of ``--batch`` (200, the default
dispatch batch size), the next one handed over as soon as fewer than a batch are still unsent
(``Dispatcher.drain`` overlaps its batches the same way).

The fake Bot Connector (``tests/fake_connector.py``) runs in a child process, as Teams is
elsewhere: it enforces ``--connector-rate`` (default: the same as ``--rate``) per ``--window``
(1 s) as a sliding window for the whole app, and Teams' per-conversation windows
(``--conversation-limits``, 7/1 s, 8/2 s, 60/30 s, 1800/3600 s), and answers 429 with
``Retry-After: 1`` beyond any of them. ``--hog N`` runs N busy processes alongside (a loaded machine).

Targets: wall time within 1.05x of the minimum the limits allow, 0 429s, no message lost, none
delivered twice.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import json
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path rather than the root.
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from procs import ChildProcess, busy_share, machine_cpu, self_cpu  # noqa: E402 - bench/procs.py

BENCH_KEY = "peerspaceBenchId"


# --------------------------------------------------------------------------------------------
# connector process
# --------------------------------------------------------------------------------------------


def _connector_class():
    from tests.fake_connector import FakeConnector

    class CountingConnector(FakeConnector):
        """The tests' fake connector, plus a stats route and the time of every 429."""

        def __init__(self, **kw) -> None:
            super().__init__(**kw)
            self.throttled_at: list[float] = []
            self.sent_at: list[float] = []
            self.first_post: float | None = None

        async def _post(self, request: web.Request) -> web.Response:
            now = time.monotonic()
            if self.first_post is None:
                self.first_post = now
            before, accepted = self.throttled, len(self.sent)
            response = await super()._post(request)
            if self.throttled != before:
                self.throttled_at.append(now - self.first_post)
            if len(self.sent) != accepted:
                self.sent_at.append(now - self.first_post)
            return response

        async def _stats(self, _request: web.Request) -> web.Response:
            ids = [(s.activity.get("channelData") or {}).get(BENCH_KEY) for s in self.sent]
            # Every accepted activity, for bench/replicas.py: where it went, what it answered, its
            # first card's first text (a seeded row's label), and seconds since the first post.
            sent = [[s.conversation_id, s.reply_to, _label(s), at] for s, at in zip(self.sent, self.sent_at)]
            return web.json_response({"ids": ids, "throttled": self.throttled, "throttled_at": self.throttled_at,
                                      "sent": sent})

        def app(self) -> web.Application:
            app = super().app()
            app.router.add_get("/bench/stats", self._stats)
            return app

    return CountingConnector


def _label(sent) -> str | None:
    body = (sent.cards or [{}])[0].get("body") or [{}]
    return body[0].get("text") if isinstance(body[0], dict) else None


TEAMS_CONVERSATION_LIMITS = "7/1,8/2,60/30,1800/3600"


def _parse_limits(text: str) -> tuple[tuple[int, float], ...]:
    return tuple((int(count), float(seconds)) for count, seconds in
                 (part.split("/") for part in text.split(",") if part.strip()))


def minimum_seconds(per_conversation: list[int], rate: float, limits: tuple[tuple[int, float], ...]) -> float:
    """The least wall time the limits allow: the app-wide rate, or the busiest conversation's
    windows (its k-th message can leave no sooner than every window lets it)."""
    busiest = max(per_conversation, default=0)
    times: list[float] = []
    for i in range(busiest):
        t = max([0.0] + [times[i - count] + seconds for count, seconds in limits if i >= count])
        times.append(t)
    return max(sum(per_conversation) / rate, times[-1] if times else 0.0)


async def _serve_connector(rate: int, window: float, latency: float, conversation_limits: str) -> None:
    connector = await _connector_class()(rate_limit=(rate, window), latency=latency,
                                         conversation_limits=_parse_limits(conversation_limits)).start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"URL {connector.url}", flush=True)
    await reader.read()  # until the parent closes our stdin
    await connector.stop()


class ConnectorProcess(ChildProcess):
    def __init__(self, rate: int, window: float, latency: float, conversation_limits: str, log_path: Path) -> None:
        super().__init__(__file__, ["--serve-connector", "--connector-rate", str(rate), "--window", str(window),
                                    "--latency", str(latency), "--conversation-limits", conversation_limits],
                         log_path, "fake connector")
        self.url = ""

    async def start(self) -> "ConnectorProcess":
        self.url = await super().start(b"URL")
        return self


# --------------------------------------------------------------------------------------------
# sender (this process)
# --------------------------------------------------------------------------------------------


def _references(count: int, service_url: str) -> list[dict]:
    """Conversation references exactly as the bot stores them when someone writes to it."""
    from botbuilder.schema import Activity

    from bot.turns import seen_conversation
    from tests import factories
    from tests.factories import Person

    refs = []
    for i in range(count):
        person = Person(f"29:fan-{i:06d}", f"aad-fan-{i:06d}", f"Fan Out {i}")
        activity = Activity().deserialize(factories.message("hi", person, service_url=service_url))
        refs.append(seen_conversation(activity).reference)
    return refs


class AttemptCounter:
    """Wraps the messenger's single-attempt method (this instance only) to count HTTP outcomes."""

    def __init__(self, messenger) -> None:
        self.statuses: collections.Counter = collections.Counter()
        original = messenger._attempt  # noqa: SLF001 - instrumentation, bench only

        async def counted(*args):
            result, retry_after = await original(*args)
            self.statuses[result.status or (200 if result.activity_id else "none")] += 1
            return result, retry_after

        messenger._attempt = counted  # noqa: SLF001
        # How long each request held its place in the windows (from its permit to its answer,
        # as the sender's loop saw them): the sliding windows keep it `seconds` beyond that, so
        # the achievable rate is count / (seconds + this).
        self.held: list[float] = []
        limiter = messenger._limiter  # noqa: SLF001
        acquire, release = limiter.acquire, limiter.release

        async def timed_acquire(key):
            permit = await acquire(key)
            permit.taken_at = time.monotonic()
            return permit

        def timed_release(permit) -> None:
            if permit.buckets and hasattr(permit, "taken_at"):
                self.held.append(time.monotonic() - permit.taken_at)
            release(permit)

        limiter.acquire, limiter.release = timed_acquire, timed_release

    @property
    def attempts(self) -> int:
        return sum(self.statuses.values())


async def run(args) -> int:
    from bot.app import COMPONENTS, create_app
    from dialogs.shared.cards import card_activity
    from bot.config import load_settings
    from bot.logs import configure_logging

    configure_logging("INFO" if args.verbose else "WARNING")
    idle = await busy_share()
    if args.threads:
        # The SDK sends every request with `requests` in the loop's default executor, which has
        # min(32, CPUs + 4) threads: at most that many requests in flight, whatever the latency.
        from concurrent.futures import ThreadPoolExecutor

        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.threads))
    with tempfile.TemporaryDirectory(prefix="peerspace-fanout-") as tmp:
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hog)]
        connector = await ConnectorProcess(args.connector_rate or round(args.rate), args.window, args.latency,
                                           args.conversation_limits, Path(tmp) / "connector.log").start()
        settings = load_settings(
            _env_file=None, dev_mode=True, database_url=f"sqlite+aiosqlite:///{tmp}/fanout.db",
            scheduler_enabled=False, rate_global_per_second=args.rate,
            **({"dispatch_batch_size": args.batch} if args.batch else {}),
        )
        app = create_app(settings)
        runner = web.AppRunner(app)
        await runner.setup()  # startup hooks, as in production (the scheduler is off)
        try:
            components = app[COMPONENTS]
            messenger = components.messenger
            counter = AttemptCounter(messenger)
            notice = components.content.card("notice", {"title": "PeerSpace", "text": "A message for everyone.", "next": []})
            refs = _references(args.conversations, connector.url)
            per_conv = -(-args.messages // args.conversations)
            # Round-robin: every conversation's first message, then every second one, and so on.
            plan = [(c, k) for k in range(per_conv) for c in range(args.conversations)][: args.messages]

            def activity_for(c: int, k: int):
                activity = card_activity(notice)
                activity.channel_data = {BENCH_KEY: f"m-{c:06d}-{k}"}
                return activity

            outcomes: collections.Counter = collections.Counter()

            async def send(c: int, k: int) -> None:
                result = await messenger.send(refs[c], activity_for(c, k))
                outcomes[result.outcome.value] += 1

            batch = args.batch or len(plan)
            if args.via == "outbox":
                await _seed_outbox(components, refs, plan, notice)
            fds0 = _open_fds()
            profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
            cpu0, cpu_c0, machine0 = self_cpu(), connector.cpu(), machine_cpu()
            began = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            if args.via == "outbox":
                stats_ = await components.dispatcher.drain()
                outcomes.update({k: v for k, v in vars(stats_).items() if v})
            else:
                await _hand_over(plan, batch, send, began)
            if profiler is not None:
                profiler.disable()
            wall = time.perf_counter() - began
            cpu, cpu_c = self_cpu() - cpu0, connector.cpu() - cpu_c0
            if profiler is not None:
                _report_profile(profiler, args.profile, len(plan))
            busy, stolen, total = (after - before for after, before in zip(machine_cpu(), machine0))
            fds = _open_fds() - fds0

            import aiohttp

            async with aiohttp.ClientSession() as http, http.get(connector.url + "/bench/stats") as resp:
                stats = json.loads(await resp.text())
        finally:
            await runner.cleanup()
            await connector.stop()
            for hog in hogs:
                hog.kill()
                hog.wait()

    expected = {f"m-{c:06d}-{k}" for c, k in plan}
    delivered = collections.Counter(stats["ids"])
    lost = len(expected - set(delivered))
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    conversation_limits = _parse_limits(args.conversation_limits)
    minimum = minimum_seconds(list(collections.Counter(c for c, _ in plan).values()), args.rate, conversation_limits)
    ratio = wall / minimum
    early = sum(1 for t in stats["throttled_at"] if t < 2.0)
    ok = ratio <= args.target and lost == 0 and duplicates == 0 and stats["throttled"] == 0
    print("\n".join([
        f"fanout via {args.via}: {len(plan)} messages to {len({c for c, _ in plan})} conversations, batches of {batch}, "
        f"messenger {args.rate:g}/s global, connector {args.connector_rate or round(args.rate)}/{args.window:g}s "
        f"sliding window and per conversation {args.conversation_limits}, latency {args.latency * 1000:.0f} ms, "
        f"{os.cpu_count()} CPUs, executor threads {args.threads or min(32, (os.cpu_count() or 1) + 4)}, "
        f"machine {idle[0] * 100:.0f}% busy and {idle[1] * 100:.0f}% stolen before the run, {args.hog} CPU hogs, "
        f"load average {os.getloadavg()[0]:.2f} after it",
        "",
        f"wall time            {wall:9.1f} s",
        f"minimum (limits)     {minimum:9.1f} s",
        f"ratio                {ratio:9.3f}x  ({'meets' if ratio <= args.target else 'MISSES'} the "
        f"<= {args.target:g}x target)",
        f"achieved rate        {len(plan) / wall:9.1f} msgs/s",
        f"429s (violations)    {stats['throttled']:9d}   ({early} in the first 2 s)",
        f"send attempts        {counter.attempts:9d}   by status: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(counter.statuses.items(), key=lambda kv: str(kv[0]))),
        "outcomes             " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())),
        f"window hold          {_mean_ms(counter.held):9.1f} ms mean, p95 {_p95_ms(counter.held):.1f} ms "
        f"(permit to answer, as the sender saw it)",
        f"delivered            {sum(delivered.values()):9d}   unique {len(delivered)}",
        f"lost                 {lost:9d}",
        f"duplicates           {duplicates:9d}",
        f"sender CPU           {cpu / len(plan) * 1000:9.2f} ms/msg ({cpu / wall * 100:.0f}% of one core); "
        f"connector CPU {cpu_c / len(plan) * 1000:.2f} ms/msg",
        f"machine              {busy / total * 100:9.0f}%  busy during the run, {stolen / total * 100:.0f}% stolen "
        f"({os.cpu_count()} CPUs)",
        f"open fds afterwards  {fds:+9d}   (file descriptors left open by the sends)",
        "",
        "result: " + ("meets all targets" if ok else "MISSES a target"),
    ]))
    return 0 if ok else 1


async def _hand_over(plan: list[tuple[int, int]], batch: int, send, began: float) -> None:
    """`--via messenger`: sends handed to `Messenger.send` in overlapping batches."""
    progress_at = began
    in_flight: set[asyncio.Task] = set()
    for start in range(0, len(plan), batch):
        # As the dispatcher: the next batch once fewer than a batch are unsent, so a slow
        # tail (a retry waiting out its Retry-After) does not hold the next batch back.
        while len(in_flight) >= batch:
            _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        in_flight |= {asyncio.ensure_future(send(c, k)) for c, k in plan[start:start + batch]}
        now = time.perf_counter()
        if now - progress_at >= 10:
            progress_at = now
            print(f"  {start + batch} / {len(plan)} after {now - began:.0f} s", file=sys.stderr, flush=True)
    await asyncio.gather(*in_flight)


BENCH_KIND = "bench-notice"


async def _seed_outbox(components, refs: list[dict], plan: list[tuple[int, int]], card: dict) -> None:
    """`--via outbox`: the conversations stored as the bot stores them, and one due outbox row of
    kind "card" per message (the card bound at enqueue time, as announcements do), each with its
    bench id. Sent by the app's own `Dispatcher.drain` through `OutboxDelivery`."""
    from sqlalchemy import insert

    from storage import outbox
    from storage.models import Conversation, OutboxStatus, utcnow

    from storage.migrate import upgrade

    await upgrade(components.engine)
    now = utcnow()
    try:
        components.delivery.register(BENCH_KIND, _bench_renderer, needs_db=False)
    except TypeError:  # before issue 15's batched recipients
        components.delivery.register(BENCH_KIND, _bench_renderer)
    conversations = [{"id": ref["conversation"]["id"], "conversation_type": "personal", "reference": ref,
                      "active": True, "updated_at": now} for ref in refs]
    rows = [{"idempotency_key": f"bench:{c}:{k}", "kind": BENCH_KIND, "user_id": None,
             "conversation_id": refs[c]["conversation"]["id"], "payload": {"card": card, "id": f"m-{c:06d}-{k}"},
             "due_at": now, "not_after": None, "status": OutboxStatus.PENDING, "attempts": 0, "created_at": now}
            for c, k in plan]
    async with components.services.db() as db, db.begin():
        await db.execute(insert(Conversation.__table__), conversations)
        for start in range(0, len(rows), 1000):
            await outbox.insert_new(db, rows[start:start + 1000])


async def _bench_renderer(db, message):
    """The bench's outbox kind: as the built-in "card" kind, plus the row's bench id in channelData."""
    from bot.delivery import render_card_payload

    activity = await render_card_payload(db, message)
    if isinstance(activity, dict):
        return {**activity, "channelData": {BENCH_KEY: message.payload["id"]}}
    activity.channel_data = {BENCH_KEY: message.payload["id"]}  # before issue 15's JSON path
    return activity


def _report_profile(profiler: cProfile.Profile, path: str, messages: int) -> None:
    """The sender's profile: written to `path` (pstats), the top of it printed, per message."""
    profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.stats.values())  # type: ignore[attr-defined]
    print(f"profile: {total / messages * 1000:.2f} ms/msg of profiled time in the sender; written to {path}",
          file=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue(), file=sys.stderr)


def _mean_ms(values: list[float]) -> float:
    return sum(values) / len(values) * 1000 if values else 0.0


def _p95_ms(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)] * 1000 if values else 0.0


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages to send (default 10000)")
    parser.add_argument("--conversations", type=int, default=2_000, help="distinct conversations (default 2000)")
    parser.add_argument("--rate", type=float, default=50.0, help="messenger's global limit per second (50)")
    parser.add_argument("--connector-rate", type=int, default=0,
                        help="fake connector's limit per --window (default: --rate)")
    parser.add_argument("--window", type=float, default=1.0, help="fake connector's sliding window, seconds (1)")
    parser.add_argument("--latency", type=float, default=0.0, help="fake connector's delay per request, s (0)")
    parser.add_argument("--batch", type=int, default=200,
                        help="sends gathered at once, as the dispatcher's batch (200; 0 = all at once)")
    parser.add_argument("--threads", type=int, default=0,
                        help="size of the event loop's default executor, through which the SDK makes its "
                             "HTTP requests (default: Python's own, min(32, CPUs + 4))")
    parser.add_argument("--conversation-limits", default=TEAMS_CONVERSATION_LIMITS,
                        help=f"fake connector's per-conversation windows, count/seconds ({TEAMS_CONVERSATION_LIMITS})")
    parser.add_argument("--hog", type=int, default=0, help="busy processes to run alongside (0)")
    parser.add_argument("--target", type=float, default=1.05, help="wall / minimum target (1.05)")
    parser.add_argument("--via", choices=("outbox", "messenger"), default="outbox",
                        help="outbox: rows queued, then sent by the app's Dispatcher.drain (default); "
                             "messenger: handed straight to Messenger.send in batches")
    parser.add_argument("--profile", metavar="FILE", default="",
                        help="profile the sender with cProfile while it sends; pstats written to FILE")
    parser.add_argument("--verbose", action="store_true", help="log the messenger's retries")
    parser.add_argument("--serve-connector", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.serve_connector:
        logging.basicConfig(level=logging.WARNING)
        asyncio.run(_serve_connector(args.connector_rate, args.window, args.latency, args.conversation_limits))
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
