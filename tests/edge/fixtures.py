"""Shared by the hostile-input tests: whole-database snapshots, log checks, nested JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import func, select

from storage.schema import Base
from tests.conftest import BotHarness

# What any accepted turn may touch even when it changes nothing else: the redelivery ledger, and
# the conversation reference kept for proactive messages (it names the latest activity).
TURN_BOOKKEEPING = frozenset({"processed_activities", "conversations.updated_at", "conversations.reference"})


async def snapshot(h: BotHarness, *, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Every row of every table, in a stable order, so two snapshots compare equal iff nothing changed.
    `skip` names tables ("users") or columns ("users.name") to leave out. One statement (each
    table's rows as a JSON array), as the hostile-input suite takes thousands. Turns that finished
    before it are recorded as finished first (the ledger writes that a moment later)."""
    await h.components.ledger.flush()
    tables = [t for t in Base.metadata.sorted_tables if t.name not in skip]
    columns = {t.name: [c for c in t.c if f"{t.name}.{c.name}" not in skip] for t in tables}
    async with h.components.services.db() as db:
        sqlite = db.bind.dialect.name == "sqlite"
        agg, row = (func.json_group_array, func.json_array) if sqlite else (func.json_agg, func.json_build_array)
        statement = select(*(select(agg(row(*columns[t.name]))).scalar_subquery().label(t.name) for t in tables))
        result = (await db.execute(statement)).one()
    return {t.name: sorted(json.dumps(r, sort_keys=True) for r in _rows(value))
            for t, value in zip(tables, result)}


def _rows(value: Any) -> list:
    rows = json.loads(value) if isinstance(value, str) else value
    return rows or []


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
