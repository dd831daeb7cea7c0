"""What the benchmark scripts share: CPU accounting from /proc, a child process that says when it
is ready, and the frame of the one-tick scheduler benchmarks (fresh databases, timing, peak
memory). Imported by its neighbours (a script's own folder is on `sys.path`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads included (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> tuple[int, int, int]:
    """(busy, stolen, total) jiffies over all CPUs, from /proc/stat's first line. Stolen is time a
    virtual machine's CPUs were ready but the hypervisor ran something else."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


async def busy_share(seconds: float = 1.0) -> tuple[float, float]:
    """How busy (and stolen) the machine is before we start: other jobs skew the figures."""
    before = machine_cpu()
    await asyncio.sleep(seconds)
    busy, stolen, total = (after - b for after, b in zip(machine_cpu(), before))
    return (busy / total, stolen / total) if total else (0.0, 0.0)


class ChildProcess:
    """`python <script> <args>` with stdin and stdout piped and stderr to a log file. The child
    prints `<ready> <value>` once it can be used; closing its stdin tells it to finish."""

    def __init__(self, script: str, args: list[str], log_path: Path, name: str) -> None:
        self._args = [sys.executable, str(Path(script).resolve()), *args]
        self._log_path = log_path
        self._name = name
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, ready: bytes) -> str:
        """Start it and return the value it announced."""
        self._log = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = await asyncio.create_subprocess_exec(
            *self._args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._log,
            cwd=str(ROOT),
        )
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if not line.startswith(ready + b" "):
            raise RuntimeError(f"{self._name} did not start; see {self._log_path}")
        return line.split()[1].decode()

    def cpu(self) -> float:
        return process_cpu(self.proc.pid)

    async def stop(self, farewell: bytes = b"") -> None:
        if self.proc is not None and self.proc.returncode is None:
            if farewell:
                self.proc.stdin.write(farewell)
                await self.proc.stdin.drain()
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                self.proc.kill()  # our own child, by its handle
                await self.proc.wait()
        self._log.close()


# --- One scheduler tick over a whole organisation (bench/checkins.py, supervision.py, tripartite.py) ---

Seed = Callable[[Any, int], Awaitable[None]]  # (sessionmaker, workers) -> None
Job = Callable[[Any], Awaitable[Any]]  # (sessionmaker) -> the job's result


@dataclass(frozen=True)
class TickBench:
    """What a tick benchmark measures: how to fill a database for N workers, one run of the job,
    how many messages it found due, and columns of its own (name, width, result -> value)."""

    headline: str
    seed: Seed
    job: Job
    due: Callable[[Any], int]
    columns: tuple[tuple[str, int, Callable[[Any], object]], ...] = ()
    target_seconds: float = 5.0


def sqlite_factory(folder: Path) -> Callable[[], Awaitable[tuple[str, Callable[[], Awaitable[None]]]]]:
    """Each call: a new SQLite file in `folder`, and how to remove it."""
    async def make():
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"

        async def cleanup():
            for p in folder.glob(path.name + "*"):
                p.unlink()
        return f"sqlite+aiosqlite:///{path}", cleanup
    return make


def postgres_factory(admin_url: str) -> Callable[[], Awaitable[tuple[str, Callable[[], Awaitable[None]]]]]:
    """Each call: a new database next to the one `admin_url` names, and how to drop it."""
    import asyncpg

    async def make():
        name = f"peerspace_bench_{uuid.uuid4().hex[:8]}"
        dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

        async def cleanup():
            conn = await asyncpg.connect(dsn)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
        return admin_url.rsplit("/", 1)[0] + "/" + name, cleanup
    return make


async def seeded(url: str, bench: TickBench, workers: int):
    """A migrated database at `url` holding `workers` workers: (engine, sessionmaker)."""
    from sqlalchemy import text

    from storage.db import create_engine, create_sessionmaker
    from storage.migrate import upgrade

    engine = create_engine(url)
    await upgrade(engine)
    open_db = create_sessionmaker(engine)
    await bench.seed(open_db, workers)
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load; without statistics PostgreSQL plans
        # the chunk queries as if the tables were empty.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    return engine, open_db


async def timed(bench: TickBench, open_db) -> tuple[float, float, Any]:
    """(wall seconds, this process's CPU seconds, the job's result) of one tick. On a busy machine
    the CPU time is the steadier figure (PostgreSQL's own work is not in it)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await bench.job(open_db)
    return time.perf_counter() - started, time.process_time() - cpu, result


async def _figures(make_url, bench: TickBench, workers: int) -> dict:
    from sqlalchemy import func, select

    from storage.models import OutboxMessage

    url, cleanup = await make_url()
    try:
        engine, open_db = await seeded(url, bench, workers)
        try:
            first, first_cpu, result = await timed(bench, open_db)
            second, _, _ = await timed(bench, open_db)
            async with open_db() as db:
                queued = await db.scalar(select(func.count()).select_from(OutboxMessage))
        finally:
            await engine.dispose()
    finally:
        await cleanup()
    return {"first": first, "cpu": first_cpu, "second": second, "result": result, "queued": queued}


async def _peak_memory(make_url, bench: TickBench, workers: int) -> float:
    """Peak Python allocations (MiB) during one tick, seeding excluded."""
    url, cleanup = await make_url()
    try:
        engine, open_db = await seeded(url, bench, workers)
        try:
            tracemalloc.start()
            await bench.job(open_db)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        finally:
            await engine.dispose()
    finally:
        await cleanup()
    return peak / 2**20


def _load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


async def tick_main(description: str, bench: TickBench) -> int:
    """The command line of a tick benchmark: SQLite, and PostgreSQL too when TEST_POSTGRES_URL is
    set; prints a table and a verdict, returns the exit status (1: target missed)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--memory-sizes", default="2500,5000,10000")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    sizes = [int(n) for n in args.memory_sizes.split(",") if n]
    engines: list[tuple[str, str | None]] = [("SQLite", None)]
    if os.environ.get("TEST_POSTGRES_URL") and not args.sqlite_only:
        engines.append(("PostgreSQL", os.environ["TEST_POSTGRES_URL"]))
    busy, stolen = await busy_share()
    print(f"{args.workers} workers; {bench.headline}; target first pass < {bench.target_seconds:.0f} s")
    print(f"before: {_load()}, machine busy {busy:.0%} (stolen {stolen:.0%})")
    extra = "".join(f" {name:>{width}}" for name, width, _ in bench.columns)
    print(f"{'database':<11} {'messages':>8} {'queued':>7}{extra} {'first s':>8} {'CPU s':>6} {'next s':>7}  "
          "peak MiB during the job, by workers")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for label, admin in engines:
            factory = sqlite_factory(Path(folder)) if admin is None else postgres_factory(admin)
            figures = await _figures(factory, bench, args.workers)
            peaks = [await _peak_memory(factory, bench, n) for n in sizes]
            result, due = figures["result"], bench.due(figures["result"])
            ok &= figures["first"] < bench.target_seconds and figures["queued"] == due
            values = "".join(f" {str(get(result)):>{width}}" for _, width, get in bench.columns)
            memory = ", ".join(f"{n}: {p:.1f}" for n, p in zip(sizes, peaks))
            print(f"{label:<11} {due:>8} {figures['queued']:>7}{values} {figures['first']:>8.2f} {figures['cpu']:>6.2f} "
                  f"{figures['second']:>7.2f}  {memory}")
    print(f"after: {_load()}")
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1
