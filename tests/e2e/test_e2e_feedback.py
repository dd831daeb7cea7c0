"""Browser end-to-end: the feedback card submitted in the Agents Playground (see
tests/e2e/test_e2e_playground.py for the bot + Playground fixture)."""

from __future__ import annotations

import json

import sqlite3
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
    result = playground.run_scenario_seeded("feedback_submit.mjs", lambda: _seed_attendance(tmp_path / "peerspace.db"))
    assert "feedback_submit: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
    with sqlite3.connect(tmp_path / "peerspace.db") as conn:
        rows = conn.execute("SELECT overall, presentation, discussion, helpful_themes FROM feedback_responses").fetchall()
    # The comment typed is about supervision; whatever else the tagger hears in it ("examples"
    # reads as sharing resources) is the tagger's business, tested in tests/feedback.
    [(overall, presentation, discussion, themes)] = rows
    assert (overall, presentation, discussion) == (5, 4, 3) and "supervision" in json.loads(themes)
