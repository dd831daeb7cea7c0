"""Supervision due dates and reminders for a whole organisation in one scheduler tick.

Run from the repository root: ``python bench/supervision.py`` (SQLite in a temp folder; and on
PostgreSQL too when TEST_POSTGRES_URL is set, in a database it creates and drops). Not a timed
test: it prints figures and a verdict against the target (one run of the hourly cadence job for
10,000 workers, each with a line manager and a peer supervisor and a year of confirmed and
unconfirmed records, under 5 s; memory flat with the number of workers), and exits 1 when missed.

Each run: a freshly migrated database with N workers (one in ten not installed, zones over five
IANA zones, teams of 20, a peer lead per team, 500 managers and 500 peer supervisors), four records
per worker and type over the last year (one in four unconfirmed), then `storage.cadence.queue.
queue` as the hourly job calls it (on PostgreSQL after ANALYZE, which autovacuum runs
within a minute of such a load): the first pass queues every reminder and escalation due within
the horizon, the second finds them queued already (what every later hour costs). Peak memory is
measured in a separate pass with tracemalloc, for several N, to show it does not grow with N.
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.checkins import postgres_factory, sqlite_factory  # noqa: E402
from dialogs.cadence.config import CadenceConfig  # noqa: E402
from dialogs.shared.content import load_content  # noqa: E402
from storage.absences import AbsenceDirectory  # noqa: E402
from storage.cadence.queue import queue  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, RoleGrant, User  # noqa: E402
from storage.people.models import Person, PersonLink, SupervisionRecord  # noqa: E402

ZONES = ("Europe/London", "Europe/Dublin", "Europe/Paris", "America/New_York", "Asia/Kolkata")
TYPES = ("peer_supervision", "management_supervision", "co_reflection")
NOW = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)
TODAY = NOW.date()
TARGET_SECONDS = 5.0
SUPPORTERS = 500


async def seed(open_db, workers: int) -> None:
    users, people, links, records, grants = [], [], [], [], []

    def add_person(i: int, kind: str, installed: bool, team: str) -> str:
        pid = uuid.uuid4().hex
        uid = uuid.uuid4().hex if installed else None
        if uid:
            users.append({"id": uid, "teams_id": f"29:{kind}-{i}", "aad_object_id": f"aad-{kind}-{i}",
                          "name": f"{kind} {i}", "time_zone": ZONES[i % len(ZONES)], "created_at": NOW,
                          "updated_at": NOW})
        people.append({"id": pid, "user_id": uid, "aad_object_id": f"aad-{kind}-{i}", "name": f"{kind} {i}",
                       "organisation": "Trust", "team": team, "start_date": date(2024, 1, 1) + timedelta(days=i % 900),
                       "created_at": NOW, "updated_at": NOW})
        return pid

    managers = [add_person(i, "manager", True, f"Team {i % (workers // 20 or 1)}") for i in range(SUPPORTERS)]
    supervisors = [add_person(i, "supervisor", True, f"Team {i % (workers // 20 or 1)}") for i in range(SUPPORTERS)]
    for t in range(max(1, workers // 20)):
        add_person(t, "lead", True, f"Team {t}")
        grants.append({"aad_object_id": f"aad-lead-{t}", "role": "peer_lead", "granted_by": "bench",
                       "created_at": NOW})
    for i in range(workers):
        wid = add_person(i, "worker", i % 10 != 0, f"Team {i // 20}")
        for kind, other in (("line_manager", managers[i % SUPPORTERS]), ("peer_supervisor", supervisors[i % SUPPORTERS])):
            links.append({"id": uuid.uuid4().hex, "worker_id": wid, "other_id": other, "kind": kind, "status": "active",
                          "started_on": date(2024, 1, 1), "created_at": NOW, "updated_at": NOW})
        for n, kind in enumerate(TYPES):
            for k in range(4):
                held = TODAY - timedelta(days=(i * 7 + n * 11) % 60 + 30 * k)
                records.append({"id": uuid.uuid4().hex, "worker_id": wid, "type": kind, "held_on": held,
                                "status": "unconfirmed" if (i + k) % 4 == 0 else "confirmed", "created_at": NOW})
    async with open_db() as db, db.begin():
        await db.execute(insert(User), users)
        await db.execute(insert(Person), people)
        await db.execute(insert(RoleGrant), grants)
        for start in range(0, len(links), 5000):
            await db.execute(insert(PersonLink), links[start:start + 5000])
        for start in range(0, len(records), 5000):
            await db.execute(insert(SupervisionRecord), records[start:start + 5000])
    if open_db.kw["bind"].dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load; without statistics PostgreSQL plans
        # the chunk queries as if the tables were empty.
        async with open_db.kw["bind"].connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))


async def run_job(open_db, rules) -> tuple[float, object]:
    started = time.perf_counter()
    async with open_db() as db, db.begin():
        result = await queue(db, rules, AbsenceDirectory(), NOW, "Europe/London")
    return time.perf_counter() - started, result


async def one_database(url: str, workers: int, rules) -> dict:
    engine = create_engine(url)
    await upgrade(engine)
    open_db = create_sessionmaker(engine)
    await seed(open_db, workers)
    first, result = await run_job(open_db, rules)
    second, _ = await run_job(open_db, rules)
    async with open_db() as db:
        queued = await db.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    return {"first": first, "second": second, "result": result, "queued": queued}


async def peak_memory(make_url, workers: int, rules) -> float:
    url, cleanup = await make_url()
    engine = create_engine(url)
    try:
        await upgrade(engine)
        open_db = create_sessionmaker(engine)
        await seed(open_db, workers)
        tracemalloc.start()
        await run_job(open_db, rules)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        await engine.dispose()
        await cleanup()
    return peak / 2**20


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--memory-sizes", default="2500,5000,10000")
    args = parser.parse_args()
    rules = CadenceConfig.from_content(load_content(ROOT / "content")).rules
    sizes = [int(n) for n in args.memory_sizes.split(",") if n]
    engines = [("SQLite", None)]
    if os.environ.get("TEST_POSTGRES_URL"):
        engines.append(("PostgreSQL", os.environ["TEST_POSTGRES_URL"]))
    ok = True
    print(f"{args.workers} workers, {SUPPORTERS} managers and {SUPPORTERS} peer supervisors, "
          f"{len(TYPES)} types x 4 records each; target first pass < {TARGET_SECONDS:.0f} s")
    print(f"{'database':<11} {'messages':>8} {'queued':>7} {'skipped':>7} {'first s':>8} {'next s':>7}  "
          "peak MiB during the job, by workers")
    with tempfile.TemporaryDirectory() as folder:
        for label, admin in engines:
            factory = sqlite_factory(Path(folder)) if admin is None else postgres_factory(admin)
            url, cleanup = await factory()
            try:
                figures = await one_database(url, args.workers, rules)
            finally:
                await cleanup()
            peaks = [await peak_memory(factory, n, rules) for n in sizes]
            result = figures["result"]
            ok &= figures["first"] < TARGET_SECONDS and figures["queued"] == result.messages
            memory = ", ".join(f"{n}: {p:.1f}" for n, p in zip(sizes, peaks))
            print(f"{label:<11} {result.messages:>8} {figures['queued']:>7} {result.not_installed:>7} "
                  f"{figures['first']:>8.2f} {figures['second']:>7.2f}  {memory}")
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
