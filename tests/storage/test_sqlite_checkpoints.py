"""SQLite kept off the event loop's critical path: commits that do not wait for the disk, the
write-ahead log checkpointed on a thread of its own, and the loop served after each commit."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text

from storage.db import WalCheckpoints, sqlite_file
from tests.databases import sqlite_engine_with

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(40)))


@pytest.fixture
async def engine(tmp_path):
    async with sqlite_engine_with(tmp_path / "lag.db", metadata) as engine:
        yield engine


async def _write(engine, count: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(notes), [{"body": f"note {i}"} for i in range(count)])


def _rows_in_main_file(database, tmp_path) -> int:
    """Rows a copy of the database file alone holds (no -wal beside it): what reached the file."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'notes'").fetchall():
            return 0  # even the table is only in the log
        return conn.execute("SELECT count(*) FROM notes").fetchone()[0]


async def test_pragmas_commit_without_fsync_and_leave_the_log_to_the_checkpointer(engine):
    async with engine.connect() as conn:
        assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await conn.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
        assert await conn.scalar(text("PRAGMA wal_autocheckpoint")) == 10000
        assert await conn.scalar(text("PRAGMA foreign_keys")) == 1


def test_the_database_file_of_a_url():
    assert str(sqlite_file("sqlite+aiosqlite:////var/peerspace/bot.db")) == "/var/peerspace/bot.db"
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://u@h/db") is None


async def test_a_checkpoint_moves_committed_rows_into_the_database_file(engine, tmp_path):
    database = tmp_path / "lag.db"
    await _write(engine, 50)
    assert _rows_in_main_file(database, tmp_path) == 0  # still only in the log
    checkpoints = WalCheckpoints(database)
    busy, log_pages, copied = await checkpoints.checkpoint()
    assert busy == 0 and log_pages > 0 and copied == log_pages
    assert _rows_in_main_file(database, tmp_path) == 50
    await checkpoints.stop()


async def test_the_checkpoint_job_runs_on_its_own_thread_until_stopped(engine, tmp_path):
    database = tmp_path / "lag.db"
    checkpoints = WalCheckpoints(database, interval=0.01)
    threads = set()
    real = checkpoints._checkpoint

    def on_thread():
        threads.add(threading.get_ident())
        return real()

    checkpoints._checkpoint = on_thread
    checkpoints.start()
    await _write(engine, 20)
    for _ in range(500):
        if checkpoints.runs >= 3:
            break
        await asyncio.sleep(0.01)
    await _write(engine, 5)
    await checkpoints.stop()  # a last checkpoint: everything committed is in the file
    assert checkpoints.runs >= 4
    assert threading.get_ident() not in threads and len(threads) == 1
    assert _rows_in_main_file(database, tmp_path) == 25
    runs = checkpoints.runs
    await asyncio.sleep(0.05)
    assert checkpoints.runs == runs  # stopped
    assert not any(t.name.startswith("wal-checkpoint") for t in threading.enumerate())


async def test_the_loop_runs_other_work_after_a_commit(engine):
    """A commit finishes without waiting on anything, so without a turn-over the whole turn would
    be one callback: what was ready meanwhile must run before the committing task goes on."""
    async with engine.connect() as conn:
        await conn.execute(insert(notes).values(body="a"))
        ran = []
        asyncio.get_running_loop().call_soon(ran.append, "other")
        await conn.commit()
        assert ran == ["other"]


async def test_stopping_when_the_database_cannot_be_opened_only_warns(tmp_path, caplog):
    # The database file gone bad under a running bot (here a folder where the file was, which
    # SQLite cannot open even as root): stopping must still close cleanly, leaving the log for
    # SQLite to replay at the next open.
    database = tmp_path / "peerspace.db"
    database.mkdir()
    checkpoints = WalCheckpoints(database, interval=60)
    checkpoints.start()
    with caplog.at_level("WARNING", logger="storage.db"):
        await checkpoints.stop()
    assert "last WAL checkpoint failed: OperationalError" in caplog.text
