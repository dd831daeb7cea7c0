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

import asyncio
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from procs import TickBench, tick_main  # noqa: E402 - bench/procs.py
from sqlalchemy import insert  # noqa: E402

from dialogs.cadence.config import CadenceConfig  # noqa: E402
from dialogs.shared.content import load_content  # noqa: E402
from storage.absences import AbsenceDirectory  # noqa: E402
from storage.cadence.queue import TickResult, queue  # noqa: E402
from storage.models import RoleGrant, User  # noqa: E402
from storage.people.models import Person, PersonLink, SupervisionRecord  # noqa: E402

ZONES = ("Europe/London", "Europe/Dublin", "Europe/Paris", "America/New_York", "Asia/Kolkata")
TYPES = ("peer_supervision", "management_supervision", "co_reflection")
NOW = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)
TODAY = NOW.date()
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


RULES = CadenceConfig.from_content(load_content(ROOT / "content")).rules


async def run_job(open_db) -> TickResult:
    async with open_db() as db, db.begin():
        return await queue(db, RULES, AbsenceDirectory(), NOW, "Europe/London")


BENCH = TickBench(f"{SUPPORTERS} managers and {SUPPORTERS} peer supervisors, {len(TYPES)} types x 4 records each",
                  seed, run_job, due=lambda result: result.messages,
                  columns=(("skipped", 7, lambda result: result.not_installed),))


if __name__ == "__main__":
    sys.exit(asyncio.run(tick_main(__doc__.split("\n\n")[0], BENCH)))
