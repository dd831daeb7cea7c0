"""The claim reads its batch off an index, never collecting and sorting every due row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from storage import outbox
from storage.db import create_engine

ROWS, BATCH = 20_000, 50


async def _claim_sql(engine, now) -> str:
    captured: list = []

    class Capture:
        async def execute(self, statement):
            captured.append(statement)
            return []

    await outbox.claim_due(Capture(), now=now, limit=BATCH, lease=timedelta(seconds=30))  # type: ignore[arg-type]
    return str(captured[0].compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


async def test_claiming_from_a_backlog_uses_the_claim_indexes_and_sorts_only_a_batch(db_url, clock):
    engine = create_engine(db_url)
    now = clock.now()
    try:
        due = "CAST(:due AS TIMESTAMP)" if engine.dialect.name == "postgresql" else ":due"
        async with engine.begin() as conn:
            # A backlog: every row pending and past due, and a few whose lease lapsed.
            await conn.execute(text(
                "INSERT INTO outbox (idempotency_key, kind, conversation_id, payload, due_at, status, attempts, "
                "created_at, claimed_until) "
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :rows) "
                f"SELECT 'k' || n, 'card', 'a:c', '{{}}', {due}, "
                f"CASE WHEN n % 1000 = 0 THEN 'sending' ELSE 'pending' END, 0, {due}, "
                f"CASE WHEN n % 1000 = 0 THEN {due} END FROM g"),
                {"rows": ROWS, "due": (now - timedelta(hours=1)).replace(tzinfo=None)})
            await conn.execute(text("ANALYZE"))
            statement = await _claim_sql(engine, now)
            if engine.dialect.name == "postgresql":
                plan = "\n".join(row[0] for row in await conn.execute(text("EXPLAIN ANALYZE " + statement)))
                sorted_rows = [int(line.split("rows=")[-1].split()[0]) for line in plan.splitlines()
                               if "Sort  (" in line and "actual" in line]
                assert "ix_outbox_pending_due" in plan and "ix_outbox_sending_lease" in plan, plan
                assert max(sorted_rows, default=0) <= 2 * BATCH, plan
            else:
                plan = "\n".join(str(row[-1]) for row in await conn.execute(text("EXPLAIN QUERY PLAN " + statement)))
                assert "ix_outbox_pending_due" in plan and "ix_outbox_sending_lease" in plan, plan
                # A temporary B-tree for ORDER BY over the outbox itself is a sort of every due row;
                # only the merge of the two short lists may sort.
                assert plan.count("USE TEMP B-TREE FOR ORDER BY") <= 1, plan
            claimed = (await conn.execute(text(statement))).all()
            assert len(claimed) == BATCH
    finally:
        await engine.dispose()

