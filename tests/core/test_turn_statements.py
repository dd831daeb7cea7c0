"""How many SQL statements the common turns run: a regression in the per-turn cost fails here."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from storage.fastpath import Driver
from storage.models import User
from tests.core.test_roles import ADMIN
from tests.factories import ALICE, BOB


@contextmanager
def counted(engine):
    """The SQL statements run on `engine` inside the block (all connections)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def driver_statements(monkeypatch):
    """The statements run on the driver's connection (storage/fastpath.py) inside the block."""
    seen: list[str] = []
    fetch = Driver.fetch

    async def counting(self, prepared, **params):
        seen.append(prepared.sql)
        return await fetch(self, prepared, **params)

    with monkeypatch.context() as patch:
        patch.setattr(Driver, "fetch", counting)
        yield seen


async def test_my_data_listing_is_one_statement(harness, monkeypatch):
    await harness.say("hello")
    services = harness.components.services
    async with services.db() as db:
        user = await db.scalar(select(User).where(User.teams_id == ALICE.teams_id))
    with counted(harness.components.engine) as seen, driver_statements(monkeypatch) as driven:
        items = await services.personal_data.describe(services.engine, user.id, services.now())
    assert items, "the listing names what is held"
    # The user and all nine sources in one statement on the driver's connection (it was 25
    # statements through the ORM, then ten).
    assert seen == [] and len(driven) == 1, driven


async def test_menu_is_bound_once_per_role_set(harness, monkeypatch):
    content = harness.components.services.content
    bound: list[str] = []
    card = content.card
    monkeypatch.setattr(content, "card", lambda name, data: bound.append(name) or card(name, data))
    for person in (ALICE, BOB, ALICE, ADMIN, ADMIN):
        await harness.say("help", person)
    menus = [s.cards[0] for s in harness.connector.sent if s.cards]
    assert bound.count("menu") == 2, "one binding for people without roles, one for admins"
    assert menus[0] == menus[1] == menus[2] and menus[3] == menus[4] != menus[0]
