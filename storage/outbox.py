"""The outbox: every proactive message is a row here before it is a message in Teams.

`enqueue` is the one way features schedule a message. The dispatcher claims due rows with a
short lease (`claimed_until`, 30 s by default) and a `claim_token`, and renews the lease of
every row it still holds, in one UPDATE keyed by its tokens, while the sends are in flight: a
live dispatcher keeps its rows however slow Teams answers, and a dead one's rows are claimable
again within one lease. Every outcome is recorded only while the claim is still held
(`WHERE id = ? AND claim_token = ?`); the `mark_*` functions return False when it is not, so
the dispatcher can log the lost lease instead of recording over the new holder. If a process
dies after sending but before marking the row sent, the lease runs out and the row is sent
again, so a crash costs at most one duplicate, never a loss.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, rows_changed
from storage.models import OutboxMessage, OutboxStatus, utcnow

_ERROR_LIMIT = 300
_SETTLED = (OutboxStatus.SENT, OutboxStatus.EXPIRED, OutboxStatus.FAILED, OutboxStatus.CANCELLED)


@dataclass(frozen=True)
class ClaimedMessage:
    """A row the dispatcher owns until `claimed_until`: plain data, safe to pass between tasks."""

    id: int
    kind: str
    user_id: str | None
    conversation_id: str | None
    payload: dict[str, Any]
    due_at: datetime
    not_after: datetime | None
    attempts: int
    claim_token: str


async def enqueue(
    db: AsyncSession,
    *,
    kind: str,
    idempotency_key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    user_id: str | None = None,
    conversation_id: str | None = None,
    not_after: datetime | None = None,
) -> bool:
    """Queue a message; a second call with the same key changes nothing. Returns True if queued."""
    if (user_id is None) == (conversation_id is None):
        raise ValueError("give exactly one of user_id or conversation_id")
    if due_at.tzinfo is None or (not_after is not None and not_after.tzinfo is None):
        raise ValueError("due_at and not_after must be timezone-aware")
    if not_after is not None and not_after < due_at:
        raise ValueError("not_after is before due_at")
    stmt = insert_for(db, OutboxMessage).values(
        idempotency_key=idempotency_key,
        kind=kind,
        user_id=user_id,
        conversation_id=conversation_id,
        payload=payload or {},
        due_at=due_at,
        not_after=not_after,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=utcnow(),
    )
    changed = await rows_changed(db, stmt.on_conflict_do_nothing(index_elements=["idempotency_key"]))
    return changed == 1


async def reschedule(
    db: AsyncSession, idempotency_key: str, due_at: datetime, not_after: datetime | None
) -> bool:
    """Move a pending message (for example when a session is rescheduled)."""
    changed = await rows_changed(
        db,
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key == idempotency_key, OutboxMessage.status == OutboxStatus.PENDING)
        .values(due_at=due_at, not_after=not_after)
    )
    return changed == 1


async def cancel_where_key_starts(db: AsyncSession, prefix: str) -> int:
    """Cancel pending messages whose key starts with `prefix` (keys are built hierarchically)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await rows_changed(
        db,
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key.like(escaped + "%", escape="\\"),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )


# Literals, not bound parameters: a partial index serves a query only if the planner can see
# that the query's condition implies the index's (SQLite and PostgreSQL's generic plans alike).
_IS_PENDING = OutboxMessage.status == literal_column("'pending'")
_IS_SENDING = OutboxMessage.status == literal_column("'sending'")


async def claim_due(
    db: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedMessage]:
    """Atomically take up to `limit` due rows (pending, or sending with a lapsed lease).

    Each kind is read off its own partial index in claim order, `limit` at most, so a claim
    costs the same with a thousand rows due or a million (ix_outbox_pending_due,
    ix_outbox_sending_lease); the two short lists are merged by due time. On PostgreSQL each
    read is FOR UPDATE SKIP LOCKED, so replicas claim disjoint sets without waiting on each
    other; SQLite serialises writers, so the same UPDATE is safe.
    """
    token = uuid.uuid4().hex
    pending = (
        select(OutboxMessage.id, OutboxMessage.due_at)
        .where(_IS_PENDING, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("pending_due")
    )
    lapsed = (
        select(OutboxMessage.id, OutboxMessage.due_at)
        .where(_IS_SENDING, OutboxMessage.claimed_until <= now, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.claimed_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("lapsed_lease")
    )
    either = union_all(select(pending.c.id, pending.c.due_at), select(lapsed.c.id, lapsed.c.due_at)).subquery()
    chosen = select(either.c.id).order_by(either.c.due_at, either.c.id).limit(limit)
    rows = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            claim_token=token,
        )
        .returning(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.user_id, OutboxMessage.conversation_id,
            OutboxMessage.payload, OutboxMessage.due_at, OutboxMessage.not_after, OutboxMessage.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = [ClaimedMessage(**row._asdict(), claim_token=token) for row in rows]
    claimed.sort(key=lambda m: (m.due_at, m.id))
    return claimed


async def renew_claims(db: AsyncSession, tokens: Collection[str], *, until: datetime) -> set[int]:
    """Extend the lease of every row still claimed under one of `tokens`; returns their ids.

    A row missing from the answer was settled or claimed by someone else: it is no longer ours.
    A lapsed lease nobody took over is renewed too, since the token still proves the claim.
    """
    if not tokens:
        return set()
    rows = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claim_token.in_(list(tokens)))
        .values(claimed_until=until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(rows.scalars())


async def _settle(db: AsyncSession, message: ClaimedMessage, status: OutboxStatus, **values: Any) -> bool:
    """Record an outcome only while `message`'s claim is still held; False if it was lost."""
    changed = await rows_changed(
        db,
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claim_token == message.claim_token,
        )
        .values(status=status, claimed_until=None, claim_token=None, **values)
    )
    return changed == 1


@dataclass(frozen=True)
class Settlement:
    """One row's outcome, to record with `settle_many`: its new status and the columns that go with it."""

    message: ClaimedMessage
    status: OutboxStatus
    values: dict[str, Any]

    @classmethod
    def sent(cls, message: ClaimedMessage, *, at: datetime, activity_id: str | None) -> Settlement:
        return cls(message, OutboxStatus.SENT,
                   {"sent_at": at, "activity_id": (activity_id or "")[:200] or None, "last_error": None})

    @classmethod
    def expired(cls, message: ClaimedMessage) -> Settlement:
        return cls(message, OutboxStatus.EXPIRED, {"last_error": "past not_after"})

    @classmethod
    def retry(cls, message: ClaimedMessage, *, retry_at: datetime, error: str) -> Settlement:
        return cls(message, OutboxStatus.PENDING, {"due_at": retry_at, "last_error": error[:_ERROR_LIMIT]})

    @classmethod
    def failed(cls, message: ClaimedMessage, *, error: str) -> Settlement:
        return cls(message, OutboxStatus.FAILED, {"last_error": error[:_ERROR_LIMIT]})

    @classmethod
    def cancelled(cls, message: ClaimedMessage, *, reason: str) -> Settlement:
        return cls(message, OutboxStatus.CANCELLED, {"last_error": reason[:_ERROR_LIMIT]})


async def mark_sent(db: AsyncSession, message: ClaimedMessage, *, at: datetime, activity_id: str | None) -> bool:
    return await _record(db, Settlement.sent(message, at=at, activity_id=activity_id))


async def mark_expired(db: AsyncSession, message: ClaimedMessage) -> bool:
    return await _record(db, Settlement.expired(message))


async def mark_retry(db: AsyncSession, message: ClaimedMessage, *, retry_at: datetime, error: str) -> bool:
    return await _record(db, Settlement.retry(message, retry_at=retry_at, error=error))


async def mark_failed(db: AsyncSession, message: ClaimedMessage, *, error: str) -> bool:
    return await _record(db, Settlement.failed(message, error=error))


async def mark_cancelled(db: AsyncSession, message: ClaimedMessage, *, reason: str) -> bool:
    return await _record(db, Settlement.cancelled(message, reason=reason))


async def _record(db: AsyncSession, settlement: Settlement) -> bool:
    return await _settle(db, settlement.message, settlement.status, **settlement.values)


_columns = OutboxMessage.__table__.c
_held_now = select(_columns.id, _columns.claim_token).where(
    _columns.id.in_(bindparam("ids", expanding=True)), _IS_SENDING).with_for_update()
_settle_statements: dict[tuple[str, ...], Any] = {}


def _settle_statement(columns: tuple[str, ...]) -> Any:
    """One UPDATE per shape of outcome, built once and run as an executemany: the same guard as
    `_settle` (still sending, still under the claim's token), every value a bound parameter."""
    statement = _settle_statements.get(columns)
    if statement is None:
        statement = _settle_statements[columns] = (
            update(OutboxMessage.__table__)
            .where(_columns.id == bindparam("b_id"), _IS_SENDING, _columns.claim_token == bindparam("b_token"))
            .values(status=bindparam("b_status", type_=_columns.status.type), claimed_until=None,
                    claim_token=None, **{name: bindparam(f"b_{name}", type_=_columns[name].type) for name in columns})
        )
    return statement


async def settle_many(db: AsyncSession, settlements: Sequence[Settlement]) -> list[bool]:
    """Record many outcomes in one transaction: one SELECT and one executemany per shape of
    outcome instead of a statement and a commit per row. Returns, for each, whether its claim
    was still held (as the `mark_*` functions do). The held rows are read FOR UPDATE on
    PostgreSQL (SQLite's transactions here are IMMEDIATE), so none can pass to another
    dispatcher between the read and the update; the update keeps the guard all the same."""
    if not settlements:
        return []
    held = dict((await db.execute(_held_now, {"ids": [s.message.id for s in settlements]})).all())
    kept = [held.get(s.message.id) == s.message.claim_token for s in settlements]
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for settlement, ours in zip(settlements, kept):
        if ours:
            row = {"b_id": settlement.message.id, "b_token": settlement.message.claim_token,
                   "b_status": settlement.status.value}
            row.update((f"b_{name}", value) for name, value in settlement.values.items())
            shapes.setdefault(tuple(sorted(settlement.values)), []).append(row)
    for columns, rows in shapes.items():
        await db.execute(_settle_statement(columns), rows)
    return kept


async def delete_for_user(db: AsyncSession, user_id: str) -> int:
    return await rows_changed(db, delete(OutboxMessage).where(OutboxMessage.user_id == user_id))


async def purge_settled(db: AsyncSession, *, before: datetime) -> int:
    """Drop settled rows older than `before`: payloads may name sessions a person attended."""
    return await rows_changed(
        db,
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(_SETTLED),
            OutboxMessage.created_at < before,
        )
    )


def pending_row(user_id: str, key: str, kind: str, payload: dict, due_at: datetime, not_after: datetime | None,
                created: datetime) -> dict:
    """A pending outbox row to a person, as a plain mapping for `insert_new`."""
    return {"idempotency_key": key, "kind": kind, "user_id": user_id, "conversation_id": None,
            "payload": payload, "due_at": due_at, "not_after": not_after, "status": OutboxStatus.PENDING,
            "attempts": 0, "created_at": created}


async def insert_new(db: AsyncSession, rows: list[dict]) -> None:
    """Insert rows in one statement, skipping those whose idempotency key is already queued."""
    if rows:
        # The table, not the mapped class: a Core executemany, without the ORM's per-row bulk work.
        stmt = insert_for(db, OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
        await db.execute(stmt, rows)
