"""The composition root and its running parts: health, scheduler ticking, CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage import outbox
from storage.models import User
from tests.conftest import make_settings, start_harness
from tests.factories import ALICE

ROOT = Path(__file__).resolve().parents[2]


async def test_healthz_ok_when_database_answers(harness):
    resp = await harness.client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_healthz_503_when_database_is_unreachable(tmp_path, connector, clock):
    settings = make_settings("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    harness = await start_harness(settings, connector, clock)
    try:
        resp = await harness.client.get("/healthz")
        assert resp.status == 503
        assert (await resp.json())["status"] == "unavailable"
    finally:
        await harness.client.close()


async def test_running_scheduler_delivers_due_messages_by_itself(db_url, connector, clock):
    settings = make_settings(db_url, scheduler_enabled=True, dispatch_interval_seconds=0.1)
    harness = await start_harness(settings, connector, clock)
    try:
        await harness.install()
        open_db = harness.components.services.db
        async with open_db() as db, db.begin():
            uid = await db.scalar(select(User.id).where(User.teams_id == ALICE.teams_id))
            card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "tick"}]}
            await outbox.enqueue(db, kind="card", idempotency_key="tick", user_id=uid,
                                 due_at=clock.now() - timedelta(seconds=1), payload={"card": card})
        for _ in range(100):
            if any(c["body"][0]["text"] == "tick" for c in connector.all_cards()):
                break
            await asyncio.sleep(0.05)
        assert [c["body"][0]["text"] for c in connector.all_cards()].count("tick") == 1
        assert harness.components.scheduler.running
        assert set(harness.components.scheduler.job_ids) >= {"outbox.dispatch", "maintenance.prune"}
    finally:
        await harness.client.close()
    assert not harness.components.scheduler.running, "cleanup stops the scheduler"


def test_cli_db_upgrade_and_package(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PEERSPACE_DEV": "1", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
           "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli.db").exists()
    refused = subprocess.run([sys.executable, "-m", "bot", "package", "--out", str(tmp_path)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "MicrosoftAppId" in refused.stderr
    env.update({"MicrosoftAppId": "00000000-0000-4000-8000-000000000001", "MicrosoftAppPassword": "p" * 40})
    built = subprocess.run([sys.executable, "-m", "bot", "package", "--out", str(tmp_path)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "peerspace-teams-app.zip").exists()
