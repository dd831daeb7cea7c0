""""You said, we did": actions facilitators record in response to feedback themes.

Written by the feedback feature; read by the sessions feature for announcements and the
starting card, so the people who gave feedback see what changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, new_id, utcnow


class FeedbackAction(Base):
    __tablename__ = "feedback_actions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    # The session whose feedback prompted the action, if any.
    session_id: Mapped[str | None] = mapped_column(ForeignKey("space_sessions.id", ondelete="SET NULL"))
    theme_id: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def recent_actions(db: AsyncSession, series_id: str, *, limit: int = 5) -> list[FeedbackAction]:
    """The newest actions of a series, newest first (for announcement and starting cards)."""
    rows = await db.scalars(
        select(FeedbackAction)
        .where(FeedbackAction.series_id == series_id)
        .order_by(FeedbackAction.recorded_at.desc(), FeedbackAction.id)
        .limit(limit)
    )
    return list(rows)


async def record(db: AsyncSession, *, series_id: str, session_id: str | None, theme_id: str, action: str,
                 by: str | None, at: datetime) -> FeedbackAction:
    """Record an action; the caller has checked the role, the theme and the text."""
    row = FeedbackAction(series_id=series_id, session_id=session_id, theme_id=theme_id, action=action,
                         recorded_by=by, recorded_at=at)
    db.add(row)
    await db.flush()
    return row
