"""Tripartite reminders (probation reviews, returns to work, appraisals) for a whole organisation in
one scheduler tick.

Run from the repository root: ``python bench/tripartite.py`` (SQLite in a temp folder; and on
PostgreSQL too when TEST_POSTGRES_URL is set, in a database it creates and drops). Not a timed
test: it prints figures and a verdict against the target (one run of the hourly reminder job for
10,000 workers in 20 time zones, under 5 s; memory flat with the number of workers), and exits 1
when the target is missed.

Each run: a freshly migrated database with N workers (one in ten not installed, zones round-robin
over 20 IANA zones, starts in role spread over ten years), 500 line managers and 500 peer
supervisors, and the history a trust would have: last year's appraisal for everyone in role over a
year (one in seven still open), a probation with its four reviews for everyone who started in
the last seven months (past reviews mostly signed off, some meetings booked), sickness and other
absences (4% away now, some pausing check-ins or supervision; 8% back in the last 90 days with a
return-to-work conversation, 3 in 10 of them still open) and HR escalation on. Then
`TripartiteDelivery.tick` as the scheduler calls it (on PostgreSQL after ANALYZE): it plans the
appraisals falling due within 60 days, then queues every due-soon, due, overdue, warning and
escalation message; the second tick finds them all done already (what every later hour costs).
Peak memory is measured in a separate pass with tracemalloc, for several N.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checkins import ZONES  # noqa: E402 - bench/checkins.py
from procs import TickBench, tick_main  # noqa: E402 - bench/procs.py
from sqlalchemy import insert  # noqa: E402

from dialogs.shared.content import load_content  # noqa: E402
from dialogs.tripartite.config import TripartiteConfig  # noqa: E402
from dialogs.tripartite.delivery import TripartiteDelivery  # noqa: E402
from storage.models import User  # noqa: E402
from storage.people.models import Person, PersonLink  # noqa: E402
from storage.tripartite.models import Absence, Probation, TripartiteTask  # noqa: E402
from storage.tripartite.rules import ProbationPlan, TaskKind, probation_end, probation_reviews  # noqa: E402

NOW = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)
TODAY = NOW.date()
SUPPORTERS = 500
HR = "aad-hr-contact"
_content = load_content(ROOT / "content")
_base = TripartiteConfig.from_content(_content)
CONFIG = replace(_base, hr_contact=HR, reminders=replace(_base.reminders, escalate_after_days=30))
PLAN: ProbationPlan = CONFIG.probation


class _Rows:
    """The seed's rows, table by table, with the helpers that make them."""

    def __init__(self) -> None:
        self.users: list[dict] = []
        self.people: list[dict] = []
        self.links: list[dict] = []
        self.probations: list[dict] = []
        self.absences: list[dict] = []
        self.tasks: list[dict] = []

    def person(self, i: int, kind: str, installed: bool, start: date | None) -> str:
        pid, uid = uuid.uuid4().hex, uuid.uuid4().hex if installed else None
        if uid:
            self.users.append({"id": uid, "teams_id": f"29:{kind}-{i}", "aad_object_id": f"aad-{kind}-{i}",
                               "name": f"{kind} {i}", "time_zone": ZONES[i % len(ZONES)], "created_at": NOW,
                               "updated_at": NOW})
        self.people.append({"id": pid, "user_id": uid, "aad_object_id": f"aad-{kind}-{i}", "name": f"{kind} {i}",
                            "organisation": "Trust", "team": f"Team {i // 20}", "start_date": start,
                            "created_at": NOW, "updated_at": NOW})
        return pid

    def task(self, worker: tuple[str, str, str], kind: TaskKind, key: str, due: date, done: bool,
             booked: bool = False) -> None:
        status = "done" if done else "scheduled" if booked else "open"
        self.tasks.append({"id": uuid.uuid4().hex, "worker_id": worker[0], "line_manager_id": worker[1],
                           "peer_supervisor_id": worker[2], "kind": kind, "key": key, "owner": "line_manager",
                           "due_on": due, "status": status, "checklist": {"objectives": done},
                           "meeting_at": NOW + timedelta(days=3) if booked else None,
                           "completed_at": NOW if done else None, "version": 1, "created_at": NOW,
                           "updated_at": NOW})


def _history(rows: _Rows, i: int, worker: tuple[str, str, str], start: date) -> None:
    """One worker's appraisals, probation and absences, as a trust's year leaves them."""
    years = relativedelta(TODAY, start).years
    if years >= 1:
        last = start + relativedelta(years=years)
        rows.task(worker, TaskKind.APPRAISAL, f"appraisal:{last.year}", last, done=i % 7 != 0)
    if (TODAY - start).days <= 210:
        pid = uuid.uuid4().hex
        end = probation_end(start, PLAN)
        rows.probations.append({"id": pid, "worker_id": worker[0], "starts_on": start, "ends_on": end,
                                "outcome": "passed" if end < TODAY else None, "outcome_on": end if end < TODAY else None,
                                "created_at": NOW})
        for review in probation_reviews(start, PLAN):
            past = review.due < TODAY - timedelta(days=3)
            rows.task(worker, review.kind, f"probation:{pid}:{review.key}", review.due,
                      done=past and i % 5 != 0, booked=not past and i % 3 == 0)
    if i % 25 == 1:  # away now
        rows.absences.append({"id": uuid.uuid4().hex, "worker_id": worker[0], "kind": "sickness",
                              "started_on": TODAY - timedelta(days=i % 30), "expected_return": TODAY + timedelta(days=7),
                              "returned_on": None, "pause_checkins": i % 2 == 0, "pause_supervision": i % 3 == 0,
                              "created_at": NOW})
    if i % 25 in (2, 3):  # back in the last 90 days: the return-to-work conversation
        aid, back = uuid.uuid4().hex, TODAY - timedelta(days=i % 90)
        rows.absences.append({"id": aid, "worker_id": worker[0], "kind": "sickness" if i % 2 else "other",
                              "started_on": back - timedelta(days=5 + i % 20), "expected_return": back,
                              "returned_on": back, "pause_checkins": i % 4 == 0, "pause_supervision": i % 6 == 0,
                              "created_at": NOW})
        rows.task(worker, TaskKind.RETURN_TO_WORK, f"return:{aid}", back, done=back < TODAY and i % 10 > 2)


async def seed(open_db, workers: int) -> None:
    rows = _Rows()
    managers = [rows.person(i, "manager", True, date(2015, 1, 1)) for i in range(SUPPORTERS)]
    supervisors = [rows.person(i, "supervisor", True, date(2015, 1, 1)) for i in range(SUPPORTERS)]
    rows.person(0, "hr", True, None)
    rows.people[-1]["aad_object_id"] = rows.users[-1]["aad_object_id"] = HR
    for i in range(workers):
        start = TODAY - timedelta(days=(i * 37) % 3650)
        wid = rows.person(i, "worker", i % 10 != 0, start)
        worker = (wid, managers[i % SUPPORTERS], supervisors[i % SUPPORTERS])
        for kind, other in (("line_manager", worker[1]), ("peer_supervisor", worker[2])):
            rows.links.append({"id": uuid.uuid4().hex, "worker_id": wid, "other_id": other, "kind": kind,
                               "status": "active", "started_on": start, "created_at": NOW, "updated_at": NOW})
        _history(rows, i, worker, start)
    async with open_db() as db, db.begin():
        for model, batch in ((User, rows.users), (Person, rows.people), (PersonLink, rows.links),
                             (Probation, rows.probations), (Absence, rows.absences), (TripartiteTask, rows.tasks)):
            for first in range(0, len(batch), 5000):
                await db.execute(insert(model), batch[first:first + 5000])


async def run_job(open_db) -> int:
    services = SimpleNamespace(db=open_db, content=_content, default_zone="Europe/London", now=lambda: NOW)
    return await TripartiteDelivery(services, CONFIG).tick()  # type: ignore[arg-type]


BENCH = TickBench(f"{len(ZONES)} zones, {SUPPORTERS} managers and {SUPPORTERS} peer supervisors, probations, "
                  "absences, returns and appraisals", seed, run_job, due=int)


if __name__ == "__main__":
    sys.exit(asyncio.run(tick_main(__doc__.split("\n\n")[0], BENCH)))
