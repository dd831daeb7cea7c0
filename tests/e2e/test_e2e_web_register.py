"""Browser end-to-end: the web registration pages in headless Chromium, checked with axe-core
(tests/e2e/web_register.mjs; the axe runner is tests/e2e/axe.mjs). Only the bot runs: the pages
need no Playground."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import load_settings
from dialogs.sessions.web import registration_url
from dialogs.shared.links import LinkSigner
from tests.e2e.test_e2e_playground import (
    E2E_DIR, ROOT, SCENARIO_TIMEOUT, _stop, _tail, _wait_http_ok, free_port, require_tools,
)

pytestmark = pytest.mark.e2e
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _seed_session(db: Path) -> str:
    """An open session in ten days with one place and a joining link; returns its id."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    starts = now + timedelta(days=10)
    series, session = uuid.uuid4().hex, uuid.uuid4().hex
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO series (id, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
                     (series, "Web test series", "Europe/London", now.strftime(FMT)))
        conn.execute(
            "INSERT INTO space_sessions (id, series_id, title, topic, presenters, starts_at, ends_at, time_zone, "
            "joining_url, capacity, recorded, status, version, created_at, updated_at) "
            "VALUES (?, ?, 'Peer support in practice', 'Supervision', '', ?, ?, 'Europe/London', "
            "'https://teams.example/meet/e2e', 1, 0, 'registration_open', 0, ?, ?)",
            (session, series, starts.strftime(FMT), (starts + timedelta(hours=2)).strftime(FMT),
             now.strftime(FMT), now.strftime(FMT)))
    return session


def test_register_waitlist_and_cancel_on_the_web_pages(tmp_path: Path) -> None:
    require_tools()
    port = free_port()
    db = tmp_path / "peerspace.db"
    env = {**os.environ, "PEERSPACE_DEV": "1", "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
           "PEERSPACE_HOST": "127.0.0.1", "PEERSPACE_PORT": str(port), "MicrosoftAppId": "",
           "MicrosoftAppPassword": "", "PYTHONUNBUFFERED": "1", "PEERSPACE_SCHEDULER": "0"}
    upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    session_id = _seed_session(db)
    settings = load_settings(_env_file=None, dev_mode=True, port=port)
    url = registration_url(LinkSigner(settings.secret_bytes, settings.base_url), session_id)

    log = tmp_path / "bot.log"
    with log.open("w") as out:
        bot = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_http_ok(f"http://127.0.0.1:{port}/healthz", bot, log, "the bot")
            scenario = subprocess.run(["node", str(E2E_DIR / "web_register.mjs")], cwd=ROOT,
                                      env={**os.environ, "REGISTER_URL": url}, capture_output=True, text=True,
                                      timeout=SCENARIO_TIMEOUT)
        finally:
            _stop(bot)
    report = f"{scenario.stdout}\n{scenario.stderr}\n--- bot log ---\n{_tail(log)}"
    assert scenario.returncode == 0 and "web_register: passed" in scenario.stdout, report
    assert scenario.stdout.count("0 violations at 1280 px and 320 px") == 7, report
    errors = [line for line in log.read_text().splitlines() if " ERROR " in line or line.startswith("Traceback")]
    assert errors == [], "\n".join(errors)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT user_id, name, status FROM registrations ORDER BY registered_at").fetchall()
    assert rows == [(None, "", "withdrawn"), (None, "Eve Waiting", "registered")]
