"""Outbox claims with a backlog: the cost of claiming one batch of due rows, by table size, on PostgreSQL.

Run from the repository root:

    python bench/outbox.py                          # a private PostgreSQL cluster, 1k / 100k / 1M rows
    python bench/outbox.py --database-url postgresql+asyncpg://postgres@127.0.0.1:54329/postgres

Two shapes, each at every size in ``--sizes``: (a) **all due**, every row pending and past its due
time (a backlog after downtime); (b) **a full schedule**, every row pending but due later, plus
1,000 rows due now. Rows are made in SQL (``INSERT ... SELECT generate_series``) and analysed, as
autovacuum would within a minute. A claim is ``storage.outbox.claim_due`` of ``--batch`` rows
(500) in a transaction that is rolled back, ``--repeat`` times (median), so every claim sees the
same table. ``shared hit+read`` is the pages PostgreSQL touched for one claim (EXPLAIN ANALYZE,
BUFFERS): the machine-independent cost.

Then the all-due backlog at the largest size is drained for ``--drain`` rows (claim, then settle
the batch as sent), sampling the server's memory every ``--sample-every`` claims: the sum of the
server processes' PSS (``/proc/<pid>/smaps_rollup``; shared buffers counted once, not once per
process), and the largest single process's RSS. Without ``--database-url`` the script starts a
throwaway cluster of its own (PostgreSQL's defaults: 128 MB shared buffers), so that no one
else's connections are counted; with one, it creates a database next to it and drops it after.

Targets: the claim at the largest size within 2x of the smallest, in both shapes; server memory
flat while draining and under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text, update  # noqa: E402

from bench.procs import postgres_factory  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, OutboxStatus  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
LEASE = timedelta(seconds=30)
DUE_IN_SCHEDULE = 1_000

_FILL = text("""
    INSERT INTO outbox (idempotency_key, kind, conversation_id, payload, due_at, status, attempts, created_at)
    SELECT :prefix || g, 'card', 'a:conv-' || (g % 2000), '{"card": {"type": "AdaptiveCard"}}',
           CAST(:start AS timestamp) + g * CAST(:step AS interval), 'pending', 0, CAST(:start AS timestamp)
    FROM generate_series(1, :rows) AS g
""")


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


async def fill(engine, rows: int, shape: str) -> None:
    """Empty the outbox and make `rows` pending rows of the given shape."""
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE outbox"))
        if shape == "due":  # spread over the hours before NOW
            await conn.execute(_FILL, {"prefix": "due-", "start": _naive(NOW - timedelta(hours=6)),
                                       "step": timedelta(seconds=6 * 3600 / rows), "rows": rows})
        else:  # spread over the next 30 days, and a few due now
            await conn.execute(_FILL, {"prefix": "later-", "start": _naive(NOW + timedelta(minutes=1)),
                                       "step": timedelta(seconds=30 * 86400 / rows), "rows": rows})
            await conn.execute(_FILL, {"prefix": "now-", "start": _naive(NOW - timedelta(hours=1)),
                                       "step": timedelta(seconds=1), "rows": DUE_IN_SCHEDULE})
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE outbox"))


async def claim_cost(open_db, batch: int, repeat: int) -> float:
    """Median milliseconds of one claim of `batch` rows, rolled back each time."""
    times = []
    for _ in range(repeat):
        async with open_db() as db:
            started = time.perf_counter()
            claimed = await outbox.claim_due(db, now=NOW, limit=batch, lease=LEASE)
            times.append((time.perf_counter() - started) * 1000)
            await db.rollback()
        assert len(claimed) == batch, f"claimed {len(claimed)} of {batch}"
    return statistics.median(times)


async def claim_buffers(open_db, batch: int) -> tuple[int, int]:
    """Pages touched by one claim, and the most rows any Sort in its plan sorted (EXPLAIN ANALYZE
    of the very statement `claim_due` sends, rolled back)."""
    async with open_db() as db:
        plan = "\n".join(row[0] for row in await db.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + await _claim_sql(db, batch))))
        await db.rollback()
    top = next((line for line in plan.splitlines() if line.lstrip().startswith("Buffers:")), "")
    pages = sum(int(part.split("=")[1]) for part in top.replace("Buffers:", "").split()
                if part.split("=")[0] in ("hit", "read"))
    return pages, _sorted_rows(plan)


def _sorted_rows(plan: str) -> int:
    return max((int(line.split("rows=")[-1].split()[0]) for line in plan.splitlines()
                if "Sort  (" in line and "actual" in line), default=0)


async def _claim_sql(db, batch: int) -> str:
    """The claim's statement, as `claim_due` builds it, with its parameters inlined."""
    captured: list = []

    class Capture:
        async def execute(self, statement):
            captured.append(statement)
            return []

    await outbox.claim_due(Capture(), now=NOW, limit=batch, lease=LEASE)  # type: ignore[arg-type]
    compiled = captured[0].compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


async def drain(engine, open_db, batch: int, rows: int, sample_every: int, pids) -> list[tuple[int, float, float, float]]:
    """Claim and settle `rows` rows from the backlog; (rows done, claim ms, PSS MiB, max RSS MiB) samples."""
    samples = []
    done = 0
    claims = 0
    while done < rows:
        async with open_db() as db, db.begin():
            started = time.perf_counter()
            claimed = await outbox.claim_due(db, now=NOW, limit=batch, lease=LEASE)
            elapsed = (time.perf_counter() - started) * 1000
        if not claimed:
            break
        async with open_db() as db, db.begin():  # settle the batch as the dispatcher's marks would
            await db.execute(update(OutboxMessage).where(OutboxMessage.claim_token == claimed[0].claim_token)
                             .values(status=OutboxStatus.SENT, claimed_until=None, claim_token=None, sent_at=NOW))
        done += len(claimed)
        claims += 1
        if claims % sample_every == 1 or done >= rows:
            pss, rss = server_memory(pids())
            samples.append((done, elapsed, pss, rss))
    return samples


# --------------------------------------------------------------------------------------------
# the server's processes and their memory
# --------------------------------------------------------------------------------------------


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("PPid:") and int(line.split()[1]) == parent:
                    found.append(int(entry.name))
    return found


def server_memory(pids: list[int]) -> tuple[float, float]:
    """(sum of PSS, largest RSS) in MiB over the server's processes."""
    pss = 0
    largest = 0
    for pid in pids:
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue  # a backend that just ended
        pss += int(fields["Pss"].split()[0])
        largest = max(largest, int(fields["Rss"].split()[0]))
    return pss / 1024, largest / 1024


async def postmaster_pid(engine) -> int:
    async with engine.connect() as conn:
        backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    for line in Path(f"/proc/{backend}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise RuntimeError("no postmaster found")


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port (initdb refuses root: run as `postgres`)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="peerspace-outbox-pg-"))
        self.port = 55000 + os.getpid() % 4000
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("no PostgreSQL binaries in /usr/lib/postgresql: pass --database-url")
        self.bin = bins[-1]

    def _run(self, command: str) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            subprocess.run(["su", "postgres", "-c", command], check=True, stdout=subprocess.DEVNULL)
        else:
            subprocess.run(["sh", "-c", command], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        data, log = self.folder / "data", self.folder / "log"
        self._run(f"{self.bin}/initdb -D {data} -U postgres -A trust --no-sync && {self.bin}/pg_ctl -D {data} "
                  f"-l {log} -w -o '-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off' start")
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self._run(f"{self.bin}/pg_ctl -D {self.folder / 'data'} -m fast -w stop")
        shutil.rmtree(self.folder, ignore_errors=True)


async def run(args, admin_url: str) -> int:
    make = postgres_factory(admin_url)
    url, cleanup = await make()
    engine = create_engine(url)
    ok = True
    try:
        await upgrade(engine)
        open_db = create_sessionmaker(engine)
        postmaster = await postmaster_pid(engine)
        sizes = [int(n) for n in args.sizes.split(",")]
        print(f"claiming {args.batch} due rows, median of {args.repeat}; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f} at the start")
        print(f"{'shape':<22} {'rows':>9} {'claim ms':>9} {'pages':>7} {'rows sorted':>12}")
        for shape, label in (("due", "(a) all due"), ("later", "(b) full schedule")):
            costs = []
            for rows in sizes:
                await fill(engine, rows, shape)
                cost = await claim_cost(open_db, args.batch, args.repeat)
                pages, sorted_rows = await claim_buffers(open_db, args.batch)
                costs.append(cost)
                print(f"{label:<22} {rows:>9} {cost:>9.2f} {pages:>7} {sorted_rows:>12}")
            ratio = costs[-1] / costs[0]
            ok &= ratio <= args.target
            print(f"{label:<22} {'ratio':>9} {ratio:>8.2f}x  ({sizes[-1]} / {sizes[0]} rows; "
                  f"{'meets' if ratio <= args.target else 'MISSES'} the <= {args.target:g}x target)")
        await fill(engine, sizes[-1], "due")
        samples = await drain(engine, open_db, args.batch, args.drain, args.sample_every,
                              lambda: [postmaster, *_children(postmaster)])
        print(f"\ndraining {args.drain} of {sizes[-1]} due rows ({args.batch} a claim, settled as sent):")
        print(f"{'rows done':>10} {'claim ms':>9} {'server PSS MiB':>15} {'largest RSS MiB':>16}")
        for done, elapsed, pss, rss in samples:
            print(f"{done:>10} {elapsed:>9.2f} {pss:>15.1f} {rss:>16.1f}")
        peak = max(pss for _, _, pss, _ in samples)
        first_half = max(pss for _, _, pss, _ in samples[: len(samples) // 2 or 1])
        ok &= peak < args.memory_target
        print(f"server memory: peak {peak:.1f} MiB (PSS sum; target < {args.memory_target:g}), "
              f"{peak - first_half:+.1f} MiB in the second half of the drain")
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        await engine.dispose()
        await cleanup()
    print("result: " + ("meets all targets" if ok else "MISSES a target"))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="an existing PostgreSQL (default: a private cluster)")
    parser.add_argument("--sizes", default="1000,100000,1000000", help="table sizes (1000,100000,1000000)")
    parser.add_argument("--batch", type=int, default=500, help="rows per claim (500)")
    parser.add_argument("--repeat", type=int, default=21, help="claims measured per size (21, median)")
    parser.add_argument("--drain", type=int, default=200_000, help="rows drained while sampling memory (200000)")
    parser.add_argument("--sample-every", type=int, default=40, help="claims between memory samples (40)")
    parser.add_argument("--target", type=float, default=2.0, help="largest / smallest claim cost target (2)")
    parser.add_argument("--memory-target", type=float, default=200.0, help="server memory target, MiB (200)")
    args = parser.parse_args(argv)
    if args.database_url:
        return asyncio.run(run(args, args.database_url))
    cluster = PrivateCluster()
    try:
        return asyncio.run(run(args, cluster.start()))
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
