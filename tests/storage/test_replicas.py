"""Two real bot processes on one PostgreSQL database deliver each outbox message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from storage import outbox
from storage.db import create_engine, create_sessionmaker
from storage.users import SeenConversation, SeenUser, upsert_conversation, upsert_user

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _seed(url: str, service_url: str) -> list[str]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    keys = []
    now = datetime.now(timezone.utc)
    try:
        async with sessions() as session, session.begin():
            for i in range(12):
                user = await upsert_user(session, SeenUser(f"29:r{i}", f"aad-r{i}", f"R {i}", "t", None, None),
                                         "Europe/London")
                await session.flush()
                ref = {"serviceUrl": service_url, "channelId": "msteams", "bot": {"id": "28:bot"},
                       "user": {"id": f"29:r{i}"}, "conversation": {"id": f"a:r{i}", "conversationType": "personal"}}
                await upsert_conversation(session, SeenConversation(f"a:r{i}", "personal", "t", None, None, ref), user)
                await session.flush()
                for j in range(MESSAGES // 12):
                    key = f"m-{i}-{j}"
                    keys.append(key)
                    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": key}]}
                    await outbox.enqueue(session, kind="card", idempotency_key=key, user_id=user.id, due_at=now,
                                         payload={"card": card})
    finally:
        await engine.dispose()
    return keys


async def test_two_bot_processes_send_each_message_once(pg_url, connector):
    keys = await _seed(pg_url, connector.url)
    env = {**os.environ, "PEERSPACE_DEV": "1", "DATABASE_URL": pg_url, "PEERSPACE_DISPATCH_INTERVAL": "0.2",
           "PEERSPACE_DISPATCH_BATCH": "5", "RATE_GLOBAL_PER_SECOND": "1000",
           "RATE_CONVERSATION_PER_SECOND": "1000", "LOG_LEVEL": "WARNING"}
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(_free_port())], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
             for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(connector.sent) < len(keys):
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # room for any duplicate to arrive
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGINT)
        errors = [proc.communicate(timeout=20)[1].decode(errors="replace") for proc in procs]
    delivered = [card["body"][0]["text"] for card in connector.all_cards()]
    assert sorted(delivered) == sorted(keys), f"lost or duplicated; bot stderr: {errors}"
