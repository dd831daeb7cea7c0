"""What a person types into the feedback form is kept nowhere before scrubbing: not in any table
(the redelivery ledger, dialog state, outbox payloads...) and not in the logs.

Markers that scrubbing removes (a phone number, an NHS number, an email address) go through every
feedback path, by Action.Execute and by the Action.Submit fallback, and then every table of the
database and every log record is searched for them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select, text

from storage.sessions.models import Registration, RegistrationStatus
from tests import factories
from tests.factories import ALICE, Person
from tests.edge.test_edge_security import _leaks, debug_logs  # noqa: F401 - debug_logs is a fixture
from tests.feedback.test_feedback_loop import GOOD, ENDED, make_session, responses, user_id

PHONE, NHS, EMAIL = "07700 900457", "485 777 3457", "okapi.marker@nhs.net"
MARKERS = (PHONE, PHONE.replace(" ", ""), NHS, NHS.replace(" ", ""), EMAIL)
TYPED = {"helpful": f"call me on {PHONE} or {EMAIL}", "better": f"my NHS number is {NHS}"}


async def _rows_holding(harness, markers: tuple[str, ...]) -> list[str]:
    """Every row of every table (whatever the models say) that holds one of the markers."""
    async with harness.components.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        found = []
        for table in tables:
            for row in await conn.execute(text(f'SELECT * FROM "{table}"')):
                flat = str(tuple(row))
                found += [f"{table}: {marker}" for marker in markers if marker in flat]
    return found


async def _submit_both_ways(harness, data, person: Person = ALICE) -> list[str]:
    """The form sent by Action.Execute (an invoke) and by Action.Submit (a message); the answers."""
    body = await harness.press("feedback.submit", data, person)
    resp = await harness.post(factories.submit("feedback.submit", data, person, service_url=harness.connector.url))
    assert resp.status == 200
    return [str(body["value"]), str(harness.connector.sent[-1].cards)]


async def test_typed_feedback_is_stored_nowhere_before_scrubbing(harness, clock, debug_logs):  # noqa: F811
    carol = Person("29:carol", "aad-carol", "Carol Example")
    for person in (ALICE, carol):
        await harness.say("hi", person)
    sid = await make_session(harness, attendees=[ALICE, carol])
    late = await make_session(harness, attendees=[ALICE], title="Old one", ended=ENDED - timedelta(days=20))

    # Invalid (a rating left empty): the form comes back holding what was typed.
    for answer in await _submit_both_ways(harness, {"session": sid, "presentation": "4", **TYPED}):
        assert "rating from 1 to 5" in answer and PHONE in answer
    # Valid, then replaced by a second submission.
    for answer in await _submit_both_ways(harness, {"session": sid, **GOOD, **TYPED}):
        assert "Thank you" in answer
    # Window closed.
    for answer in await _submit_both_ways(harness, {"session": late, **GOOD, **TYPED}):
        assert "Nothing was saved" in answer
    # Withdrawn: a place given up is no attendance, and a person withdrawing all their data.
    async with harness.components.services.db() as db, db.begin():
        registration = await db.scalar(select(Registration).where(
            Registration.user_id == await user_id(harness, carol)))
        registration.status = RegistrationStatus.WITHDRAWN
    for answer in await _submit_both_ways(harness, {"session": sid, **GOOD, **TYPED}, carol):
        assert "Nothing was saved" in answer
    await harness.press("my_data.delete", {}, ALICE)
    await harness.press("my_data.delete.confirm", {}, ALICE)

    stored = await responses(harness)
    assert stored and all("[phone]" in r.helpful_text and "[nhs number]" in r.better_text for r in stored)
    assert await _rows_holding(harness, MARKERS) == []
    assert _leaks(debug_logs, *MARKERS) == []


async def test_the_scan_sees_a_marker_in_any_table(harness):
    """The canary for the scan above: a marker stored anywhere is found."""
    await harness.say(f"hi {PHONE}", Person("29:dave", "aad-dave", f"Dave {PHONE}"))
    assert f"users: {PHONE}" in await _rows_holding(harness, MARKERS)
