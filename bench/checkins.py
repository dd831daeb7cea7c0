"""Queueing a day's check-in prompts for many workers across many time zones.

Run from the repository root: ``python bench/checkins.py`` (SQLite in a temp folder; and on
PostgreSQL too when TEST_POSTGRES_URL is set, in a database it creates and drops). Not a timed
test: it prints figures and a verdict against the target (one run of the hourly job, queueing
the day's prompts for 10,000 opted-in workers in 20 zones, under 5 s; memory flat with the
number of workers), and exits 1 when the target is missed.

Each run: a freshly migrated database with N people and active plans (per-weekday times from a
few shift patterns, zones round-robin over 20 IANA zones), then `storage.checkins.prompts.
materialise` as the hourly job calls it: the first pass inserts every prompt due within the
horizon, the second finds them all queued already (what every later hour costs). Time is wall
clock without tracing; peak memory is measured in a separate pass with tracemalloc (Python
allocations during the job), for several N, to show it does not grow with N.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from storage.checkins.models import CheckinPlan  # noqa: E402
from storage.checkins.prompts import materialise  # noqa: E402
from storage.checkins.schedule import Rules  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, User  # noqa: E402

ZONES = ("Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Helsinki", "Atlantic/Azores",
         "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Halifax",
         "America/St_Johns", "America/Sao_Paulo", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
         "Asia/Kathmandu", "Asia/Singapore", "Australia/Adelaide", "Australia/Sydney", "Pacific/Auckland")
SHIFTS = ({"mon": "14:45", "tue": "14:45", "wed": "21:45", "thu": "21:45", "sat": "20:15"},  # earlies, lates, long day
          {"mon": "08:15", "tue": "08:15", "fri": "08:15", "sun": "08:15"},  # nights end in the morning
          {d: "17:30" for d in ("mon", "tue", "wed", "thu", "fri")})
RULES = Rules(window=timedelta(minutes=180), horizon=timedelta(hours=26), weekly_at=datetime.min.time().replace(
    hour=18), weekly_window=timedelta(hours=12))
NOW = datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc)
TARGET_SECONDS = 5.0


async def seed(open_db, workers: int) -> None:
    users, plans = [], []
    for i in range(workers):
        uid = uuid.uuid4().hex
        users.append({"id": uid, "teams_id": f"29:bench-{i}", "name": f"Worker {i}", "time_zone": ZONES[i % 20],
                      "created_at": NOW, "updated_at": NOW})
        plans.append({"user_id": uid, "active": True, "time_zone": ZONES[i % 20], "times": SHIFTS[i % 3],
                      "weekly_day": 4 if i % 5 == 0 else None, "retention_days": 90,
                      "changed_at": NOW - timedelta(days=30), "version": 1, "created_at": NOW})
    async with open_db() as db, db.begin():
        for start in range(0, workers, 5000):
            await db.execute(insert(User), users[start:start + 5000])
            await db.execute(insert(CheckinPlan), plans[start:start + 5000])


async def run_job(open_db) -> tuple[float, int]:
    started = time.perf_counter()
    async with open_db() as db, db.begin():
        due = await materialise(db, NOW, RULES)
    return time.perf_counter() - started, due


async def one_database(url: str, workers: int, memory_sizes: list[int]) -> dict:
    engine = create_engine(url)
    await upgrade(engine)
    open_db = create_sessionmaker(engine)
    await seed(open_db, workers)
    first, due = await run_job(open_db)
    second, _ = await run_job(open_db)
    async with open_db() as db:
        queued = await db.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    return {"first": first, "second": second, "due": due, "queued": queued}


async def peak_memory(make_url, workers: int) -> float:
    url, cleanup = await make_url()
    engine = create_engine(url)
    try:
        await upgrade(engine)
        open_db = create_sessionmaker(engine)
        await seed(open_db, workers)
        tracemalloc.start()
        await run_job(open_db)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        await engine.dispose()
        await cleanup()
    return peak / 2**20


def sqlite_factory(folder: Path):
    async def make():
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"

        async def cleanup():
            for p in folder.glob(path.name + "*"):
                p.unlink()
        return f"sqlite+aiosqlite:///{path}", cleanup
    return make


def postgres_factory(admin_url: str):
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


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--memory-sizes", default="2500,5000,10000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.memory_sizes.split(",") if n]
    engines = [("SQLite", None)]
    if os.environ.get("TEST_POSTGRES_URL"):
        engines.append(("PostgreSQL", os.environ["TEST_POSTGRES_URL"]))
    ok = True
    print(f"{args.workers} workers, {len(ZONES)} zones, 3 shift patterns, horizon {RULES.horizon}; "
          f"target first pass < {TARGET_SECONDS:.0f} s")
    print(f"{'database':<11} {'prompts due':>11} {'rows queued':>11} {'first pass s':>12} {'next pass s':>11}  "
          "peak MiB during the job, by workers")
    with tempfile.TemporaryDirectory() as folder:
        for label, admin in engines:
            factory = sqlite_factory(Path(folder)) if admin is None else postgres_factory(admin)
            url, cleanup = await factory()
            try:
                figures = await one_database(url, args.workers, sizes)
            finally:
                await cleanup()
            peaks = [await peak_memory(factory, n) for n in sizes]
            ok &= figures["first"] < TARGET_SECONDS and figures["queued"] == figures["due"]
            memory = ", ".join(f"{n}: {p:.1f}" for n, p in zip(sizes, peaks))
            print(f"{label:<11} {figures['due']:>11} {figures['queued']:>11} {figures['first']:>12.2f} "
                  f"{figures['second']:>11.2f}  {memory}")
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
