""""My data" for sessions: every registration with the details the person typed, the series
they hear about, and what they did as a facilitator; all of it deleted on request."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.sessions.common import SessionsBase, valid_zone, when_text
from storage.sessions import repository as repo
from storage.dialect import json_rows, rows_of, utc_of
from storage.models import User
from storage.personal_data import DataItem, PersonalDataSource
from storage.sessions.models import Meeting, Registration, RegistrationStatus, Series, SeriesSubscription

DETAILS = ("name", "organisation", "role", "reason", "hopes", "access_needs")
DETAIL_SHOWN = 300  # characters of each typed detail on the card, which must stay under 80 KB

_R, _M = Registration.__table__, Meeting.__table__


@cache
def _listing(dialect: str) -> Select:
    """Everything "my data" shows for sessions in one statement, built once per database kind:
    registrations and subscriptions as JSON lists (storage/dialect.py json_rows), then counts."""
    registrations = (select(_M.c.title, _M.c.starts_at, _M.c.ends_at, _R.c.status, _R.c.attended_at,
                            *(_R.c[key] for key in DETAILS))
                     .select_from(_R.join(_M, _M.c.id == _R.c.session_id)).where(_R.c.user_id == bindparam("user_id")))
    series = (select(Series.__table__.c.name).select_from(Series.__table__.join(
        SeriesSubscription.__table__, SeriesSubscription.__table__.c.series_id == Series.__table__.c.id))
        .where(SeriesSubscription.__table__.c.user_id == bindparam("user_id")))
    return select(
        json_rows(dialect, registrations, "starts_at"), json_rows(dialect, series, "name"),
        select(func.count()).select_from(_M).where(_M.c.created_by == bindparam("user_id")).scalar_subquery(),
        select(func.count()).select_from(_R).where(_R.c.attendance_marked_by == bindparam("user_id"))
        .scalar_subquery(),
    )


def _cut(value: str) -> str:
    return value if len(value) <= DETAIL_SHOWN else value[:DETAIL_SHOWN - 1] + "…"


class SessionsPersonalData(SessionsBase):
    def source(self) -> PersonalDataSource:
        return PersonalDataSource("sessions", _listing, self.items, self.erase)

    def items(self, row: Sequence[Any], user: User) -> list[DataItem]:
        """One line per registration, each with every detail held; then subscriptions and counts."""
        zone = valid_zone(user.time_zone, self.config.zone)
        held, series, created, marked = row
        items = []
        for title, starts_at, ends_at, status, attended_at, *details in rows_of(held):
            values = [self.text("sessions.my_data.line", title=title, when=when_text(
                self.content, utc_of(starts_at), utc_of(ends_at), zone),
                status=self.text(f"sessions.mine_status.{status}"))]
            values += [self.text("sessions.my_data.detail", field=self.text(f"sessions.fields.{key}"),
                                 value=_cut(value)) for key, value in zip(DETAILS, details) if value]
            if attended_at is not None:
                values.append(self.text("sessions.my_data.attended"))
            items.append(DataItem("session_registration", tuple(values)))
        return [*(items or [DataItem("session_registration", ())]),
                DataItem("session_updates", tuple(name for name, in rows_of(series))),
                DataItem("sessions_created", (str(created or 0),)),
                DataItem("attendance_marked", (str(marked or 0),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        now = self.services.now()
        ids = list(await db.scalars(select(Registration.session_id).where(
            Registration.user_id == user.id, Registration.status == RegistrationStatus.REGISTERED)))
        for session_id in ids:  # free their places for the waitlist first
            _, promoted = await repo.withdraw(db, session_id, user.id, now)
            if not promoted:
                continue
            space = await repo.get_meeting(db, session_id)
            assert space is not None  # withdraw has just locked it, in this transaction, to promote them
            await self.promoted(db, space, promoted, now)
        await db.execute(delete(Registration).where(Registration.user_id == user.id))
        await db.execute(delete(SeriesSubscription).where(SeriesSubscription.user_id == user.id))
        # What they did as a facilitator stays (sessions, others' attendance), no longer naming them.
        await db.execute(update(Meeting).where(Meeting.created_by == user.id).values(created_by=None))
        await db.execute(update(Registration).where(Registration.attendance_marked_by == user.id)
                         .values(attendance_marked_by=None))
