"""Shared fixtures: an empty migrated database per test (a copied SQLite file, and PostgreSQL when
configured: the worker's shared database, emptied first; see tests/databases.py), the
real aiohttp app built by the composition root, and a fake Bot Connector that records replies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import COMPONENTS, Components, create_app
from bot.config import Settings, load_settings
from scheduler.clock import ManualClock
from storage.migrate import upgrade_url
from tests import factories
from tests.databases import SharedPostgres, pg_exec, with_db
from tests.fake_connector import FakeConnector

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every time is slower)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    asyncio.run(upgrade_url(f"sqlite+aiosqlite:///{path}"))
    return path


_pg_exec = pg_exec  # tests that stop a database import it from here


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "own_database: gets a fresh PostgreSQL database, not the worker's "
                                       "shared one (the test drops it, or runs other processes on it)")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        yield None
        return
    name = f"peerspace_tpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_exec(PG_URL, f'CREATE DATABASE "{name}"'))
    asyncio.run(upgrade_url(with_db(PG_URL, name)))
    yield name
    asyncio.run(pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_shared(pg_template) -> Iterator[SharedPostgres | None]:
    """This worker's one migrated PostgreSQL database (see tests/databases.py)."""
    if pg_template is None:
        yield None
        return
    shared = SharedPostgres(PG_URL, pg_template)
    yield shared
    shared.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path, sqlite_template) -> Iterator[str]:
    """An empty migrated database for one test, on each supported engine."""
    if request.param == "sqlite":
        path = tmp_path / "peerspace.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    yield from _pg_database(request)


@pytest.fixture
def pg_url(request) -> Iterator[str]:
    """An empty migrated PostgreSQL database, for tests that only make sense there."""
    yield from _pg_database(request)


def _pg_database(request) -> Iterator[str]:
    template = request.getfixturevalue("pg_template")
    if template is None:
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")
    if request.node.get_closest_marker("own_database") is None:
        yield request.getfixturevalue("pg_shared").checkout()
        return
    name = f"peerspace_t_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_exec(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield with_db(PG_URL, name)
    asyncio.run(pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "dev_mode": True,
        "database_url": db_url,
        "scheduler_enabled": False,
        "admin_ids": ["aad-admin"],
        "facilitator_ids": [factories.FACILITATOR.aad],
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(db_url) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.stop()


async def _instant(_seconds: float) -> None:
    await asyncio.sleep(0)


@dataclass
class BotHarness:
    """The real app behind a test client, plus the fake connector it answers through."""

    client: TestClient
    connector: FakeConnector

    @property
    def components(self) -> Components:
        return self.client.app[COMPONENTS]

    async def post(self, activity: dict[str, Any], **kw: Any):
        return await self.client.post("/api/messages", json=activity, **kw)

    async def say(self, text: str, person: factories.Person = factories.ALICE, **kw: Any):
        return await self.post(factories.message(text, person, service_url=self.connector.url, **kw))

    async def press(self, verb: str, data: dict[str, Any] | None = None,
                    person: factories.Person = factories.ALICE, **kw: Any) -> dict[str, Any]:
        """Press an Action.Execute button; returns the invoke response body."""
        resp = await self.post(factories.execute(verb, data, person, service_url=self.connector.url, **kw))
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def install(self, person: factories.Person = factories.ALICE, **kw: Any):
        return await self.post(factories.installation_update(person, service_url=self.connector.url, **kw))


async def start_harness(settings: Settings, connector: FakeConnector, clock: ManualClock) -> BotHarness:
    app = create_app(settings, clock=clock, messenger_sleep=_instant)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return BotHarness(client, connector)


@pytest.fixture
async def harness(settings, connector, clock) -> AsyncIterator[BotHarness]:
    h = await start_harness(settings, connector, clock)
    yield h
    await h.client.close()
