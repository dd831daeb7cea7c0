"""The one absence query behind check-in pauses, supervision pauses and the worker's own view
(`storage.tripartite.pauses.paused`), checked against a plain reference over random absences:
who chose to pause what, keyed by person or by user, ending on or after a day, soonest first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.absences import Pause
from storage.db import create_engine, create_sessionmaker
from storage.models import User
from storage.people.models import Person
from storage.tripartite.models import Absence
from storage.tripartite.pauses import Paused, paused

BASE = date(2026, 1, 1)


@dataclass(frozen=True)
class Away:
    owner: int  # index of the person
    start: int  # days after BASE
    length: int | None  # days to the first day back; None: still away
    checkins: bool
    supervision: bool


people_counts = st.integers(1, 4)
aways = st.lists(st.builds(Away, st.integers(0, 3), st.integers(0, 60), st.none() | st.integers(0, 30),
                           st.booleans(), st.booleans()), max_size=8)
asks = st.tuples(st.sampled_from(list(Paused)), st.booleans(), st.none() | st.integers(0, 90),
                 st.sets(st.integers(0, 4), min_size=1))  # 4 is nobody: an id with no absences


def reference(absences: list[tuple[str, str, Away]], what: Paused, wanted: set[str], by_user: bool,
              since: date | None) -> dict[str, list[Pause]]:
    """What the query should say, worked out the plain way: (absence id, person id, user id or None, absence)."""
    out: dict[str, list[tuple[tuple[date, str], Pause]]] = {}
    for absence_id, person_id, user_id, away in absences:
        key = user_id if by_user else person_id
        chose = away.checkins if what == Paused.CHECKINS else away.supervision
        start = BASE + timedelta(days=away.start)
        back = None if away.length is None else start + timedelta(days=away.length)
        if key is None or key not in wanted or not chose or (since is not None and back is not None and back <= since):
            continue
        out.setdefault(key, []).append(((start, absence_id), Pause(start, None if back is None else back - timedelta(days=1))))
    return {key: [p for _, p in sorted(found, key=lambda f: f[0])] for key, found in out.items()}


async def _check(url: str, count: int, found: list[Away], ask: tuple[Paused, bool, int | None, set[int]]) -> None:
    what, by_user, since_days, who = ask
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            persons = [(f"p{i:031d}", f"u{i:031d}" if i % 2 == 0 else None) for i in range(count)]
            db.add_all(User(id=uid, teams_id=f"29:{uid}") for _, uid in persons if uid)
            await db.flush()
            db.add_all(Person(id=pid, user_id=uid) for pid, uid in persons)
            await db.flush()
            rows = []
            for n, away in enumerate(a for a in found if a.owner < count):
                start = BASE + timedelta(days=away.start)
                rows.append((f"a{n:031d}", *persons[away.owner], away))
                db.add(Absence(id=rows[-1][0], worker_id=persons[away.owner][0], kind="sickness", started_on=start,
                               returned_on=None if away.length is None else start + timedelta(days=away.length),
                               pause_checkins=away.checkins, pause_supervision=away.supervision))
            await db.flush()
            ids = [persons[i][1 if by_user else 0] or "nobody" if i < count else "nobody" for i in who]
            since = None if since_days is None else BASE + timedelta(days=since_days)
            expected = reference(rows, what, set(ids), by_user, since)
            assert await paused(db, what, ids, by_user=by_user, since=since) == expected
            await db.rollback()
    finally:
        await engine.dispose()


@settings(derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=people_counts, found=aways, ask=asks)
def test_paused_matches_the_plain_reference(db_url, count, found, ask):
    asyncio.run(_check(db_url, count, found, ask))


async def test_nobody_asked_means_no_query_and_no_pauses(db_url):
    engine = create_engine(db_url)
    async with create_sessionmaker(engine)() as db:
        assert await paused(db, Paused.SUPERVISION, []) == {}
    await engine.dispose()
