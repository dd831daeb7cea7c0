"""Statuses are StrEnums, stored as their plain values: rows written before the enums (and the
migrations' server-side data) read the same, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from storage import outbox
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxStatus, User
from storage.sessions.models import (
    ACTIVE, FINISHED, Meeting, Registration, RegistrationStatus, Series, SessionStatus,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)


def test_the_enum_values_are_the_strings_the_database_already_holds() -> None:
    assert [s.value for s in SessionStatus] == [
        "scheduled", "registration_open", "registration_closed", "cancelled", "held"]
    assert [s.value for s in RegistrationStatus] == ["registered", "waitlisted", "withdrawn"]
    assert [s.value for s in OutboxStatus] == ["pending", "sending", "sent", "expired", "failed", "cancelled"]
    assert set(FINISHED) == {"cancelled", "held"} and set(ACTIVE) == {"registered", "waitlisted"}
    # Content keys and cards are built with f-strings: the value, never "SessionStatus.HELD".
    assert f"sessions.status.{SessionStatus.HELD}" == "sessions.status.held"


async def test_statuses_are_stored_as_plain_text_and_found_by_plain_text(db_url) -> None:
    engine = create_engine(db_url)
    open_db = create_sessionmaker(engine)
    try:
        async with open_db() as db, db.begin():
            user = User(teams_id="29:status", name="Status Test")
            series = Series(name="Status series")
            db.add_all([user, series])
            await db.flush()
            space = Meeting(series_id=series.id, title="t", starts_at=NOW, ends_at=NOW + timedelta(hours=1),
                            status=SessionStatus.HELD)
            db.add(space)
            await db.flush()
            db.add(Registration(session_id=space.id, user_id=user.id, name="n", organisation="o", role="r",
                                status=RegistrationStatus.WAITLISTED))
            await outbox.enqueue(db, kind="card", idempotency_key="status-test", user_id=user.id, due_at=NOW)
        async with open_db() as db:
            rows = (await db.execute(text(
                "SELECT s.status, r.status, o.status FROM space_sessions s, registrations r, outbox o "
                "WHERE r.session_id = s.id AND o.idempotency_key = 'status-test'"))).one()
            found = await db.scalar(text(
                "SELECT count(*) FROM space_sessions WHERE status = 'held'"))
            loaded = await db.get(Meeting, space.id)
        assert tuple(rows) == ("held", "waitlisted", "pending")
        assert all(type(value) is str for value in rows)
        assert found == 1
        assert loaded.status == SessionStatus.HELD and loaded.status in FINISHED
    finally:
        await engine.dispose()
