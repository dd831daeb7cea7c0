"""Anonymity of the stored feedback: the schema cannot identify a person, receipts cannot be
joined to responses without the secret, and generated identifiers never reach the database."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import DateTime, Date, select
from sqlalchemy import create_engine as create_sync_engine

from storage.feedback import responses as store
from storage.db import create_engine, create_sessionmaker
from storage.feedback.models import FeedbackReceipt, FeedbackResponse, FeedbackShareOffer
from storage.models import User, UTCDateTime, new_id
from storage.schema import Base
from storage.sessions.models import Meeting, Registration, Series
from dialogs.feedback.form import ScrubberCache
from tests.feedback.test_anonymise import FILLER, full_names, uk_phones

RESPONSE_TABLES = ("feedback_responses", "feedback_receipts")
# Anything that could name, address or time a person. A new column must be reviewed here.
SUSPECT = re.compile(r"user|person|teams|aad|conversation|activity|name|email|phone|time|date|created|"
                     r"updated|_at$|ip|tenant|org|role", re.IGNORECASE)
PERSON_TABLES = {"users", "conversations", "outbox", "registrations", "role_grants", "processed_activities"}


def test_no_column_of_the_response_tables_can_identify_a_person():
    expected = {
        "feedback_responses": {"id", "session_id", "overall", "presentation", "discussion", "topics",
                               "helpful_text", "better_text", "helpful_themes", "better_themes"},
        "feedback_receipts": {"marker", "session_id", "pointer"},
    }
    for name in RESPONSE_TABLES:
        table = Base.metadata.tables[name]
        assert set(table.columns.keys()) == expected[name], f"{name}: review new columns for anonymity"
        for column in table.columns:
            assert not SUSPECT.search(column.name), f"{name}.{column.name}"
            assert not isinstance(column.type, (DateTime, Date, UTCDateTime)), f"{name}.{column.name} is a time"
            for fk in column.foreign_keys:
                assert fk.column.table.name == "space_sessions", f"{name}.{column.name} points at {fk.column.table}"
                assert fk.column.table.name not in PERSON_TABLES
        # Random, not sequential, ids: insertion order is not kept in the id.
        for column in table.primary_key.columns:
            assert not column.autoincrement is True
    # The share offer is the identified part: it carries no session and no answer.
    assert set(FeedbackShareOffer.__table__.columns.keys()) == {"user_id", "series_id"}


def test_sqlite_keeps_response_rows_in_id_order_not_insertion_order(sqlite_template):
    engine = create_sync_engine(f"sqlite:///{sqlite_template}")
    with engine.connect() as conn:
        sql = {row[0]: row[1] for row in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
    engine.dispose()
    for name in RESPONSE_TABLES:
        assert "WITHOUT ROWID" in sql[name].upper()


def test_receipts_are_keyed_hashes_that_open_only_with_the_key_and_the_person():
    receipts, other = store.Receipts(b"k" * 32), store.Receipts(b"x" * 32)
    response_id = new_id()
    pointer = receipts.seal("29:alice", "s1", response_id)
    assert receipts.open("29:alice", "s1", pointer) == response_id
    assert other.open("29:alice", "s1", pointer) != response_id
    assert receipts.open("29:bob", "s1", pointer) != response_id
    assert pointer != response_id and "alice" not in receipts.marker("29:alice", "s1")
    assert receipts.marker("29:alice", "s1") != receipts.marker("29:alice", "s2")
    assert receipts.marker("29:alice", "s1") != other.marker("29:alice", "s1")


async def _seed(open_db, names: list[str]) -> str:
    async with open_db() as db, db.begin():
        series = Series(name=f"Series {new_id()}")
        db.add(series)
        user = User(teams_id=f"29:{new_id()}", name=names[0])
        db.add(user)
        await db.flush()
        s = Meeting(series_id=series.id, title="T", starts_at=datetime(2026, 11, 20, 14, tzinfo=timezone.utc),
                    ends_at=datetime(2026, 11, 20, 16, tzinfo=timezone.utc))
        db.add(s)
        await db.flush()
        for name in names[1:]:
            db.add(Registration(session_id=s.id, user_id=user.id, name=name, organisation="o", role="r"))
        return s.id


async def _store_and_read(url: str, names: list[str], text: str, deny: tuple[str, ...]) -> str:
    engine = create_engine(url)
    open_db = create_sessionmaker(engine)
    try:
        sid = await _seed(open_db, names)
        cache = ScrubberCache(deny, 2000)
        async with open_db() as db, db.begin():
            scrubbed = (await cache.get(db)).scrub(text)
            draft = store.ResponseDraft(3, 3, 3, helpful_text=scrubbed)
            await store.submit(db, store.Receipts(b"k" * 32), f"29:{new_id()}", sid, draft)
        async with open_db() as db:
            row = await db.scalar(select(FeedbackResponse).where(FeedbackResponse.session_id == sid))
            return row.helpful_text
    finally:
        await engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=full_names(), registrant=full_names(), email=st.emails(), phone=uk_phones(),
       nine=st.text("0123456789", min_size=9, max_size=9), before=FILLER, after=FILLER)
def test_generated_identifiers_never_reach_the_database(tmp_path, sqlite_template, user, registrant, email,
                                                        phone, nine, before, after):
    path = tmp_path / "p.db"
    if not path.exists():
        shutil.copy(sqlite_template, path)
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1)))
    check = (11 - total % 11) % 11
    nhs = nine + str(check if check != 10 else 0)
    user_name, registrant_name = " ".join(user), " ".join(registrant)
    text = (f"{before} {user_name} and {registrant[0]} wrote {email} {phone} NHS {nhs} "
            f"on Rowan Ward {after}")
    stored = asyncio.run(_store_and_read(f"sqlite+aiosqlite:///{path}", [user_name, registrant_name], text,
                                         ("Rowan Ward",)))
    for secret in (user_name, registrant[0], email, phone, nhs, "Rowan Ward"):
        assert secret.casefold() not in stored.casefold(), secret
    assert "[name]" in stored and "[email]" in stored


async def test_second_submission_replaces_and_leaves_no_trace_of_the_first(db_url):
    engine = create_engine(db_url)
    open_db = create_sessionmaker(engine)
    try:
        sid = await _seed(open_db, ["Pat Example"])
        receipts = store.Receipts(b"k" * 32)
        async with open_db() as db, db.begin():
            assert await store.submit(db, receipts, "29:pat", sid, store.ResponseDraft(1, 1, 1)) is False
            assert await store.submit(db, receipts, "29:sam", sid, store.ResponseDraft(4, 4, 4)) is False
        async with open_db() as db, db.begin():
            assert await store.submit(db, receipts, "29:pat", sid, store.ResponseDraft(5, 5, 5)) is True
        async with open_db() as db:
            rows = list(await db.scalars(select(FeedbackResponse)))
            receipt_rows = list(await db.scalars(select(FeedbackReceipt)))
        assert sorted(r.overall for r in rows) == [4, 5]
        assert len(receipt_rows) == 2
        ids = {r.id for r in rows}
        assert not ids & {r.pointer for r in receipt_rows}  # pointers do not show the response ids
        async with open_db() as db, db.begin():
            assert await store.seal_closed(db, datetime(2026, 12, 31, tzinfo=timezone.utc),
                                           timedelta(days=14)) == 2
    finally:
        await engine.dispose()
