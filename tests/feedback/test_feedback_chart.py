"""The ratings chart of a feedback report: Teams' own Chart.HorizontalBar, one per question whose
rating groups are shown, with a table of exactly the same figures as its fallback, and nothing at
all when ratings are hidden. Every bar is checked against the raw answers, not against the code
that drew it: at least `k` people, at least two bars, and together every response."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.feedback.chart import rating_charts
from dialogs.shared.content import load_content
from storage.feedback import reports
from storage.feedback.models import FeedbackResponse
from tests.factories import FACILITATOR, Person
from tests.feedback.test_feedback_loop import make_session

CONTENT = load_content(Path(__file__).resolve().parents[2] / "content")
PEOPLE = [Person(f"29:g{i}", f"aad-g{i}", f"Chart Person{i}") for i in range(12)]
ENDED = datetime(2026, 10, 20, 15, 0, tzinfo=timezone.utc)  # window long closed by the test clock
K = 5


def text(key: str) -> str:
    return CONTENT.text(f"feedback.{key}")


# Which ratings each band label on the card stands for, read from content/ and the band table.
RATINGS_OF = {text(f"band.{'_'.join(bands)}"): {r for band in bands for r in reports.BANDS[band]}
              for grouping in reports.GROUPINGS for bands in grouping}
QUESTION_OF = {text(f"rating_short.{q}"): q for q in reports.QUESTIONS}


def _check_against_answers(charts: list[dict], answers: dict[str, list[int]], k: int) -> None:
    """Every chart is about one question, and says nothing the disclosure rule forbids."""
    for chart in charts:
        question = QUESTION_OF[chart["title"]]
        given_ = answers[question]
        bars = [(RATINGS_OF[g["band"]], g["count"]) for g in chart["groups"]]
        assert len(bars) >= 2, "a single bar would say everyone chose the same band"
        assert all(count >= k for _, count in bars), "a bar about fewer than k people"
        assert sum(count for _, count in bars) == len(given_), "a complement left to subtract"
        for ratings, count in bars:
            assert count == sum(1 for a in given_ if a in ratings)
        assert [g["people"] for g in chart["groups"]] == [str(g["count"]) for g in chart["groups"]]


answers_of = st.lists(st.integers(1, 5), min_size=0, max_size=30)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(overall=answers_of, spread=st.integers(0, 4), k=st.sampled_from([2, 3, 5]))
def test_charts_show_only_groups_the_rule_allows_and_every_one_it_allows(overall, spread, k):
    # The other questions are the overall answers shifted, so they split differently.
    answers = {q: [min(5, max(1, a + i * spread - spread)) for a in overall]
               for i, q in enumerate(reports.QUESTIONS)}
    rows = [SimpleNamespace(id=f"{i:032x}", topics=[], helpful_text=None, better_text=None, helpful_themes=[],
                            better_themes=[], **{q: answers[q][i] for q in reports.QUESTIONS})
            for i in range(len(overall))]
    figures = reports.session_figures(rows, k)
    charts = rating_charts(figures, CONTENT.text)
    _check_against_answers(charts, answers, k)
    # A chart for exactly the questions whose groups the rule shows, in the card's order.
    assert [QUESTION_OF[c["title"]] for c in charts] == [q for q in reports.QUESTIONS if q in figures.ratings]
    if len(overall) < k:
        assert charts == []


async def _held(harness, answers: dict[str, list[int]]) -> str:
    n = len(answers["overall"])
    sid = await make_session(harness, ended=ENDED, title="Chart", attendees=PEOPLE[:n])
    async with harness.components.services.db() as db, db.begin():
        db.add_all(FeedbackResponse(id=uuid4().hex, session_id=sid, topics=[], helpful_themes=[],
                                    better_themes=[], **{q: answers[q][i] for q in answers})
                   for i in range(n))
    return sid


def _elements(node, kind: str) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for value in node.values():
            found += _elements(value, kind)
    elif isinstance(node, list):
        for value in node:
            found += _elements(value, kind)
    return found


def _texts(node) -> list[str]:
    return [block["text"] for block in _elements(node, "TextBlock")]


async def test_report_card_carries_native_charts_with_a_table_of_the_same_figures(harness, clock):
    for p in PEOPLE + [FACILITATOR]:
        await harness.say("hi", p)
    answers = {"overall": [1] * 5 + [5] * 6,            # split: shown
               "presentation": [4] * 11,                 # unanimous: hidden, so no chart
               "discussion": [2] * 5 + [3] * 1 + [4] * 5}  # middle too small: merged with a neighbour
    sid = await _held(harness, answers)
    card = (await harness.press("feedback.report.session", {"session": sid}, FACILITATOR))["value"]
    charts = _elements(card, "Chart.HorizontalBar")
    assert [c["title"] for c in charts] == [text("rating_short.overall"), text("rating_short.discussion")]
    as_data = [{"title": c["title"], "groups": [{"band": d["x"], "count": d["y"], "people": str(d["y"])}
                                                for d in c["data"]]} for c in charts]
    _check_against_answers(as_data, answers, K)
    for chart in charts:
        fallback = chart["fallback"]
        assert fallback["type"] == "Container" and _texts(fallback)[0] == chart["title"]
        (table,) = _elements(fallback, "Table")
        header, *rows = [_texts(row) for row in table["rows"]]
        assert table["firstRowAsHeader"] is True
        assert header == [text("report.chart_band"), text("report.chart_people")]
        assert rows == [[d["x"], str(d["y"])] for d in chart["data"]]
    # A text equivalent sits beside the charts, and the ratings are written out as facts too.
    assert text("report.chart_alt") in _texts(card)
    assert _elements(card, "Image") == []


async def test_no_chart_and_no_table_when_ratings_are_hidden(harness, clock):
    for p in PEOPLE + [FACILITATOR]:
        await harness.say("hi", p)
    few = await _held(harness, {q: [1, 5, 5, 4] for q in reports.QUESTIONS})       # fewer than k answered
    same = await _held(harness, {q: [5] * 5 + [4] * 5 for q in reports.QUESTIONS})  # one band each
    for sid in (few, same):
        card = (await harness.press("feedback.report.session", {"session": sid}, FACILITATOR))["value"]
        assert _elements(card, "Chart.HorizontalBar") == [] and _elements(card, "Table") == []
        assert text("report.chart_title") not in _texts(card) and text("report.chart_alt") not in _texts(card)
