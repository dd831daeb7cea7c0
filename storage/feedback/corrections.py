"""Facilitators' corrections of themes: anonymous labelled data for the next tuning round.

A facilitator reading a report may say of a quote "this is not about supervision" (or "yes,
it is"). What is kept is only what the facilitator was already shown: the scrubbed quote as
stored, the theme and the verdict, plus the day (for retention). Nothing names the
facilitator, the response, the session or the person who wrote it, so the table cannot be
joined back to anyone, and a quote that appears in several reports is one row.

A "not" verdict takes the quote out of that theme's quotes on every report at once. Theme
counts are left as the tagger made them: lowering a count only when the writer's other answer
did not carry the theme would tell a facilitator something about that other answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Date, String, Text, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id

VERDICTS = ("not", "is")


class ThemeCorrection(Base):
    __tablename__ = "feedback_theme_corrections"
    __table_args__ = (UniqueConstraint("text_key", "theme_id"), {"sqlite_with_rowid": False})

    # Random ids (and no rowid on SQLite): rows carry no order of when they were made.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    text_key: Mapped[str] = mapped_column(String(64))  # sha256 of the quote text, for look-ups
    text: Mapped[str] = mapped_column(Text)  # the scrubbed quote, as facilitators saw it
    theme_id: Mapped[str] = mapped_column(String(50))
    verdict: Mapped[str] = mapped_column(String(8))  # "not" or "is"
    recorded_on: Mapped[date] = mapped_column(Date)


def text_key(text: str) -> str:
    """The look-up key of a quote text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def record(db: AsyncSession, text: str, theme_id: str, verdict: str, today: date) -> None:
    """Keep (or change) the verdict on one quote and theme."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    key = text_key(text)
    row = await db.scalar(select(ThemeCorrection).where(ThemeCorrection.text_key == key,
                                                        ThemeCorrection.theme_id == theme_id))
    if row is None:
        db.add(ThemeCorrection(text_key=key, text=text, theme_id=theme_id, verdict=verdict, recorded_on=today))
    else:
        row.verdict, row.recorded_on = verdict, today


async def rejected(db: AsyncSession, texts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(text key, theme) pairs that facilitators said are not about that theme."""
    keys = sorted({text_key(t) for t in texts if t})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 500):  # stay well under any bound-parameter limit
        rows = await db.execute(select(ThemeCorrection.text_key, ThemeCorrection.theme_id).where(
            ThemeCorrection.text_key.in_(keys[start:start + 500]), ThemeCorrection.verdict == "not"))
        found.update((k, t) for k, t in rows)
    return frozenset(found)


async def export(db: AsyncSession) -> list[dict[str, str]]:
    """Every correction as labelled data (text, theme, verdict), in a stable order."""
    rows = await db.scalars(select(ThemeCorrection).order_by(ThemeCorrection.theme_id, ThemeCorrection.text_key))
    return [{"text": r.text, "theme": r.theme_id, "verdict": r.verdict} for r in rows]


async def purge(db: AsyncSession, before: date) -> int:
    """Retention: drop corrections made before ``before`` (the quote retention's cut-off), so
    a quote kept here never outlives the rule that deletes stored quotes."""
    result = await db.execute(delete(ThemeCorrection).where(ThemeCorrection.recorded_on < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def export_yaml(url: str) -> str:
    """Every correction in the database at ``url`` as YAML for the next tuning round
    (``python -m bot feedback corrections``; ``bench/themes.py --corrections FILE`` scores them)."""
    import yaml

    from storage.db import create_engine, create_sessionmaker

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db:
            rows = await export(db)
    finally:
        await engine.dispose()
    header = "# Facilitators' theme corrections: scrubbed quotes already shown on reports, nothing else.\n"
    return header + yaml.safe_dump({"corrections": rows}, allow_unicode=True, sort_keys=False, width=100)
