"""Storing feedback anonymously, and knowing who already answered without knowing what they said.

Design (the promise: nothing stored can tie an answer to a person):

- A response row has a random id (uuid4), the session id and the answers; no user,
  conversation or activity id and no time. SQLite tables are WITHOUT ROWID, so rows are kept
  in random-id order rather than insertion order.
- "Already answered" is a receipt keyed by HMAC(key, person, session). Its `pointer` is the
  response id XOR HMAC(key, "pointer", person, session): only someone holding both the
  deployment secret and the person's Teams id can find that person's response, which is what
  lets a second submission replace the first. Receipts are deleted when the session's
  feedback window closes (`seal_closed`), after which no link exists even for the secret's
  holder.
- Free text is scrubbed before it reaches this module's callers' INSERTs (`ResponseDraft`
  holds only scrubbed text) and is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, json_rows, rows_changed, rows_of
from storage.feedback.models import FeedbackReceipt, FeedbackResponse, FeedbackShareOffer
from storage.models import User
from storage.sessions.models import Meeting, Registration, RegistrationStatus, Series, SessionStatus


@dataclass(frozen=True)
class ResponseDraft:
    """A validated, scrubbed answer, ready to store."""

    overall: int
    presentation: int
    discussion: int
    topics: tuple[str, ...] = ()
    helpful_text: str | None = None
    better_text: str | None = None
    helpful_themes: tuple[str, ...] = ()
    better_themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Receipts:
    """Keyed hashes of person and session. `key` comes from LinkSigner.derive_key."""

    key: bytes = field(repr=False)

    def _mac(self, label: str, person: str, session_id: str) -> bytes:
        message = "\x00".join((label, person, session_id)).encode()
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def marker(self, person: str, session_id: str) -> str:
        return self._mac("answered", person, session_id).hex()

    def seal(self, person: str, session_id: str, response_id: str) -> str:
        stream = self._mac("pointer", person, session_id)[:16]
        return bytes(a ^ b for a, b in zip(uuid.UUID(hex=response_id).bytes, stream)).hex()

    def open(self, person: str, session_id: str, pointer: str) -> str:
        stream = self._mac("pointer", person, session_id)[:16]
        return uuid.UUID(bytes=bytes(a ^ b for a, b in zip(bytes.fromhex(pointer), stream))).hex


def window_closes(session: Meeting, window: timedelta) -> datetime:
    return session.ends_at + window


def is_open(session: Meeting, now: datetime, window: timedelta) -> bool:
    """Feedback is taken from the session's end until `window` later (cancelled sessions: never)."""
    return session.status != SessionStatus.CANCELLED and session.ends_at <= now < window_closes(session, window)


# Built once: a statement's cache key is worked out on first use and kept on the object, and
# working it out again for a freshly built statement cost more than running it.
_ATTENDED_OPEN = (
    select(Meeting)
    .join(Registration, Registration.session_id == Meeting.id)
    .where(
        Registration.user_id == bindparam("user_id"),
        Registration.attended_at.is_not(None),
        Registration.status != RegistrationStatus.WITHDRAWN,
        Meeting.ends_at <= bindparam("now", type_=Meeting.ends_at.type),
        Meeting.ends_at > bindparam("since", type_=Meeting.ends_at.type),
        Meeting.status != SessionStatus.CANCELLED,
    )
    .order_by(Meeting.ends_at.desc())
)


async def attended_open_sessions(
    db: AsyncSession, user_id: str, now: datetime, window: timedelta
) -> list[Meeting]:
    """Sessions the person attended whose feedback window is open now, newest first."""
    rows = await db.scalars(_ATTENDED_OPEN, {"user_id": user_id, "now": now, "since": now - window})
    return list(rows)


async def open_session_for(
    db: AsyncSession, user_id: str, session_id: str, now: datetime, window: timedelta
) -> Meeting | None:
    """The session, if this person attended it and its feedback window is open."""
    for candidate in await attended_open_sessions(db, user_id, now, window):
        if candidate.id == session_id:
            return candidate
    return None


async def has_answered(db: AsyncSession, receipts: Receipts, person: str, session_id: str) -> bool:
    marker = receipts.marker(person, session_id)
    return await db.get(FeedbackReceipt, marker) is not None


async def submit(
    db: AsyncSession, receipts: Receipts, person: str, session_id: str, draft: ResponseDraft
) -> bool:
    """Store a response; a second one from the same person for the same session replaces the first.

    Returns True when it replaced an earlier response. Call inside a transaction.
    """
    response_id = uuid.uuid4().hex
    marker = receipts.marker(person, session_id)
    pointer = receipts.seal(person, session_id, response_id)
    changed = await rows_changed(
        db,
        insert_for(db, FeedbackReceipt)
        .values(marker=marker, session_id=session_id, pointer=pointer)
        .on_conflict_do_nothing(index_elements=["marker"])
    )
    replaced = changed != 1
    if replaced:
        receipt = (await db.scalars(
            select(FeedbackReceipt).where(FeedbackReceipt.marker == marker).with_for_update()
        )).one()
        old_id = receipts.open(person, session_id, receipt.pointer)
        await db.execute(delete(FeedbackResponse).where(FeedbackResponse.id == old_id))
        receipt.pointer = pointer
    db.add(FeedbackResponse(
        id=response_id, session_id=session_id,
        overall=draft.overall, presentation=draft.presentation, discussion=draft.discussion,
        topics=list(draft.topics), helpful_text=draft.helpful_text, better_text=draft.better_text,
        helpful_themes=list(draft.helpful_themes), better_themes=list(draft.better_themes),
    ))
    await db.flush()
    return replaced


async def offer_to_share(db: AsyncSession, user_id: str, series_id: str) -> None:
    """Record consent to be contacted about sharing practice (no session, no answers)."""
    await db.execute(
        insert_for(db, FeedbackShareOffer).values(user_id=user_id, series_id=series_id)
        .on_conflict_do_nothing()
    )


async def share_offers(db: AsyncSession, series_id: str, *, limit: int = 50) -> list[str]:
    """Names of the people who offered to share their practice in a series."""
    rows = await db.scalars(
        select(User.name).join(FeedbackShareOffer, FeedbackShareOffer.user_id == User.id)
        .where(FeedbackShareOffer.series_id == series_id).order_by(User.name).limit(limit)
    )
    return [name for name in rows if name]


_OFFERED_SERIES = (
    select(Series.name).join(FeedbackShareOffer, FeedbackShareOffer.series_id == Series.id)
    .where(FeedbackShareOffer.user_id == bindparam("user_id")).order_by(Series.name)
)


async def offered_series(db: AsyncSession, user_id: str) -> list[str]:
    return list(await db.scalars(_OFFERED_SERIES, {"user_id": user_id}))


@cache
def held_statement(dialect: str) -> Select:
    """"My data" (storage/personal_data.py), built once per database kind and bound by `user_id`,
    `now` and `since` (`held_params`): the ids of the attended sessions whose window is open, the
    receipts of those sessions (opaque markers: which one is the person's only `Receipts` can
    tell) and the series offered (storage/dialect.py json_rows)."""
    meetings = _ATTENDED_OPEN.subquery()
    offered = _OFFERED_SERIES.order_by(None)
    receipts = select(FeedbackReceipt.__table__.c.marker).where(
        FeedbackReceipt.__table__.c.session_id.in_(select(meetings.c.id)))
    return select(json_rows(dialect, select(meetings.c.id, meetings.c.ends_at), "-ends_at"),
                  json_rows(dialect, receipts), json_rows(dialect, offered, "name"))


def held_params(now: datetime, window: timedelta) -> dict[str, datetime]:
    return {"since": now - window}


def held_for(row: Sequence[Any], receipts: Receipts, user: User) -> tuple[list[str], int]:
    """From `held_statement`'s row: the series offered to the person, and how many open
    sessions they answered."""
    sessions, markers, offered = row
    answered = {marker for marker, in rows_of(markers)}
    mine = {receipts.marker(user.teams_id, session_id) for session_id, _ in rows_of(sessions)}
    return [name for name, in rows_of(offered)], len(mine & answered)


async def forget_person(db: AsyncSession, receipts: Receipts, user: User) -> None:
    """"My data" erase: the offers, and the receipts that say this person answered.

    The anonymous responses stay: nothing links them to the person once the receipt is gone.
    """
    await db.execute(delete(FeedbackShareOffer).where(FeedbackShareOffer.user_id == user.id))
    # Every session that still has receipts (only those whose window has not been sealed), not
    # the person's registrations: another feature may already have erased those.
    session_ids = await db.scalars(select(FeedbackReceipt.session_id).distinct())
    markers = [receipts.marker(user.teams_id, sid) for sid in session_ids]
    if markers:
        await db.execute(delete(FeedbackReceipt).where(FeedbackReceipt.marker.in_(markers)))


async def seal_closed(db: AsyncSession, now: datetime, window: timedelta) -> int:
    """Delete the receipts of sessions whose window has closed: from then on nothing links anyone."""
    closed = select(Meeting.id).where(Meeting.ends_at <= now - window)
    return await rows_changed(db, delete(FeedbackReceipt).where(FeedbackReceipt.session_id.in_(closed)))


async def expire_quotes(db: AsyncSession, before: datetime) -> int:
    """Retention: drop the scrubbed texts of sessions that ended before `before`; themes stay."""
    old = select(Meeting.id).where(Meeting.ends_at < before)
    return await rows_changed(
        db,
        update(FeedbackResponse)
        .where(FeedbackResponse.session_id.in_(old),
               (FeedbackResponse.helpful_text.is_not(None)) | (FeedbackResponse.better_text.is_not(None)))
        .values(helpful_text=None, better_text=None)
        .execution_options(synchronize_session=False)
    )


async def names_fingerprint(db: AsyncSession) -> tuple:
    """Changes whenever a name the scrubber must know could have changed."""
    users = (await db.execute(select(func.count(), func.max(User.updated_at)).select_from(User))).one()
    regs = (await db.execute(
        select(func.count(), func.max(Registration.registered_at)).select_from(Registration))).one()
    return (*users, *regs)


async def known_names(db: AsyncSession) -> set[str]:
    """Every name the bot knows: people it has met and everyone who registered for a session."""
    names = set(await db.scalars(select(User.name).where(User.name != "")))
    names.update(await db.scalars(select(Registration.name).distinct()))
    return {n for n in names if n and n.strip()}
