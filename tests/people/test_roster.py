"""The roster import: a good file, each kind of bad row reported with its line (and nothing
changed), a dry run that changes nothing, re-import changing nothing, and the command line.
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.app import load_all_content
from dialogs.people.roster import import_roster
from storage.db import create_engine, create_sessionmaker
from storage.models import RoleGrant
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink
from tests.conftest import make_settings

W = "11111111-1111-1111-1111-111111111111"
S = "22222222-2222-2222-2222-222222222222"
L = "33333333-3333-3333-3333-333333333333"
HEADER = "Name,Email or AAD id,Role,Line manager,Peer supervisor,Start date,Team,Organisation\n"
GOOD = HEADER + (
    f"Wren Worker,{W},worker,mo@trust.nhs.uk,{S},2026-01-05,Ward 3,Trust A\n"
    f"Sol Supervisor,{S},peer_supervisor;peer_lead,,,05/01/2024,Peer team,Trust A\n"
    "Mo Manager,MO@trust.nhs.uk,line_manager,,,,Ward 3,Trust A\n"
)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def run(db_url, tmp_path) -> AsyncIterator:
    engine = create_engine(db_url)
    open_db = create_sessionmaker(engine)
    content = load_all_content(make_settings(db_url))

    async def go(text: str, *, dry_run: bool = False) -> tuple[int, list[str]]:
        path = tmp_path / "roster.csv"
        path.write_text(text, encoding="utf-8")
        return await import_roster(open_db, content, path, dry_run=dry_run, today=date(2026, 11, 23), now=NOW)

    go.open_db = open_db
    yield go
    await engine.dispose()


async def _state(open_db) -> tuple:
    async with open_db() as db:
        people = (await db.execute(select(Person.name, Person.aad_object_id, Person.email, Person.team,
                                          Person.organisation, Person.start_date).order_by(Person.name))).all()
        links = (await db.execute(select(PersonLink.kind, PersonLink.status, PersonLink.started_on)
                                  .order_by(PersonLink.kind))).all()
        grants = (await db.execute(select(RoleGrant.aad_object_id, RoleGrant.role))).all()
    return people, links, grants


async def test_a_good_file_then_the_same_file_again_changes_nothing(run):
    status, lines = await run(GOOD, dry_run=True)
    assert status == 0 and lines[-1].startswith("Dry run: 6 change(s) would be made from 3 row(s)")
    assert await _state(run.open_db) == ([], [], [])
    status, lines = await run(GOOD)
    assert status == 0 and lines[-1] == "6 change(s) made from 3 row(s)."
    assert "line 2: Mo Manager becomes Wren Worker's line manager" in lines
    people, links, grants = await _state(run.open_db)
    assert [p.name for p in people] == ["Mo Manager", "Sol Supervisor", "Wren Worker"]
    assert people[1].start_date == date(2024, 1, 5) and people[0].email == "mo@trust.nhs.uk"
    assert [(l.kind, l.status) for l in links] == [(LinkKind.LINE_MANAGER, LinkStatus.ACTIVE),
                                                   (LinkKind.PEER_SUPERVISOR, LinkStatus.ACTIVE)]
    assert grants == [(S, "peer_lead")]
    before = await _state(run.open_db)
    status, lines = await run(GOOD)
    assert (status, lines) == (0, ["0 change(s) made from 3 row(s)."])
    assert await _state(run.open_db) == before
    # A change of supervisor: the old link ends (kept), the new one starts; a dry run first.
    changed = GOOD.replace(f"{S},2026-01-05", f"{L},2026-01-05") + f"Lou Lead,{L},peer_supervisor,,,,,Trust A\n"
    status, lines = await run(changed, dry_run=True)
    assert status == 0 and await _state(run.open_db) == before
    status, lines = await run(changed)
    async with run.open_db() as db:
        statuses = (await db.scalars(select(PersonLink.status).where(PersonLink.kind == LinkKind.PEER_SUPERVISOR)
                                     .order_by(PersonLink.status))).all()
    assert statuses == [LinkStatus.ACTIVE, LinkStatus.ENDED]


BAD_ROWS = {
    "bad id": ("Ann,not-an-id,worker,,,,,\n", 'line 2, email_or_aad_id: "not-an-id" is neither'),
    "bad email": ("Ann,ann@,worker,,,,,\n", 'line 2, email_or_aad_id: "ann@" is neither'),
    "unknown manager": (f"Ann,{W},worker,nobody@trust.nhs.uk,,,,\n",
                        "line 2, line_manager: nobody@trust.nhs.uk is neither in this file nor someone"),
    "bad date": (f"Ann,{W},worker,,,31/02/2026,,\n", 'line 2, start_date: "31/02/2026" is not a date'),
    "self reference": (f"Ann,{W},worker,,{W},,,\n", "line 2, peer_supervisor: a worker cannot be their own"),
    "duplicate": (f"Ann,{W},worker,,,,,\nAnn Again,{W},worker,,,,,\n",
                  f"line 3, email_or_aad_id: {W} is already on line 2"),
    "unknown role": (f"Ann,{W},boss,,,,,\n", 'line 2, role: unknown role "boss"'),
    "lead without AAD id": ("Ann,ann@trust.nhs.uk,peer_lead,,,,,\n", "line 2, role: a peer lead needs an AAD"),
    "missing name": (f",{W},worker,,,,,\n", "line 2, name: required."),
    "wrong field count": (f"Ann,{W},worker\n", "line 2: 3 fields"),
}


@pytest.mark.parametrize("row, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
async def test_each_bad_row_is_reported_with_its_line_and_nothing_changes(run, row, message):
    status, lines = await run(HEADER + row)
    assert status == 1
    assert any(message in line for line in lines), lines
    assert lines[-1].endswith("Nothing was changed; fix them and run the import again.")
    assert await _state(run.open_db) == ([], [], [])


async def test_one_bad_row_among_good_ones_stops_all_of_them(run):
    status, lines = await run(GOOD + f"Ann,{W},worker,,,,,\n" + "Bo,bo@x.nhs.uk,worker,,,yesterday,,\n")
    assert status == 1
    assert [l.split(",")[0].split(":")[0] for l in lines[:-1]] == ["line 5", "line 6"]
    assert await _state(run.open_db) == ([], [], [])


async def test_a_bad_header_is_refused(run):
    status, lines = await run("name,email,role\nAnn,ann@x.nhs.uk,worker\n")
    assert status == 1 and "line 1: the first line must name the columns" in lines[0]


def test_the_command_line(db_url, tmp_path, monkeypatch, capsys):
    path = tmp_path / "roster.csv"
    path.write_text(GOOD, encoding="utf-8-sig")  # as spreadsheets save it, with a byte-order mark
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PEERSPACE_DEV", "1")
    assert main(["people", "import", str(path), "--dry-run"]) == 0
    assert "Dry run: 6 change(s)" in capsys.readouterr().out
    assert main(["people", "import", str(path)]) == 0
    assert "6 change(s) made" in capsys.readouterr().out
    assert asyncio.run(_count_people(db_url)) == 3
    path.write_text(HEADER + "Ann,nope,worker,,,,,\n", encoding="utf-8")
    assert main(["people", "import", str(path)]) == 1
    assert "line 2, email_or_aad_id" in capsys.readouterr().err


async def _count_people(db_url: str) -> int:
    engine = create_engine(db_url)
    async with create_sessionmaker(engine)() as db:
        count = await db.scalar(select(func.count()).select_from(Person))
    await engine.dispose()
    return count or 0
