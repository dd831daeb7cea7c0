"""Rating disclosure in feedback reports: no small cell, no small complement, no unanimity (which
with the attendance register pins a rating on each attendee), nothing recoverable from series
minus sessions, and the card, the CSV export and the chart all show only what the rule allows.
Also: a feedback export link stops working when its maker is no longer a facilitator.

Most tests ask the one question an attacker can ask: do two different sets of answers, which
differ exactly in the fact to protect, give the same report? If they do, the report does not
tell that fact.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from itertools import combinations, combinations_with_replacement
from types import SimpleNamespace
from uuid import uuid4

from sqlalchemy import select

from storage.feedback import reports
from storage.feedback.models import FeedbackResponse
from storage.models import User
from storage.sessions.models import Series
from tests.factories import FACILITATOR, Person
from tests.feedback.test_feedback_loop import make_session

BANDS = {1: "low", 2: "low", 3: "middle", 4: "high", 5: "high"}


def _rows(overall):
    return [SimpleNamespace(id=f"{i:032x}", overall=v, presentation=3, discussion=3, topics=[], helpful_text=None,
                            better_text=None, helpful_themes=[], better_themes=[]) for i, v in enumerate(overall)]


def _seen(overall, k: int = 5) -> str:
    """Everything a session view lets anyone see (of ratings and everything else)."""
    return repr(reports.session_figures(_rows(overall), k))


def _answers(low: int, middle: int, high: int) -> list[int]:
    return [1] * low + [3] * middle + [5] * high


def test_a_small_cell_is_not_shown_nor_told_apart_from_an_empty_band():
    # Issue 8's example: 5 responses, "4.2 (1 · 0 · 0 · 0 · 4)" made one person's rating readable.
    assert _seen([1, 5, 5, 5, 5]) == _seen([5, 5, 5, 5, 5]) == _seen([1, 1, 1, 1, 1])
    # One person in the middle band among 11: the view is the same as with nobody there.
    assert _seen(_answers(5, 1, 5)) == _seen(_answers(6, 0, 5))
    assert _seen(_answers(5, 1, 5)) != _seen(_answers(5, 5, 5))  # a real split does show


def test_the_complement_of_what_is_shown_is_never_a_small_group():
    # Showing "low 5, middle 5" of 11 responses would leave high = 1 by subtraction.
    assert _seen(_answers(5, 5, 1)) == _seen(_answers(5, 4, 2)) == _seen(_answers(5, 3, 3))
    figures = reports.session_figures(_rows(_answers(5, 5, 1)), 5)
    assert sum(g.count for g in figures.ratings["overall"]) == figures.responses


def test_unanimous_answers_read_the_same_whatever_they_were():
    for k in (3, 5):
        for n in range(k, 13):
            assert len({_seen([v] * n, k) for v in reports.RATINGS}) == 1, (k, n)


def test_no_view_pins_a_band_or_tells_a_small_group_exhaustively():
    """Every multiset of 1-5 answers of each size: among all answers giving the same view, no
    band count is always 1..k-1 and no single band always holds everyone."""
    for k in (3, 5):
        for n in range(k, 12):
            alike: dict[str, list[Counter]] = defaultdict(list)
            for answers in combinations_with_replacement(reports.RATINGS, n):
                alike[_seen(answers, k)].append(Counter(BANDS[a] for a in answers))
            for view, worlds in alike.items():
                for size in (1, 2):
                    for bands in combinations(("low", "middle", "high"), size):
                        counts = [sum(w[b] for b in bands) for w in worlds]
                        assert not all(0 < c < k for c in counts), (k, n, bands, view)
                        if size == 1:
                            assert not all(c == n for c in counts), (k, n, bands, view)


def test_series_are_sums_of_shown_groups_only():
    k = 5
    split = reports.session_figures(_rows(_answers(5, 0, 5)), k)
    middle = reports.session_figures(_rows(_answers(0, 5, 5)), k)
    three = reports.session_figures(_rows(_answers(5, 5, 5)), k)
    unanimous = reports.session_figures(_rows([5] * 6), k)
    series = reports.combine([split, middle, three, unanimous], k)
    # The unanimous session's six highs are nowhere; the rest fit "low or middle | high".
    assert [(g.key, g.count) for g in series.ratings["overall"]] == [("low_middle", 20), ("high", 15)]
    assert [(g.key, g.count) for g in reports.combine([three, three], k).ratings["overall"]] == [
        ("low", 10), ("middle", 10), ("high", 10)]
    # "low | middle or high" and "low or middle | high" have no common split but everything.
    other = reports.session_figures(_rows(_answers(5, 2, 3)), k)
    assert "overall" not in reports.combine([split, other], k).ratings


# --- through the bot: card, chart, CSV, series and quarters ------------------------------------

PEOPLE = [Person(f"29:c{i}", f"aad-c{i}", f"Cell Person{i}") for i in range(10)]
Q3 = datetime(2026, 9, 18, 15, 0, tzinfo=timezone.utc)
Q4 = datetime(2026, 10, 20, 15, 0, tzinfo=timezone.utc)


async def _held(harness, series_name: str, ended: datetime, overall: list[int]) -> str:
    """A closed session whose attendance register lists one attendee per answer."""
    sid = await make_session(harness, ended=ended, title="Session", series_name=series_name,
                             attendees=PEOPLE[:len(overall)])
    async with harness.components.services.db() as db, db.begin():
        db.add_all(FeedbackResponse(id=uuid4().hex, session_id=sid, overall=v, presentation=4, discussion=4,
                                    topics=[], helpful_themes=[], better_themes=[]) for v in overall)
    return sid


def _facts(card) -> list:
    return [el["facts"] for c in card["body"] for el in c.get("items", []) if el.get("type") == "FactSet"]


async def _everything_seen(harness, verb: str, data: dict) -> tuple:
    """The figures, rating facts, chart and CSV rows (less the scope column) of one report."""
    card = (await harness.press(verb, data, FACILITATOR))["value"]
    chart = [el for c in card["body"] for el in c.get("items", []) if el.get("type") == "Chart.HorizontalBar"]
    hidden = [b["text"] for b in card["body"] if b.get("type") == "TextBlock" and "answered" in b["text"]]
    rows = []
    url = next((a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"), "")
    if url:
        resp = await harness.client.get(url[url.index("/feedback/export/"):])
        assert resp.status == 200
        rows = [row[1:] for row in csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig")))]
    return _facts(card), chart, hidden, rows


async def test_card_chart_csv_and_series_read_the_same_whatever_a_unanimous_or_small_cell_session_said(
        harness, clock):
    for p in PEOPLE + [FACILITATOR]:
        await harness.say("hi", p)
    # In each series the Q3 session has the five attendees on its register; the examples:
    # everyone rated 5, everyone rated 1, and one 1 with four 5s. Q4 has a real split in each.
    worlds = {"Alpha": [5] * 5, "Beta": [1] * 5, "Gamma": [1, 5, 5, 5, 5]}
    views = {}
    for name, q3 in worlds.items():
        q3_session = await _held(harness, name, Q3, q3)
        await _held(harness, name, Q4, [1] * 5 + [5] * 5)
        async with harness.components.services.db() as db:
            series_id = await db.scalar(select(Series.id).where(Series.name == name))
        views[name] = [await _everything_seen(harness, "feedback.report.session", {"session": q3_session})]
        for period in ("all", "2026", "2026-Q3", "2026-Q4"):
            views[name].append(await _everything_seen(harness, "feedback.report.series",
                                                      {"series": series_id, "period": period}))
    for part, what in enumerate(("card figures", "chart", "hidden notice", "CSV export")):
        seen = [[view[part] for view in views[name]] for name in worlds]
        assert seen[0] == seen[1] == seen[2], f"the {what} tells the worlds apart"
    q3_facts, q3_chart, hidden, _csv = views["Alpha"][0]
    assert hidden == [] and "Not shown" in str(q3_facts)  # session shown (5 answers), its ratings are not
    assert q3_chart == [] and views["Alpha"][4][1] != []  # nothing to draw there; Q4's split is drawn
    # The series shows Q4's split alone: counts of at least k, nothing from the Q3 sessions.
    series_csv = views["Alpha"][1][3]
    counts = [int(row[2]) for row in series_csv if row[0] == "people in rating band"]
    assert counts == [5, 5] and all(row[2] != "10" for row in series_csv)


async def test_feedback_export_link_stops_working_when_its_maker_loses_the_facilitator_role(harness, clock):
    admin = Person("29:admin", "aad-admin", "Ada Admin")
    maker = PEOPLE[9]
    for p in PEOPLE + [admin]:
        await harness.say("hi", p)
    sid = await _held(harness, "Alpha", Q4, [1] * 5 + [5] * 5)
    async with harness.components.services.db() as db:
        maker_id = await db.scalar(select(User.id).where(User.teams_id == maker.teams_id))
    await harness.press("roles.grant", {"person": maker_id, "role": "facilitator"}, admin)
    card = (await harness.press("feedback.report.session", {"session": sid}, maker))["value"]
    url = next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl")
    path = url[url.index("/feedback/export/"):]
    assert (await harness.client.get(path)).status == 200
    await harness.press("roles.revoke", {"person": maker_id, "role": "facilitator"}, admin)
    resp = await harness.client.get(path)
    assert resp.status == 403 and "no longer a facilitator" in await resp.text()
    assert (await harness.client.get(path)).status == 403, "still refused, not cached"
