"""Browser end-to-end (issue 13): a probation review is due, the worker, her line manager and her
peer supervisor each sign it off in their own Agents Playground, and the task completes. Three
people against the same bot (see tests/e2e/test_e2e_playground.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from tests.e2e.test_e2e_playground import E2E_DIR, ROOT, PlaygroundRun, running_playgrounds

pytestmark = pytest.mark.e2e
MEGAN = ROOT / "dev" / "playground-second-person.yml"
ADELE = E2E_DIR / "playground-third-person.yml"
# The bot's default time zone (bot/config.py): "today" for the people in the Playgrounds.
ZONE = ZoneInfo("Europe/London")


@pytest.fixture
def three_people(tmp_path: Path) -> Iterator[PlaygroundRun]:
    # The "complete" notices go out through the outbox: poll it every second, not every five.
    with running_playgrounds(tmp_path, {"megan": MEGAN, "adele": ADELE},
                             {"PEERSPACE_DISPATCH_INTERVAL": "1", "DEFAULT_TIME_ZONE": ZONE.key}) as run:
        yield run


def test_a_due_probation_review_is_signed_off_by_all_three(three_people: PlaygroundRun, tmp_path: Path) -> None:
    today = datetime.now(ZONE).date()
    start = today - relativedelta(months=1)
    due = start + relativedelta(months=1)  # the first review (rules.probation_reviews)
    result = three_people.run_scenario("tripartite_signoff.mjs", {
        "E2E_PROBATION_START": start.isoformat(), "E2E_REVIEW_DUE": due.isoformat()})
    assert "tripartite_signoff: passed" in result.stdout
    assert three_people.bot_errors() == [], "the bot logged errors:\n" + "\n".join(three_people.bot_errors())
    with sqlite3.connect(tmp_path / "peerspace.db") as conn:
        people = dict(conn.execute("SELECT id, name FROM people").fetchall())
        task_id, status = conn.execute(
            "SELECT id, status FROM tripartite_tasks WHERE key LIKE 'probation:%:month_1'").fetchone()
        signoffs = {party: (people[person], verdict) for party, person, verdict in conn.execute(
            "SELECT party, person_id, verdict FROM task_signoffs WHERE task_id = ?", (task_id,))}
        others = conn.execute("SELECT count(*) FROM task_signoffs WHERE task_id != ?", (task_id,)).fetchone()[0]
    assert status == "done"
    assert signoffs == {"worker": ("Megan Bowen", "agreed"), "line_manager": ("Alex Wilber", "agreed"),
                        "peer_supervisor": ("Adele Vance", "agreed")}
    assert others == 0  # the later reviews are untouched
    assert sorted(people.values()) == ["Adele Vance", "Alex Wilber", "Megan Bowen"]
