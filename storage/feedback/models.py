"""Tables of session feedback. Anonymous by construction; see storage/feedback/responses.py for the design.

- `feedback_responses` holds answers with no person, conversation, activity or time in them:
  a random id, the session, the ratings, chosen topics, scrubbed texts and their themes.
- `feedback_receipts` remembers who already answered as a keyed hash (HMAC) of person and
  session, with the response id encrypted under a person-specific key stream: without the
  deployment secret and the person's id it cannot be joined to a response. Receipts of a
  session are deleted when its feedback window closes, and then nothing links anyone.
- `feedback_share_offers` is the one identified part: people who consented to be contacted
  about sharing their practice. It carries no session and no answer.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id


class FeedbackResponse(Base):
    __tablename__ = "feedback_responses"
    # No rowid on SQLite: rows are stored in id (random) order, not insertion order.
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("space_sessions.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int] = mapped_column(SmallInteger)
    presentation: Mapped[int] = mapped_column(SmallInteger)
    discussion: Mapped[int] = mapped_column(SmallInteger)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Scrubbed free text; set to NULL when the quote retention runs out (themes stay).
    helpful_text: Mapped[str | None] = mapped_column(Text)
    better_text: Mapped[str | None] = mapped_column(Text)
    helpful_themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    better_themes: Mapped[list[str]] = mapped_column(JSON, default=list)


class FeedbackReceipt(Base):
    __tablename__ = "feedback_receipts"
    __table_args__ = {"sqlite_with_rowid": False}

    # hex HMAC-SHA256(key, "answered", person, session)
    marker: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("space_sessions.id", ondelete="CASCADE"), index=True)
    # the response id XOR a person-and-session key stream, hex: random-looking without the key
    pointer: Mapped[str] = mapped_column(String(32))


class FeedbackShareOffer(Base):
    __tablename__ = "feedback_share_offers"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
