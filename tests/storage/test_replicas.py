"""Real bot processes on one PostgreSQL database: two replicas deliver each outbox message
exactly once, and a process killed with SIGKILL mid-batch costs no message and little time."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import outbox
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage
from storage.users import SeenConversation, SeenUser, upsert_conversation, upsert_user

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.own_database  # bot processes of their own use it
MESSAGES = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _seed(url: str, service_url: str) -> list[str]:
    engine = create_engine(url)
    open_db = create_sessionmaker(engine)
    keys = []
    now = datetime.now(timezone.utc)
    try:
        async with open_db() as db, db.begin():
            for i in range(12):
                user = await upsert_user(db, SeenUser(f"29:r{i}", f"aad-r{i}", f"R {i}", "t", None, None),
                                         "Europe/London")
                await db.flush()
                ref = {"serviceUrl": service_url, "channelId": "msteams", "bot": {"id": "28:bot"},
                       "user": {"id": f"29:r{i}"}, "conversation": {"id": f"a:r{i}", "conversationType": "personal"}}
                await upsert_conversation(db, SeenConversation(f"a:r{i}", "personal", "t", None, None, ref), user)
                await db.flush()
                for j in range(MESSAGES // 12):
                    key = f"m-{i}-{j}"
                    keys.append(key)
                    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": key}]}
                    await outbox.enqueue(db, kind="card", idempotency_key=key, user_id=user.id, due_at=now,
                                         payload={"card": card})
    finally:
        await engine.dispose()
    return keys


def _env(pg_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PEERSPACE_DEV": "1", "DATABASE_URL": pg_url, "PEERSPACE_DISPATCH_INTERVAL": "0.2",
            "PEERSPACE_DISPATCH_BATCH": "5", "RATE_GLOBAL_PER_SECOND": "1000",
            "RATE_CONVERSATION_PER_SECOND": "1000", "LOG_LEVEL": "WARNING", **extra}


def _bot(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(_free_port())], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


async def _count(url: str, status: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).where(OutboxMessage.status == status))
    finally:
        await engine.dispose()


async def test_two_bot_processes_send_each_message_once(pg_url, connector):
    keys = await _seed(pg_url, connector.url)
    env = _env(pg_url)
    procs = [_bot(env) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(connector.sent) < len(keys):
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # room for any duplicate to arrive
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGINT)
        errors = [proc.communicate(timeout=20)[1].decode(errors="replace") for proc in procs]
    assert sorted(_cards(connector)) == sorted(keys), f"lost or duplicated; bot stderr: {errors}"


async def test_a_bot_killed_mid_batch_loses_nothing_and_its_rows_are_sent_soon_after_restart(pg_url, connector):
    """SIGKILL while a batch is claimed and the connector is slow; a fresh process must deliver
    everything within 60 s of its start (here one 5 s lease and a tick after it), at most one
    duplicate per message that was in flight."""
    keys = await _seed(pg_url, connector.url)
    env = _env(pg_url, PEERSPACE_DISPATCH_LEASE="5")
    connector.latency = 2.0
    doomed = _bot(env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not await _count(pg_url, "sending"):
            await asyncio.sleep(0.05)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.communicate(timeout=20)
    claimed = await _count(pg_url, "sending")
    assert claimed > 0, "killed with rows claimed"
    connector.latency = 0.0
    restarted = time.monotonic()
    fresh = _bot(env)
    try:
        while time.monotonic() - restarted < 90 and len(set(_cards(connector))) < len(keys):
            await asyncio.sleep(0.1)
        recovered_in = time.monotonic() - restarted
        await asyncio.sleep(1.0)  # room for any further duplicate to arrive
    finally:
        os.killpg(fresh.pid, signal.SIGINT)
        error = fresh.communicate(timeout=20)[1].decode(errors="replace")
    delivered = Counter(_cards(connector))
    assert set(delivered) == set(keys), f"lost; bot stderr: {error}"
    assert recovered_in <= 60, recovered_in
    assert max(delivered.values()) <= 2 and sum(delivered.values()) - len(keys) <= claimed


def _cards(connector) -> list[str]:
    return [card["body"][0]["text"] for card in connector.all_cards()]
