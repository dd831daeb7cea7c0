"""Browser end-to-end (issue 12): a lead sets up a supervisee, records a supervision, the supervisee
confirms; a co-reflection is created and its invitation arrives. Two people, each in their own
Agents Playground against the same bot (see tests/e2e/test_e2e_playground.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_e2e_playground import ROOT, PlaygroundRun, running_playgrounds

pytestmark = pytest.mark.e2e
MEGAN = ROOT / "dev" / "playground-second-person.yml"


@pytest.fixture
def two_people(tmp_path: Path) -> Iterator[PlaygroundRun]:
    # The confirm card and the invitation go out through the outbox: poll it every second rather
    # than every five, so the wait for them is short and steady.
    with running_playgrounds(tmp_path, {"megan": MEGAN}, {"PEERSPACE_DISPATCH_INTERVAL": "1"}) as run:
        yield run


def test_a_supervision_is_recorded_and_confirmed_and_a_coreflection_invites(two_people: PlaygroundRun,
                                                                            tmp_path: Path) -> None:
    result = two_people.run_scenario("supervision_coreflection.mjs")
    assert "supervision_coreflection: passed" in result.stdout
    assert two_people.bot_errors() == [], "the bot logged errors:\n" + "\n".join(two_people.bot_errors())
    with sqlite3.connect(tmp_path / "peerspace.db") as conn:
        records = conn.execute("SELECT type, minutes, status FROM supervision_records").fetchall()
        people = dict(conn.execute("SELECT aad_object_id, name FROM people").fetchall())
    assert records == [("peer_supervision", 60, "confirmed")]
    # Picked in the Playground's people picker, each is the person who wrote to the bot, by name,
    # not a stranger recorded under the Playground's account id.
    assert people == {"00000000-0000-0000-0000-0000000000020": "Alex Wilber",
                      "00000000-0000-0000-0000-0000000000021": "Megan Bowen"}
