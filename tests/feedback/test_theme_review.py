"""On a report: "Why this theme?" lists the words behind each shown quote, and a facilitator's
correction is kept as anonymous labelled data and takes the quote off the theme at once.
End to end through the bot (card action -> stored correction -> updated card), on SQLite and
PostgreSQL (the harness runs both)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import inspect, select

from storage.feedback import corrections
from storage.feedback.corrections import ThemeCorrection
from tests.factories import ALICE, FACILITATOR, Person
from tests.feedback.test_feedback_loop import make_session

PEOPLE = [Person(f"29:q{i}", f"aad-q{i}", f"Person Quote{i}") for i in range(6)]
TEXTS = [
    "More time for peer supervision please",
    "Group supervision was the best part",
    "Supervision for managers too",
    "I want monthly supervision for peer workers",
    "Talk about supervision contracts",
]


async def _report_with_quotes(harness, clock) -> str:
    for p in PEOPLE:
        await harness.say("hi", p)
    await harness.say("hi", FACILITATOR)
    sid = await make_session(harness, ended=clock.now() - timedelta(days=2), title="Supervision",
                             attendees=PEOPLE[:5])
    for person, text in zip(PEOPLE, TEXTS):
        await harness.press("feedback.submit", {"session": sid, "overall": "4", "presentation": "3",
                                                "discussion": "5", "better": text}, person)
    clock.advance(timedelta(days=14))
    return sid


def _actions(card, verb: str) -> list[dict]:
    """Every Action.Execute with this verb in a rendered card, in document order."""
    stack, out = [card], []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == verb:
                out.append(node)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return out


async def test_why_lists_the_words_of_the_quotes_already_shown(harness, clock):
    sid = await _report_with_quotes(harness, clock)
    body = await harness.press("feedback.report.session", {"session": sid}, FACILITATOR)
    card = body["value"]
    assert "Supervision: 5 people" in str(card) and "Words behind this theme" not in str(card)
    [why] = _actions(card, "feedback.theme.why")
    assert {k: why["data"][k] for k in ("scope", "theme")} == {"scope": f"session:{sid}", "theme": "supervision"}
    body = await harness.press("feedback.theme.why", why["data"], FACILITATOR)
    opened = str(body["value"])
    shown = [t for t in TEXTS if t in opened]
    assert len(shown) == 2  # the same two quotes as before: nothing new is revealed
    assert opened.count("Words behind this theme: supervision") == 2
    corrections_offered = _actions(body["value"], "feedback.theme.correct")
    assert len(corrections_offered) == 4  # "not" and "is" under each quote
    # No response id travels in the card: only the quote's place and a short hash of its text.
    for action in corrections_offered:
        assert set(action["data"]) - {"verb"} == {"scope", "theme", "quote", "check", "verdict"}


async def test_a_correction_is_stored_anonymously_and_the_quote_leaves_the_theme(harness, clock):
    sid = await _report_with_quotes(harness, clock)
    body = await harness.press("feedback.theme.why", {"scope": f"session:{sid}", "theme": "supervision"},
                               FACILITATOR)
    before = sorted((t for t in TEXTS if t in str(body["value"])), key=str(body["value"]).index)  # card order
    first = next(a for a in _actions(body["value"], "feedback.theme.correct")
                 if a["data"]["verdict"] == "not" and a["data"]["quote"] == "0")
    body = await harness.press("feedback.theme.correct", first["data"], FACILITATOR)
    after = str(body["value"])
    assert "no longer counts as this theme's quote" in after
    assert before[0] not in after and before[1] in after  # gone at once; the next quote takes its place
    assert "Supervision: 5 people" in after  # counts stay as tagged (see storage/feedback/corrections.py)

    async with harness.components.services.db() as db:
        [row] = list(await db.scalars(select(ThemeCorrection)))
        columns = {c.name for c in inspect(ThemeCorrection).columns}
        assert (row.text, row.theme_id, row.verdict) == (before[0], "supervision", "not")
        assert columns == {"id", "text_key", "text", "theme_id", "verdict", "recorded_on"}  # no who, no where
        assert await corrections.export(db) == [{"text": before[0], "theme": "supervision", "verdict": "not"}]
    # The same card pressed again is stale: its hash no longer matches the quote in that place.
    body = await harness.press("feedback.theme.correct", first["data"], FACILITATOR)
    assert "no longer shown here" in str(body["value"])
    # The series view drops it too.
    async with harness.components.services.db() as db:
        from storage.sessions.models import Meeting
        series_id = (await db.get(Meeting, sid)).series_id
    body = await harness.press("feedback.report.series", {"series": series_id, "period": "all"}, FACILITATOR)
    assert before[0] not in str(body["value"])


async def test_corrections_are_for_facilitators_and_bad_input_changes_nothing(harness, clock):
    sid = await _report_with_quotes(harness, clock)
    await harness.say("hi", ALICE)
    good = {"scope": f"session:{sid}", "theme": "supervision", "quote": "0", "verdict": "not"}
    body = await harness.press("feedback.theme.why", {"scope": f"session:{sid}", "theme": "supervision"},
                               FACILITATOR)
    first = _actions(body["value"], "feedback.theme.correct")[0]["data"]
    assert (first["quote"], first["verdict"]) == ("0", "not")
    good["check"] = first["check"]
    for verb in ("feedback.theme.why", "feedback.theme.correct"):
        await harness.press(verb, good, ALICE)
        assert "only open to" in harness.connector.sent[-1].text
    for bad in ({"verdict": "maybe"}, {"quote": "7"}, {"quote": "-1"}, {"theme": "astrology"}, {"check": "0" * 16}):
        body = await harness.press("feedback.theme.correct", {**good, **bad}, FACILITATOR)
        assert "could not be read" in str(body["value"]) or "no longer shown" in str(body["value"])
    async with harness.components.services.db() as db:
        assert list(await db.scalars(select(ThemeCorrection))) == []


async def test_cli_exports_corrections_for_the_next_tuning_round(tmp_path, monkeypatch):
    import yaml

    from bot.__main__ import main
    from storage.db import create_engine, create_sessionmaker
    from storage.migrate import upgrade_url

    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_url(url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as db, db.begin():
        await corrections.record(db, "We need a buddy scheme", "supervision", "not", date(2026, 12, 1))
        await corrections.record(db, "We need a buddy scheme", "supervision", "is", date(2026, 12, 2))  # changed
        await corrections.record(db, "Slides please", "resources_sharing", "is", date(2026, 12, 1))
    async with create_sessionmaker(engine)() as db, db.begin():
        assert await corrections.purge(db, date(2026, 12, 2)) == 1  # retention: older than the cut-off
    await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PEERSPACE_DEV", "1")
    out = tmp_path / "corrections.yaml"
    assert await asyncio.to_thread(main, ["feedback", "corrections", "--out", str(out)]) == 0
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert exported == {"corrections": [{"text": "We need a buddy scheme", "theme": "supervision", "verdict": "is"}]}
