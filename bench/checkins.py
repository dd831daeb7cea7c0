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

import asyncio
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from procs import TickBench, tick_main  # noqa: E402 - bench/procs.py
from sqlalchemy import insert  # noqa: E402

from storage.checkins.models import CheckinPlan  # noqa: E402
from storage.checkins.prompts import materialise  # noqa: E402
from storage.checkins.schedule import Rules  # noqa: E402
from storage.models import User  # noqa: E402

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


async def run_job(open_db) -> int:
    async with open_db() as db, db.begin():
        return await materialise(db, NOW, RULES)


BENCH = TickBench(f"{len(ZONES)} zones, 3 shift patterns, horizon {RULES.horizon}", seed, run_job, due=int)


if __name__ == "__main__":
    sys.exit(asyncio.run(tick_main(__doc__.split("\n\n")[0], BENCH)))
