"""Which bot replicas are alive, and which one leads the scheduler (PostgreSQL).

Each replica that runs the scheduler writes a heartbeat row every few seconds; a row not
written for a timeout belongs to a replica that is gone, and the next heartbeat of any replica
deletes it. Leadership is a session-level advisory lock on a connection of its own: PostgreSQL
lets it go the moment that connection ends, whether the process stopped, was killed or lost
the network, so no lease has to run out first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import NullPool

from storage.dialect import insert_for
from storage.models import Base, UTCDateTime

# Any fixed 64-bit number; advisory locks are per database, so databases on one server differ.
SCHEDULER_LOCK = 0x5065_6572_5370_6163  # "PeerSpac"
HEARTBEAT_LOCK = SCHEDULER_LOCK + 1


class Replica(Base):
    """One running replica's heartbeat. Nothing about people: an id made at start-up."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def heartbeat(db: AsyncSession, replica_id: str, *, now: datetime, gone_before: datetime) -> int:
    """Record `replica_id` as alive at `now`, forget replicas not seen since `gone_before`, and
    return how many replicas are alive (this one included)."""
    if db.get_bind().dialect.name == "postgresql":
        # One heartbeat at a time: two replicas starting together would otherwise each count
        # before the other's row is committed, and both take the whole rate.
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HEARTBEAT_LOCK})
    insert = insert_for(db, Replica)
    await db.execute(insert.values(id=replica_id, last_seen=now)
                     .on_conflict_do_update(index_elements=[Replica.id], set_={"last_seen": now}))
    await db.execute(delete(Replica).where(Replica.last_seen < gone_before))
    alive = await db.scalar(select(func.count()).select_from(Replica).where(Replica.last_seen >= gone_before))
    return max(1, alive or 0)


async def leave(db: AsyncSession, replica_id: str) -> None:
    """A replica stopping cleanly: the others take its share at their next heartbeat."""
    await db.execute(delete(Replica).where(Replica.id == replica_id))


class LockConnection:
    """One connection, outside the pool, that holds the scheduler's advisory lock while it lives."""

    def __init__(self, url: str, *, timeout: float) -> None:
        # Keepalives make the server notice a leader whose host vanished (no FIN ever comes)
        # within about 10 + 3 x 5 s; the command timeout keeps a dead network from hanging a check.
        self._engine: AsyncEngine = create_async_engine(url, poolclass=NullPool, connect_args={
            "command_timeout": timeout, "timeout": timeout,
            "server_settings": {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
                                "tcp_keepalives_count": "3", "application_name": "peerspace-scheduler-lock"}})
        self._conn: AsyncConnection | None = None
        self._held = False
        self.pid: int | None = None  # the server process holding the lock, for operators and tests

    async def try_lock(self) -> bool:
        """True if this connection holds the lock: taken now if free, or held and still connected.

        Raises when the database cannot be reached or the connection was ended (and with it the
        lock): the caller closes this and is not the leader.
        """
        if self._conn is None:
            conn = await self._engine.connect()
            # No transaction left open: the lock is the session's, not a transaction's.
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            self.pid = await self._conn.scalar(text("SELECT pg_backend_pid()"))
        if self._held:
            await self._conn.scalar(text("SELECT 1"))  # the lock lives exactly as long as this answers
            return True
        # Taken at most once per connection: the lock counts how often its holder took it.
        self._held = bool(await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}))
        return self._held

    async def close(self) -> None:
        """End the connection (and so the lock, if held)."""
        conn, self._conn, self.pid, self._held = self._conn, None, None, False
        try:
            if conn is not None:
                await conn.close()
        finally:
            await self._engine.dispose()
