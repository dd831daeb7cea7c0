"""Browser end-to-end: the daily check-in in the Agents Playground (see tests/test_e2e_playground.py
for the bot + Playground fixture). The scenario saves a schedule; this side then moves the
queued prompt to now, so the real dispatcher sends it while the page waits."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.test_e2e_playground import PlaygroundRun, playground  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def _prompt_now(db: Path) -> None:
    """The earliest queued prompt becomes due now (the schedule queued it for later today or tomorrow)."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with sqlite3.connect(db) as conn:
        (row_id,), = conn.execute("SELECT id FROM outbox WHERE kind = 'checkin_prompt' AND status = 'pending' "
                                  "ORDER BY due_at LIMIT 1").fetchall()
        conn.execute("UPDATE outbox SET due_at = ?, not_after = ? WHERE id = ?",
                     (now.strftime(fmt), (now + timedelta(hours=3)).strftime(fmt), row_id))


def test_check_in_from_a_prompt_hard_day_and_my_checkins(playground: PlaygroundRun, tmp_path: Path) -> None:  # noqa: F811
    result = playground.run_scenario_seeded("checkins.mjs", lambda: _prompt_now(tmp_path / "peerspace.db"))
    assert "checkins: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
    with sqlite3.connect(tmp_path / "peerspace.db") as conn:
        rows = conn.execute("SELECT feeling, needs, sealed FROM checkins ORDER BY created_at").fetchall()
    assert [(feeling, needs) for feeling, needs, _ in rows] == [(4, '["rest"]'), (1, "[]")]
    assert b"ward team" not in rows[0][2]
