""""My data" for sessions: every registration with the details the person typed, the series
they hear about, and what they did as a facilitator; all of it deleted on request."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.sessions.common import SessionsBase, valid_zone, when_text
from storage.sessions import repository as repo
from storage.models import User
from storage.personal_data import DataItem, PersonalDataSource
from storage.sessions.models import Meeting, Registration, RegistrationStatus, Series, SeriesSubscription

DETAILS = ("name", "organisation", "role", "reason", "hopes", "access_needs")
DETAIL_SHOWN = 300  # characters of each typed detail on the card, which must stay under 80 KB

# Built once (see storage/feedback.py).
_REGISTRATIONS = (
    select(Registration, Meeting.title, Meeting.starts_at, Meeting.ends_at)
    .join(Meeting, Meeting.id == Registration.session_id)
    .where(Registration.user_id == bindparam("user_id")).order_by(Meeting.starts_at)
)
_SERIES = (select(Series.name).join(SeriesSubscription, SeriesSubscription.series_id == Series.id)
           .where(SeriesSubscription.user_id == bindparam("user_id")).order_by(Series.name))
_AS_FACILITATOR = select(
    select(func.count()).select_from(Meeting).where(Meeting.created_by == bindparam("user_id"))
    .scalar_subquery(),
    select(func.count()).select_from(Registration).where(Registration.attendance_marked_by == bindparam("user_id"))
    .scalar_subquery(),
)


def _cut(value: str) -> str:
    return value if len(value) <= DETAIL_SHOWN else value[:DETAIL_SHOWN - 1] + "…"


class SessionsPersonalData(SessionsBase):
    def source(self) -> PersonalDataSource:
        return PersonalDataSource("sessions", self.describe, self.erase)

    async def describe(self, db: AsyncSession, user: User) -> list[DataItem]:
        """One line per registration, each with every detail held; then subscriptions and counts."""
        zone = valid_zone(user.time_zone, self.config.zone)
        items = []
        for registration, title, starts_at, ends_at in (await db.execute(_REGISTRATIONS, {"user_id": user.id})):
            values = [self.text("sessions.my_data.line", title=title, when=when_text(
                self.content, starts_at, ends_at, zone), status=self.text(f"sessions.mine_status.{registration.status}"))]
            values += [self.text("sessions.my_data.detail", field=self.text(f"sessions.fields.{key}"),
                                 value=_cut(getattr(registration, key)))
                       for key in DETAILS if getattr(registration, key)]
            if registration.attended_at is not None:
                values.append(self.text("sessions.my_data.attended"))
            items.append(DataItem("session_registration", tuple(values)))
        series = tuple(await db.scalars(_SERIES, {"user_id": user.id}))
        created, marked = (await db.execute(_AS_FACILITATOR, {"user_id": user.id})).one()
        return [*(items or [DataItem("session_registration", ())]),
                DataItem("session_updates", series),
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
