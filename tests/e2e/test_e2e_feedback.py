"""Browser end-to-end: the feedback card submitted in the Agents Playground (see
tests/e2e/test_e2e_playground.py for the bot + Playground fixture)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.test_e2e_playground import PlaygroundRun, playground  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def _seed_attendance(db: Path) -> None:
    """A session that ended an hour ago, attended by the Playground's user (the only person)."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    ended, started = now - timedelta(hours=1), now - timedelta(hours=3)
    with sqlite3.connect(db) as conn:
        (user_id, name), = conn.execute("SELECT id, name FROM users").fetchall()
        series, session = uuid.uuid4().hex, uuid.uuid4().hex
        conn.execute("INSERT INTO series (id, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
                     (series, "Implementation space", "Europe/London", now.strftime(fmt)))
        conn.execute(
            "INSERT INTO space_sessions (id, series_id, title, topic, presenters, starts_at, ends_at, time_zone, "
            "joining_url, recorded, status, version, created_at, updated_at) "
            "VALUES (?, ?, ?, '', '', ?, ?, 'Europe/London', '', 0, 'held', 0, ?, ?)",
            (session, series, "Peer supervision in practice", started.strftime(fmt), ended.strftime(fmt),
             now.strftime(fmt), now.strftime(fmt)))
        conn.execute(
            "INSERT INTO registrations (id, session_id, user_id, name, organisation, role, reason, hopes, "
            "access_needs, wants_updates, status, registered_at, attended_at) "
            "VALUES (?, ?, ?, ?, 'Trust', 'Peer lead', '', '', '', 0, 'registered', ?, ?)",
            (uuid.uuid4().hex, session, user_id, name or "Playground user", started.strftime(fmt),
             ended.strftime(fmt)))


def test_feedback_form_submitted_in_the_playground(playground: PlaygroundRun, tmp_path: Path) -> None:  # noqa: F811
    ready, seeded = tmp_path / "ready", tmp_path / "seeded"
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = playground.run_scenario(
                "feedback_submit.mjs", {"E2E_READY_FILE": str(ready), "E2E_SEEDED_FILE": str(seeded)})
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 120
    while not ready.exists() and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if ready.exists():
        _seed_attendance(tmp_path / "peerspace.db")
        seeded.write_text("seeded")
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    assert "feedback_submit: passed" in outcome["result"].stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
    with sqlite3.connect(tmp_path / "peerspace.db") as conn:
        rows = conn.execute("SELECT overall, presentation, discussion, helpful_themes FROM feedback_responses").fetchall()
    assert rows == [(5, 4, 3, '["supervision"]')]
