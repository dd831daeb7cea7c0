"""Turn throughput and latency of the full bot against a bare echo bot on the same adapter.

Run from the repository root:

    python bench/turns.py                        # SQLite temp file, 50 conversations x 20 messages
    python bench/turns.py --database-url postgresql+asyncpg://postgres@127.0.0.1:54329/postgres
    python bench/turns.py --profile cprofile     # also profile the full bot's server process

Both bots run in a *server process* of their own (started by this script, one after the other):

* full: the real aiohttp app from ``bot.app.create_app`` (HTTP edge, redelivery ledger, user and
  conversation upsert, SQL dialog state load/save, the dialog step, reply through the connector);
* echo: an ``ActivityHandler`` that replies with the text, behind a ``CloudAdapter`` built by
  ``bot.app._adapter`` and a minimal aiohttp handler calling ``adapter.process_activity``.

This process is the *driver*: an aiohttp ``ClientSession`` load generator plus the fake Bot
Connector (``tests/fake_connector.py``) that the bots' replies go to. Keeping the load generator
out of the server process matters on a 2-core machine: in one process the client's own HTTP work
would be added to every turn of both bots and squeeze the full/echo ratio towards 1. The CPU time
of both processes is printed so a saturated driver can be recognised.

Each conversation (a different person, personal chat) sends its messages one after the other,
awaiting each response; the conversations run in parallel. The full bot's scenario alternates
"help" (menu card) and "my data" (starts the my-data dialog: a card prompt whose state is saved);
"help" then cancels that dialog, so every turn reads and writes dialog state. Warm-up messages
(default 2 per conversation: creates the users, fills connection pools) are not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path rather than the root.
    sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402
from loopwatch import CallbackWatch  # noqa: E402 - bench/loopwatch.py
from procs import ChildProcess, busy_share, machine_cpu, self_cpu  # noqa: E402 - bench/procs.py

DEFAULT_TEXTS = ("help", "my data")


# --------------------------------------------------------------------------------------------
# server process
# --------------------------------------------------------------------------------------------


def _settings(database_url: str):
    from bot.config import load_settings

    # As tests/conftest.py's make_settings: development mode (no token validation), no scheduler.
    return load_settings(_env_file=None, dev_mode=True, database_url=database_url, scheduler_enabled=False,
                         admin_ids=["aad-admin"], log_level="INFO")


def _full_app(database_url: str) -> web.Application:
    from bot.app import create_app

    return create_app(_settings(database_url))


def _echo_app(database_url: str) -> web.Application:
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.schema import Activity

    from bot.app import sdk_adapter

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(turn_context.activity.text))

    adapter = sdk_adapter(_settings(database_url))  # the SDK sample's shape, as before
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        activity = Activity().deserialize(await request.json())
        # Development mode, as the full bot: an empty auth header authenticates nothing.
        response = await adapter.process_activity("", activity, bot.on_turn)
        if response is not None:
            return web.json_response(response.body, status=response.status)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


class LagProbe:
    """Event-loop lag: a task asks to wake every `interval` and records how late it woke. A loop
    blocked by a synchronous call (a socket read, an fsync, a long computation) shows as lag."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.lags = []
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            due = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, time.perf_counter() - due))

    async def stop(self) -> str:
        """'count p50 p99 max' in milliseconds."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        ordered = sorted(self.lags) or [0.0]

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000

        return f"{len(self.lags)} {pct(0.5):.2f} {pct(0.99):.2f} {ordered[-1] * 1000:.2f}"


async def _serve(kind: str, database_url: str, profile: str | None, profile_out: str | None,
                 diagnose: bool = False) -> None:
    from bot.logs import configure_logging

    configure_logging("INFO")  # what production runs at
    app = _full_app(database_url) if kind == "full" else _echo_app(database_url)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the ephemeral port we got

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"PORT {port}", flush=True)

    profiler = None
    lag = LagProbe()
    watch = CallbackWatch(sample=diagnose)
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "lag-start":
            lag.start()
            watch.start()
        elif line == "lag-stop":
            figures = watch.stop()
            print(f"ok {await lag.stop()} {json.dumps(figures)}", flush=True)
            continue
        elif line == "profile-start" and profile:
            profiler = _start_profiler(profile)
        elif line == "profile-stop" and profiler is not None:
            _stop_profiler(profile, profiler, profile_out)
            profiler = None
        elif line in ("", "quit"):
            break
        print("ok", flush=True)
    await runner.cleanup()


def _start_profiler(kind: str):
    if kind == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.0005)
        profiler.start()
        return profiler
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _stop_profiler(kind: str, profiler, out: str | None) -> None:
    if kind == "pyinstrument":
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        if out:
            Path(out).write_text(profiler.output_html(), encoding="utf-8")
        sys.stderr.write(text)
        return
    import io
    import pstats

    profiler.disable()
    if out:
        profiler.dump_stats(out)
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    sys.stderr.write(buf.getvalue())


# --------------------------------------------------------------------------------------------
# driver process
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    kind: str
    messages: int
    seconds: float
    latencies: list[float]
    errors: int
    replies: int
    server_cpu: float
    driver_cpu: float
    machine_busy: float  # share of all CPUs' time busy (any process: database server too)
    machine_stolen: float  # share taken by the hypervisor
    lag: tuple[float, float, float] = (0.0, 0.0, 0.0)  # server's event-loop lag p50, p99, max (ms)
    callbacks: dict = field(default_factory=dict)  # loopwatch.CallbackWatch.stop(): single callbacks, GC
    rate: float = 0.0  # offered load, messages/s in total; 0: saturated (each conversation as fast as it can)

    @property
    def mode(self) -> str:
        return f"paced {self.rate:.0f}/s" if self.rate else "saturated"

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


class Server(ChildProcess):
    """One bot in a child process; talks to it over stdin/stdout lines."""

    def __init__(self, kind: str, database_url: str, log_path: Path, profile: str | None,
                 profile_out: str | None, diagnose: bool = False) -> None:
        args = ["--serve", kind, "--database-url", database_url] + (["--diagnose"] if diagnose else [])
        if profile:
            args += ["--profile", profile]
        if profile_out:
            args += ["--profile-out", profile_out]
        super().__init__(__file__, args, log_path, f"{kind} server")
        self.kind = kind
        self.port = 0

    async def start(self) -> None:
        self.port = int(await super().start(b"PORT"))

    async def command(self, cmd: str) -> str:
        self.proc.stdin.write(cmd.encode() + b"\n")
        await self.proc.stdin.drain()
        return (await asyncio.wait_for(self.proc.stdout.readline(), 120)).decode().strip()

    async def loop_lag(self) -> tuple[tuple[float, float, float], dict]:
        """The timer's lag p50, p99 and max (ms), and the single callbacks' figures."""
        _ok, _count, p50, p99, worst, callbacks = (await self.command("lag-stop")).split(maxsplit=5)
        return (float(p50), float(p99), float(worst)), json.loads(callbacks)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def stop(self) -> None:
        await super().stop(b"quit\n")


def _people(count: int):
    from tests.factories import Person

    return [Person(f"29:bench-{i:05d}", f"aad-bench-{i:05d}", f"Bench Person {i}") for i in range(count)]


async def _send(session: ClientSession, url: str, connector_url: str, person, text: str,
                latencies: list[float] | None, errors: list[str]) -> None:
    from tests import factories

    activity = factories.message(text, person, service_url=connector_url)
    began = time.perf_counter()
    async with session.post(url, json=activity) as resp:
        await resp.read()
        status = resp.status
    elapsed = time.perf_counter() - began
    if status != 200:
        errors.append(f"HTTP {status}")
    if latencies is not None:
        latencies.append(elapsed)


async def _conversation(session: ClientSession, url: str, connector_url: str, person, texts, start: int,
                        count: int, latencies: list[float] | None, errors: list[str]) -> None:
    for i in range(start, start + count):
        await _send(session, url, connector_url, person, texts[i % len(texts)], latencies, errors)


async def _phase(session, server: Server, connector_url: str, people, texts, start: int, count: int,
                 latencies: list[float] | None, errors: list[str], rate: float = 0.0) -> float:
    """Closed loop (rate 0): each conversation sends its next message when the last is answered.
    Open loop (rate > 0): message n goes out at n / rate seconds whether or not earlier ones are
    answered, round-robin over the conversations, so a slow server meets the same offered load."""
    began = time.perf_counter()
    if not rate:
        await asyncio.gather(*(
            _conversation(session, server.url, connector_url, person, texts, start, count, latencies, errors)
            for person in people
        ))
        return time.perf_counter() - began
    sends = []
    for n in range(len(people) * count):
        delay = began + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        i = start + n // len(people)
        sends.append(asyncio.ensure_future(_send(session, server.url, connector_url, people[n % len(people)],
                                                 texts[i % len(texts)], latencies, errors)))
    await asyncio.gather(*sends)
    return time.perf_counter() - began


async def run_one(kind: str, args, database_url: str, connector, workdir: Path, rate: float = 0.0) -> RunResult:
    profile = args.profile if kind == args.profile_bot and not rate else None
    server = Server(kind, database_url, workdir / f"{kind}.log", profile, args.profile_out, args.diagnose)
    await server.start()
    people = _people(args.conversations)
    texts = tuple(args.texts)
    errors: list[str] = []
    latencies: list[float] = []
    try:
        async with ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=120)) as session:
            if args.warmup:
                await _phase(session, server, connector.url, people, texts, 0, args.warmup, None, errors)
            if profile:
                await server.command("profile-start")
            await server.command("lag-start")
            sent_before = len(connector.sent)
            cpu_s, cpu_d, machine = server.cpu(), self_cpu(), machine_cpu()
            seconds = await _phase(session, server, connector.url, people, texts, args.warmup, args.messages,
                                   latencies, errors, rate)
            cpu_s, cpu_d = server.cpu() - cpu_s, self_cpu() - cpu_d
            busy, stolen, total = (after - before for after, before in zip(machine_cpu(), machine))
            replies = len(connector.sent) - sent_before
            lag, callbacks = await server.loop_lag()
            if profile:
                await server.command("profile-stop")
    finally:
        await server.stop()
    return RunResult(kind, len(latencies), seconds, latencies, len(errors), replies, cpu_s, cpu_d,
                     busy / total if total else 0.0, stolen / total if total else 0.0, lag, callbacks, rate)


# --------------------------------------------------------------------------------------------
# database set-up
# --------------------------------------------------------------------------------------------


def _pg_admin(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _pg_exec(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class BenchDatabase:
    """A fresh, migrated database for one run: a temp SQLite file, or a new PostgreSQL database."""

    def __init__(self, admin_url: str | None, workdir: Path) -> None:
        self._admin = admin_url
        self._name = f"peerspace_bench_{uuid.uuid4().hex[:10]}"
        self.url = (_with_db(admin_url, self._name) if admin_url
                    else f"sqlite+aiosqlite:///{workdir / 'bench.db'}")

    @property
    def label(self) -> str:
        return "PostgreSQL" if self._admin else "SQLite"

    async def __aenter__(self) -> "BenchDatabase":
        from storage.migrate import upgrade_url

        if self._admin:
            await _pg_exec(self._admin, f'CREATE DATABASE "{self._name}"')
        await upgrade_url(self.url)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._admin:
            await _pg_exec(self._admin, f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _callbacks(figures: dict) -> str:
    """One run's single callbacks and GC pauses, and where the slow ones were (--diagnose)."""
    calls, total, p99, worst = figures["sqlite"]
    gc_text = ", ".join(f"gen{gen} {n} x (total {total:.0f}, max {worst:.1f} ms)"
                        for gen, (n, total, worst) in figures["gc"].items())
    lines = [f"callbacks {figures['callbacks']}: p50 {figures['p50']:.2f}, p99 {figures['p99']:.2f}, "
             f"p99.9 {figures['p999']:.1f}, max {figures['max']:.1f} ms (CPU time p99 {figures['cpu_p99']:.2f}, "
             f"max {figures['cpu_max']:.1f} ms); {figures['slow']} over 20 ms ({figures['slow_ms']:.0f} ms in all); "
             f"GC {gc_text}; SQLite calls on the loop {calls} (total {total:.0f}, p99 {p99:.2f}, max {worst:.1f} ms)"]
    lines += [f"    {ms:7.1f} ms (CPU {cpu:.1f}, in SQLite {sql:.1f})  {name}{f'  [GC {gcs}]' if gcs else ''}"
              for ms, cpu, sql, name, gcs in figures["slowest"]]
    lines += [f"    {n:5d} samples  {where}" for where, n in figures["where"]]
    return "\n".join(lines)


def _report(results: list[RunResult], args, db_label: str, idle: tuple[float, float], load: str) -> str:
    lines = [
        f"turns: {args.conversations} conversations x {args.messages} messages "
        f"(+{args.warmup} warm-up each), texts {' / '.join(repr(t) for t in args.texts)}, "
        f"database {db_label}, connector latency {args.connector_latency * 1000:.0f} ms, {os.cpu_count()} CPUs, "
        f"machine {idle[0] * 100:.0f}% busy and {idle[1] * 100:.0f}% stolen before the run, "
        f"load average {load} before and {_loadavg()} after",
        "",
        f"{'bot':<6}{'load':<13}{'msgs':>6}{'msgs/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}{'replies':>8}"
        f"{'CPU ms/msg':>11}{'server CPU %':>13}{'driver CPU %':>13}{'busy %':>7}{'stolen %':>9}"
        f"{'lag p99 / max ms':>18}{'callback p99 / max ms':>23}",
    ]
    for r in results:
        lines.append(
            f"{r.kind:<6}{r.mode:<13}{r.messages:>6}{r.throughput:>9.1f}{r.pct(0.50):>9.1f}{r.pct(0.99):>9.1f}"
            f"{r.errors:>7}{r.replies:>8}{r.server_cpu / r.messages * 1000:>11.2f}"
            f"{r.server_cpu / r.seconds * 100:>13.0f}{r.driver_cpu / r.seconds * 100:>13.0f}"
            f"{r.machine_busy * 100:>7.0f}{r.machine_stolen * 100:>9.0f}{f'{r.lag[1]:.1f} / {r.lag[2]:.1f}':>18}"
            f"{'{p99:.1f} / {max:.1f}'.format(**r.callbacks):>23}"
        )
    saturated = {r.kind: r for r in results if not r.rate}
    paced = {r.kind: r for r in results if r.rate}
    full, echo = saturated.get("full"), saturated.get("echo")
    if full is not None and echo is not None:
        ratio = full.throughput / echo.throughput
        verdict = "meets" if ratio >= args.target else "MISSES"
        p99 = full.pct(0.99) / echo.pct(0.99)
        lines += ["", f"saturated full/echo throughput: {ratio:.2f}x ({verdict} the >= {args.target:.2f}x target); "
                      f"latency p50 {full.pct(0.5) / echo.pct(0.5):.2f}x, p99 {p99:.2f}x "
                      f"({'meets' if p99 <= args.p99_target else 'MISSES'} the <= {args.p99_target:.2f}x target)"]
    if "full" in paced:
        lag = paced["full"].lag[1]
        lines.append(f"full bot's event-loop lag p99 at the paced load ({paced['full'].rate:.0f} msgs/s offered): "
                     f"{lag:.1f} ms ({'meets' if lag < args.lag_target else 'MISSES'} the < "
                     f"{args.lag_target:.0f} ms target); at saturation the lag is queueing, shown for comparison")
    for r in results:
        lines += ["", f"{r.kind} bot, {r.mode}: {_callbacks(r.callbacks)}"]
    return "\n".join(lines)


async def slow_connector_check(args, database_url: str, workdir: Path) -> tuple[str, bool]:
    """The full bot against a connector that takes `--slow-latency` seconds per reply: turns must
    overlap (their replies wait on the network, not on a thread pool) and the loop must keep
    ticking. Each conversation sends `--slow-messages`; ideal is one turn per latency each."""
    from tests.fake_connector import FakeConnector

    slow = await FakeConnector(latency=args.slow_latency).start()
    server = Server("full", database_url, workdir / "full-slow.log", None, None)
    await server.start()
    people = _people(args.conversations)
    errors: list[str] = []
    latencies: list[float] = []
    try:
        async with ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=120)) as session:
            await _phase(session, server, slow.url, people, ("help",), 0, 1, None, errors)
            await server.command("lag-start")
            seconds = await _phase(session, server, slow.url, people, ("help",), 0, args.slow_messages, latencies,
                                   errors)
            lag, callbacks = await server.loop_lag()
    finally:
        await server.stop()
        await slow.stop()
    ideal = args.conversations / args.slow_latency
    rate = len(latencies) / seconds
    ok = not errors and lag[1] < args.lag_target and rate >= ideal / 2
    load = _loadavg()
    return (f"slow connector ({args.slow_latency * 1000:.0f} ms per reply), full bot, {args.conversations} "
            f"conversations x {args.slow_messages}: {rate:.1f} msgs/s (ideal {ideal:.1f}: every turn waiting "
            f"at once), errors {len(errors)}, event-loop lag p50 {lag[0]:.1f} / p99 {lag[1]:.1f} / max "
            f"{lag[2]:.1f} ms ({'meets' if ok else 'MISSES'} lag p99 < {args.lag_target:.0f} ms and "
            f">= half the ideal rate); load average {load} after\n{_callbacks(callbacks)}"), ok


async def main_async(args) -> int:
    from tests.fake_connector import FakeConnector

    logging.basicConfig(level=logging.WARNING)
    idle = await busy_share()
    with tempfile.TemporaryDirectory(prefix="peerspace-bench-") as tmp:
        workdir = Path(tmp)
        connector = await FakeConnector(latency=args.connector_latency).start()
        try:
            async with BenchDatabase(args.database_url, workdir) as db:
                load = _loadavg()
                results = []
                for rate in _rates(args, results):
                    runs = []
                    for _ in range(args.repeat):
                        for kind in args.bots:
                            r = await run_one(kind, args, db.url, connector, workdir, rate)
                            runs.append(r)
                            print(f"  {r.kind} {r.mode}: {r.throughput:.1f} msgs/s, p50 {r.pct(0.5):.1f} ms, "
                                  f"p99 {r.pct(0.99):.1f} ms, lag p99 {r.lag[1]:.1f} ms, longest callback "
                                  f"{r.callbacks['max']:.1f} ms", file=sys.stderr, flush=True)
                    results += _median(runs)
                print(_report(results, args, db.label, idle, load))
                slow_ok = True
                if args.slow_messages:
                    text, slow_ok = await slow_connector_check(args, db.url, workdir)
                    print(text)
                for log_file in sorted(workdir.glob("*.log")):
                    log_text = log_file.read_text(errors="replace")
                    lines = log_text.splitlines()
                    bad = [i for i, ln in enumerate(lines) if " ERROR " in ln or "Traceback" in ln]
                    if bad:
                        first = "\n  ".join(lines[bad[0]:bad[0] + 12])
                        print(f"\n{log_file.stem} server logged {len(bad)} errors, first:\n  {first}")
                    if args.profile and log_file.stem.startswith(args.profile_bot):
                        print(f"\n--- profile of the {log_file.stem} server process (measured phase) ---\n"
                              f"{log_text}")
                failed = not slow_ok or any(r.errors or r.replies != r.messages for r in results)
                return 1 if failed else 0
        finally:
            await connector.stop()


def _rates(args, results: list[RunResult]):
    """0 (saturated) first, then the paced load: `--rate` msgs/s, or a share of the echo bot's
    saturated throughput measured just before ("70%"; the echo bot must be among --bots)."""
    if "saturated" in args.load:
        yield 0.0
    if "paced" in args.load:
        if args.rate.endswith("%"):
            echo = [r for r in results if r.kind == "echo" and not r.rate]
            if not echo:
                raise SystemExit("--rate N% needs the saturated echo run: --load saturated paced, --bots echo ...")
            yield echo[0].throughput * float(args.rate[:-1]) / 100
        else:
            yield float(args.rate)


def _median(results: list[RunResult]) -> list[RunResult]:
    """With --repeat, keep each bot's median run by throughput."""
    out = []
    for kind in dict.fromkeys(r.kind for r in results):
        runs = sorted((r for r in results if r.kind == kind), key=lambda r: r.throughput)
        out.append(runs[len(runs) // 2])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations (default 50)")
    parser.add_argument("--messages", type=int, default=20, help="measured messages per conversation (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured messages per conversation first (2)")
    parser.add_argument("--database-url", default=None,
                        help="postgresql+asyncpg://user@host:port/db: a fresh database is created beside it "
                             "for the run and dropped after (default: SQLite temp file)")
    parser.add_argument("--bots", nargs="+", choices=["echo", "full"], default=["echo", "full"])
    parser.add_argument("--texts", nargs="+", default=list(DEFAULT_TEXTS),
                        help="what each conversation says, in turn (default: help, my data)")
    parser.add_argument("--repeat", type=int, default=1, help="run each bot N times, report the median")
    parser.add_argument("--connector-latency", type=float, default=0.0,
                        help="seconds the fake connector waits before answering a reply (default 0)")
    parser.add_argument("--target", type=float, default=0.8, help="full/echo throughput target (0.8)")
    parser.add_argument("--p99-target", type=float, default=1.5, help="full/echo p99 latency target (1.5)")
    parser.add_argument("--lag-target", type=float, default=50.0, help="event-loop lag p99 target, ms (50)")
    parser.add_argument("--slow-latency", type=float, default=1.0,
                        help="seconds the slow connector takes per reply in the slow-connector check (1)")
    parser.add_argument("--slow-messages", type=int, default=3,
                        help="messages per conversation in the slow-connector check (3; 0 skips it)")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"],
                        help="profile one bot's server process during the measured phase (slows it down)")
    parser.add_argument("--profile-bot", choices=["echo", "full"], default="full", help="which one (full)")
    parser.add_argument("--profile-out", help="also write the profile here (.prof for cProfile, .html)")
    parser.add_argument("--serve", choices=["echo", "full"], help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--load", nargs="+", choices=["saturated", "paced"], default=["saturated", "paced"],
                        help="saturated: each conversation sends as soon as answered; paced: open loop at --rate")
    parser.add_argument("--rate", default="30%",
                        help="paced load in msgs/s in total, or N%% of the echo bot's saturated msgs/s measured "
                             "first (30%%: about 70%% of the full bot's own capacity, which is 0.4-0.57x echo's)")
    parser.add_argument("--diagnose", action="store_true",
                        help="sample where each callback over 20 ms spent its time (a thread; slows the server)")
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve, args.database_url, args.profile, args.profile_out, args.diagnose))
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
