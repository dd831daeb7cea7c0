"""Repository of series, sessions and registrations: places, the waitlist and attendance.

Every change to a session's registrations first bumps `Meeting.version` in the same
transaction. That UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite), so
two people taking the last place one after the other get one place and one waitlist spot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_changed
from storage.models import new_id
from storage.sessions.models import (
    ACTIVE, FINISHED, Meeting, Registration, RegistrationStatus, Series, SeriesSubscription, SessionStatus,
)


class RegistrationRefused(ValueError):
    """Registration is not open for this session (closed, cancelled, started or unknown)."""


@dataclass(frozen=True)
class RegistrationDetails:
    name: str
    organisation: str
    role: str
    reason: str
    hopes: str
    access_needs: str
    wants_updates: bool


# What a withdrawn registration keeps of the details typed: nothing. The row stays with its
# status and times only, for the facilitators' counts and for a later registration to reuse.
GIVEN_UP = RegistrationDetails(name="", organisation="", role="", reason="", hopes="", access_needs="",
                               wants_updates=False)


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    status: RegistrationStatus  # REGISTERED or WAITLISTED
    new: bool  # False when an existing registration was changed


@dataclass(frozen=True)
class Counts:
    registered: int
    waitlisted: int
    attended: int


async def series_by_name(db: AsyncSession, name: str, zone: str) -> tuple[Series, bool]:
    """The series of that name, created if missing; True when this call created it."""
    series = await db.scalar(select(Series).where(Series.name == name))
    if series is not None:
        return series, False
    try:
        async with db.begin_nested():
            series = Series(name=name, time_zone=zone)
            db.add(series)
        return series, True
    except IntegrityError:  # another replica created it a moment ago
        return (await db.scalars(select(Series).where(Series.name == name))).one(), False


def _is_id(value: object) -> bool:
    """Ids are ours (hex); anything else a card sends back, a NUL included, matches no row."""
    return isinstance(value, str) and 0 < len(value) <= 32 and value.isascii() and value.isalnum()


async def get_meeting(db: AsyncSession, session_id: object) -> Meeting | None:
    if not _is_id(session_id):
        return None
    return await db.get(Meeting, session_id)


async def upcoming(db: AsyncSession, now: datetime, *, limit: int = 10,
                   include_cancelled: bool = False) -> list[Meeting]:
    """Sessions not yet ended, soonest first."""
    query = select(Meeting).where(Meeting.ends_at > now)
    if not include_cancelled:
        query = query.where(Meeting.status.not_in(FINISHED))
    return list(await db.scalars(query.order_by(Meeting.starts_at, Meeting.id).limit(limit)))


async def recent_past(db: AsyncSession, now: datetime, since: datetime, *, limit: int) -> list[Meeting]:
    """Sessions that ended between `since` and now, newest first (for the register after the day)."""
    return list(await db.scalars(
        select(Meeting).where(Meeting.ends_at <= now, Meeting.ends_at > since)
        .order_by(Meeting.starts_at.desc()).limit(limit)))


async def sessions_between(db: AsyncSession, series_id: str, start: datetime, end: datetime) -> list[Meeting]:
    return list(await db.scalars(
        select(Meeting).where(Meeting.series_id == series_id, Meeting.status != SessionStatus.CANCELLED,
                              Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at)))


async def latest_session(db: AsyncSession, series_id: str) -> Meeting | None:
    return await db.scalar(
        select(Meeting).where(Meeting.series_id == series_id, Meeting.status != SessionStatus.CANCELLED)
        .order_by(Meeting.starts_at.desc()).limit(1))


async def lock(db: AsyncSession, session_id: object) -> Meeting | None:
    """Serialise registration changes for one session (see the module docstring)."""
    if not _is_id(session_id):
        return None
    changed = await rows_changed(
        db,
        update(Meeting).where(Meeting.id == session_id)
        .values(version=Meeting.version + 1).execution_options(synchronize_session=False))
    if changed != 1:
        return None
    return await db.get(Meeting, session_id, populate_existing=True)


async def registration_of(db: AsyncSession, session_id: str, user_id: str) -> Registration | None:
    return await db.scalar(select(Registration).where(
        Registration.session_id == session_id, Registration.user_id == user_id))


async def counts(db: AsyncSession, session_id: str) -> Counts:
    rows = dict((await db.execute(
        select(Registration.status, func.count()).where(Registration.session_id == session_id)
        .group_by(Registration.status))).all())
    attended = await db.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session_id, Registration.attended_at.is_not(None)))
    return Counts(rows.get(RegistrationStatus.REGISTERED, 0), rows.get(RegistrationStatus.WAITLISTED, 0),
                  attended or 0)


async def register(db: AsyncSession, session_id: str, user_id: str, details: RegistrationDetails,
                   now: datetime) -> RegistrationResult:
    """Register (or change the details of) a person; a full session puts them on the waitlist."""
    return await _register(db, session_id, details, now, user_id=user_id)


async def register_on_web(db: AsyncSession, session_id: str, details: RegistrationDetails, now: datetime,
                          web_key: str | None = None) -> RegistrationResult:
    """Register someone from the web page (no Teams identity), or change the details of the web
    registration `web_key`. The place or waitlist spot comes from the same rows, under the same
    lock, as Teams registrations; a new one gets a fresh opaque `registration.web_key`."""
    return await _register(db, session_id, details, now, web_key=web_key)


async def _register(db: AsyncSession, session_id: str, details: RegistrationDetails, now: datetime, *,
                    user_id: str | None = None, web_key: str | None = None) -> RegistrationResult:
    space = await lock(db, session_id)
    if space is None or space.status != SessionStatus.REGISTRATION_OPEN or space.starts_at <= now:
        raise RegistrationRefused(space.status if space else "unknown")
    if user_id is not None:
        existing = await registration_of(db, session_id, user_id)
    else:
        existing = await web_registration(db, web_key) if web_key else None
        if existing is not None and existing.session_id != session_id:
            raise RegistrationRefused("unknown")
    if existing is not None and existing.status in ACTIVE:
        _apply(existing, details)
        return RegistrationResult(existing, RegistrationStatus(existing.status), new=False)
    full = space.capacity is not None and await _places_taken(db, session_id) >= space.capacity
    status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
    registration = existing or Registration(session_id=session_id, user_id=user_id,
                                            web_key=None if user_id else new_id())
    _apply(registration, details)
    registration.status, registration.registered_at, registration.withdrawn_at = status, now, None
    if existing is None:
        db.add(registration)
    await db.flush()
    if details.wants_updates and user_id is not None:  # news goes by Teams message: web registrants have none
        await subscribe(db, space.series_id, user_id, now)
    return RegistrationResult(registration, status, new=True)


async def web_registration(db: AsyncSession, web_key: object) -> Registration | None:
    """The web registration behind a personal link's key, or None."""
    if not _is_id(web_key):
        return None
    return await db.scalar(select(Registration).where(Registration.web_key == web_key))


async def _places_taken(db: AsyncSession, session_id: str) -> int:
    taken = await db.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session_id, Registration.status == RegistrationStatus.REGISTERED))
    assert taken is not None  # an aggregate without GROUP BY always returns one row
    return taken


def _apply(registration: Registration, details: RegistrationDetails) -> None:
    for key, value in asdict(details).items():
        setattr(registration, key, value)


async def withdraw(db: AsyncSession, session_id: str, user_id: str,
                   now: datetime) -> tuple[Registration | None, list[Registration]]:
    """Give up a place or waitlist spot. Returns it and anyone promoted into the freed place.

    Someone without a place changes nothing, not even the session's version (the calendar
    file's SEQUENCE): the lock is only taken once there is something to give up.
    """
    registration = await registration_of(db, session_id, user_id) if _is_id(session_id) else None
    return await _give_up(db, registration, now)


async def withdraw_on_web(db: AsyncSession, web_key: str,
                          now: datetime) -> tuple[Registration | None, list[Registration]]:
    """`withdraw` for the web registration `web_key` (its personal link's "Cancel my place")."""
    return await _give_up(db, await web_registration(db, web_key), now)


async def _give_up(db: AsyncSession, registration: Registration | None,
                   now: datetime) -> tuple[Registration | None, list[Registration]]:
    if registration is None or registration.status not in ACTIVE:
        return None, []
    space = await lock(db, registration.session_id)
    await db.refresh(registration)  # as it is now that we hold the lock
    if space is None or registration.status not in ACTIVE:
        return None, []
    was_registered = registration.status == RegistrationStatus.REGISTERED
    registration.status, registration.withdrawn_at = RegistrationStatus.WITHDRAWN, now
    _apply(registration, GIVEN_UP)
    await db.flush()
    promoted = await fill_places(db, space) if was_registered else []
    return registration, promoted


async def forget_web_registrations(db: AsyncSession, ended_before: datetime) -> int:
    """Retention: blank what web registrants typed, and their keys (so their links stop working),
    for sessions that ended before `ended_before`. The rows stay, as status and times only, for
    the facilitators' counts, like a withdrawn registration."""
    ended = select(Meeting.id).where(Meeting.ends_at < ended_before).scalar_subquery()
    return await rows_changed(db, update(Registration).where(
        Registration.web_key.is_not(None), Registration.session_id.in_(ended))
        .values(web_key=None, **asdict(GIVEN_UP)).execution_options(synchronize_session=False))


async def fill_places(db: AsyncSession, space: Meeting) -> list[Registration]:
    """Promote the longest-waiting people into free places; the caller holds the session lock."""
    if space.status in FINISHED:
        return []
    waiting = select(Registration).where(Registration.session_id == space.id,
                                         Registration.status == RegistrationStatus.WAITLISTED)
    if space.capacity is not None:
        free = space.capacity - await _places_taken(db, space.id)
        if free <= 0:
            return []
        waiting = waiting.limit(free)
    promoted = list(await db.scalars(waiting.order_by(Registration.registered_at, Registration.id)))
    for registration in promoted:
        registration.status = RegistrationStatus.REGISTERED
    await db.flush()
    return promoted


async def registrations(db: AsyncSession, session_id: str, statuses=ACTIVE) -> list[Registration]:
    return list(await db.scalars(
        select(Registration).where(Registration.session_id == session_id, Registration.status.in_(statuses))
        .order_by(Registration.registered_at, Registration.id)))


async def my_registrations(db: AsyncSession, user_id: str, now: datetime) -> list[tuple[Registration, Meeting]]:
    rows = await db.execute(
        select(Registration, Meeting).join(Meeting, Meeting.id == Registration.session_id)
        .where(Registration.user_id == user_id, Registration.status.in_(ACTIVE), Meeting.ends_at > now)
        .order_by(Meeting.starts_at))
    return [(r, s) for r, s in rows.all()]


async def mark_attended(db: AsyncSession, registration: Registration, now: datetime, by: str) -> bool:
    """Record attendance once; True when newly recorded."""
    if registration.attended_at is not None:
        return False
    registration.attended_at, registration.attendance_marked_by = now, by[:32]
    if registration.status == RegistrationStatus.WAITLISTED:  # they were let in on the day
        registration.status = RegistrationStatus.REGISTERED
    await db.flush()
    return True


async def subscribe(db: AsyncSession, series_id: str, user_id: str, now: datetime) -> None:
    if await db.get(SeriesSubscription, (series_id, user_id)) is None:
        try:
            async with db.begin_nested():
                db.add(SeriesSubscription(series_id=series_id, user_id=user_id, subscribed_at=now))
        except IntegrityError:
            pass


async def unsubscribe(db: AsyncSession, user_id: str) -> int:
    rows = list(await db.scalars(select(SeriesSubscription).where(SeriesSubscription.user_id == user_id)))
    for row in rows:
        await db.delete(row)
    await db.flush()
    return len(rows)


async def subscribers(db: AsyncSession, series_id: str) -> list[str]:
    return list(await db.scalars(
        select(SeriesSubscription.user_id).where(SeriesSubscription.series_id == series_id)))


_SUBSCRIPTIONS = select(func.count()).select_from(SeriesSubscription).where(
    SeriesSubscription.user_id == bindparam("user_id"))  # built once: see storage/feedback/responses.py


async def is_subscribed(db: AsyncSession, user_id: str) -> bool:
    return bool(await db.scalar(_SUBSCRIPTIONS, {"user_id": user_id}))
