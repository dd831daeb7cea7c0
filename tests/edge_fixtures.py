"""Shared by the hostile-input tests: whole-database snapshots, log checks, nested JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from storage.schema import Base
from tests.conftest import BotHarness

# Rows here change on every delivered activity by design (the redelivery ledger).
LEDGER_TABLES = frozenset({"processed_activities"})


async def snapshot(h: BotHarness, *, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order, so two snapshots compare equal iff nothing changed."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in skip]
    async with h.components.services.sessions() as session:
        return {t.name: sorted((tuple(map(repr, row)) for row in (await session.execute(select(t))).all()))
                for t in tables}


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """Log records that carry exception details or a formatted traceback."""
    return [f"{r.name}: {r.getMessage()[:200]}" for r in records
            if r.exc_info or r.exc_text or r.stack_info or "Traceback" in r.getMessage()]


def nested(depth: int, leaf: Any = 1) -> str:
    """JSON text of `depth` nested lists around leaf (built as text: json.dumps would recurse)."""
    return "[" * depth + json.dumps(leaf) + "]" * depth


def with_value(activity: dict[str, Any], value_json: str) -> bytes:
    """The activity as JSON with its "value" replaced by raw JSON text."""
    body = {k: v for k, v in activity.items() if k != "value"}
    return (json.dumps(body)[:-1] + f', "value": {value_json}}}').encode()


async def healthy(h: BotHarness) -> bool:
    resp = await h.client.get("/healthz")
    return resp.status == 200
