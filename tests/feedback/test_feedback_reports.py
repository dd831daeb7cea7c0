"""Facilitators' reports: suppression below MIN_GROUP_SIZE, no recovery by subtraction, role
checks, the chart, "you said, we did", and the CSV export link."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import select

from storage.feedback import reports
from storage.feedback.you_said import FeedbackAction
from tests.factories import ALICE, FACILITATOR, Person
from tests.feedback.test_feedback_loop import make_session

LONG_AGO = datetime(2026, 9, 18, 15, 0, tzinfo=timezone.utc)  # windows long closed on 23 Nov


def _r(i: int, *, themes=(), topics=(), overall=4, text=None):
    return SimpleNamespace(id=f"{i:032x}", overall=overall, presentation=3, discussion=5, topics=list(topics),
                           helpful_text=text, better_text=None, helpful_themes=list(themes), better_themes=[])


def test_session_below_threshold_shows_nothing():
    assert reports.session_figures([_r(i) for i in range(4)], 5).shown is False
    shown = reports.session_figures([_r(i, overall=4 if i % 2 else 2) for i in range(10)], 5)
    assert shown.shown and shown.responses == 10
    assert [(g.key, g.count) for g in shown.ratings["overall"]] == [("low_middle", 5), ("high", 5)]


def test_themes_topics_and_quotes_need_enough_contributors():
    rows = [_r(i, themes=["supervision"], topics=["training"], text=f"quote {i}") for i in range(5)]
    rows += [_r(10 + i, themes=["wellbeing"], topics=["other"], text=f"rare {i}") for i in range(4)]
    figures = reports.session_figures(rows, 5)
    assert figures.themes == {"supervision": 5} and figures.topics == {"training": 5}
    assert set(figures.quotes) == {"supervision"} and len(figures.quotes["supervision"]) == 2
    assert not any("rare" in q for quotes in figures.quotes.values() for _, q in quotes)


def test_series_minus_visible_sessions_never_reveals_a_hidden_figure():
    k = 5
    big = [_r(i, themes=["supervision"] if i < 6 else ["wellbeing"], overall=1 + i % 2 * 4)
           for i in range(10)]                                                                # wellbeing: 4, hidden
    also = [_r(100 + i, themes=["wellbeing"] if i < 3 else ["supervision"], overall=3 if i < 5 else 5)
            for i in range(10)]                                                               # wellbeing 3
    small = [_r(200 + i, themes=["supervision"], overall=1) for i in range(3)]               # whole session hidden
    views = [reports.session_figures(rows, k) for rows in (big, also, small)]
    series = reports.combine(views, k)
    visible = [v for v in views if v.shown]
    # Subtracting the visible session views from the series leaves exactly zero everywhere.
    assert series.responses - sum(v.responses for v in visible) == 0
    for theme in set(series.themes) | {"wellbeing"}:
        assert series.themes.get(theme, 0) - sum(v.themes.get(theme, 0) for v in visible) == 0
    # Ratings: big is 5 low and 5 high, also 5 middle and 5 high; an empty band is no group, so
    # both show "low or middle 5, high 5" and the series adds exactly those. The other two
    # questions are unanimous in every session: hidden there, so absent here too.
    assert [(g.key, g.count) for g in series.ratings["overall"]] == [("low_middle", 10), ("high", 10)]
    for q in reports.QUESTIONS:
        assert q not in series.ratings or sum(g.count for g in series.ratings[q]) == sum(
            g.count for v in visible for g in v.ratings.get(q, ()))
    # The hidden wellbeing mentions (4 + 3 >= k across sessions) are still not shown in the series.
    assert "wellbeing" not in series.themes
    # Year minus quarters: any grouping of sessions is a sum of shown figures, so it also nets to zero.
    assert reports.combine(views[:1], k).themes["supervision"] + reports.combine(views[1:], k).themes[
        "supervision"] == series.themes["supervision"]


async def _answers(harness, sid, people, **fields):
    for person in people:
        await harness.press("feedback.submit", {"session": sid, "overall": "4", "presentation": "3",
                                                "discussion": "5", **fields}, person)


PEOPLE = [Person(f"29:p{i}", f"aad-p{i}", f"Person Number{i}") for i in range(6)]


async def _setup(harness, clock, n_big=5, n_small=3):
    for p in PEOPLE:
        await harness.say("hi", p)
    await harness.say("hi", FACILITATOR)
    ended = clock.now() - timedelta(days=2)
    big = await make_session(harness, ended=ended, title="Supervision", attendees=PEOPLE[:n_big])
    small = await make_session(harness, ended=ended - timedelta(days=1), title="Careers",
                               attendees=PEOPLE[:n_small])
    await _answers(harness, big, PEOPLE[:n_big], better="More on peer supervision please", topics="training")
    await _answers(harness, small, PEOPLE[:n_small], helpful="The wellbeing part", topics="wellbeing")
    return big, small


async def test_reports_are_for_facilitators_only(harness, clock):
    await harness.say("hi", ALICE)
    await harness.press("feedback.reports", {}, ALICE)
    assert "only open to" in harness.connector.sent[-1].text
    await harness.press("feedback.action.record", {"scope": "x", "theme": "training", "action": "x"}, ALICE)
    assert "only open to" in harness.connector.sent[-1].text
    await harness.say("menu", ALICE)
    assert "feedback.reports" not in str(harness.connector.sent[-1].cards[0])


async def test_session_and_series_reports_respect_the_threshold_and_wait_for_the_window(harness, clock):
    big, small = await _setup(harness, clock)
    body = await harness.press("feedback.report.session", {"session": big}, FACILITATOR)
    assert "Choose a session" in str(body["value"])  # window still open: figures not final
    clock.advance(timedelta(days=14))
    home = await harness.press("feedback.reports", {}, FACILITATOR)
    assert "Supervision" in str(home["value"]) and "Careers" in str(home["value"])

    body = await harness.press("feedback.report.session", {"session": big}, FACILITATOR)
    card = str(body["value"])
    assert "Supervision: 5 people" in card and "More on peer supervision please" in card
    # Everyone rated each question the same way, so no rating group may be shown: no chart.
    assert "Chart." not in card and "Not shown: the answers do not split" in card

    body = await harness.press("feedback.report.session", {"session": small}, FACILITATOR)
    card = str(body["value"])
    assert "fewer than 5 people answered" in card and "wellbeing part" not in card and "Chart." not in card

    async with harness.components.services.db() as db:
        series_id = (await db.get(reports.Meeting, big)).series_id
    body = await harness.press("feedback.report.series", {"series": series_id, "period": "all"}, FACILITATOR)
    card = str(body["value"])
    counts = next(el for c in body["value"]["body"] for el in c.get("items", []) if el.get("type") == "FactSet")
    assert [f["value"] for f in counts["facts"]] == ["5", "1"]  # responses, sessions: the small one adds nothing
    assert "The wellbeing part" not in card and ": 3 people" not in card and "Supervision: 5 people" in card
    body = await harness.press("feedback.report.series", {"series": series_id, "period": "1999-Q1"}, FACILITATOR)
    assert "Choose a series and a period" in str(body["value"])


async def test_you_said_we_did_is_validated_and_recorded(harness, clock):
    big, _ = await _setup(harness, clock)
    clock.advance(timedelta(days=14))
    scope = f"session:{big}"
    body = await harness.press("feedback.action.record", {"scope": scope, "theme": "astrology", "action": "x"},
                               FACILITATOR)
    assert "Choose a theme" in str(body["value"])
    body = await harness.press("feedback.action.record", {"scope": scope, "theme": "supervision", "action": " "},
                               FACILITATOR)
    assert "1 to 500 characters" in str(body["value"])
    body = await harness.press("feedback.action.record", {"scope": scope, "theme": "supervision",
                                                          "action": "Added a clinic\x00"}, FACILITATOR)
    assert "invisible control character" in str(body["value"]) and "What was done" in str(body["value"])
    body = await harness.press("feedback.action.record", {"scope": scope, "theme": "supervision",
                                                          "action": "Added a supervision clinic"}, FACILITATOR)
    assert "has been recorded" in str(body["value"]) and "Added a supervision clinic" in str(body["value"])
    async with harness.components.services.db() as db:
        [action] = list(await db.scalars(select(FeedbackAction)))
    assert action.session_id == big and action.theme_id == "supervision"


async def test_csv_export_is_signed_expiring_suppressed_and_has_a_bom(harness, clock):
    big, small = await _setup(harness, clock)
    clock.advance(timedelta(days=14))
    body = await harness.press("feedback.report.session", {"session": big}, FACILITATOR)
    url = next(a["url"] for a in body["value"]["actions"] if a["type"] == "Action.OpenUrl")
    path = url[url.index("/feedback/export/"):]
    resp = await harness.client.get(path)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    raw = await resp.read()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "Supervision" in text and ",5\r\n" in text and "supervision please" not in text
    assert (await harness.client.get(path[:-3] + "abc")).status == 404
    clock.advance(timedelta(hours=2))
    assert (await harness.client.get(path)).status == 404
    # The small session has no export link at all.
    body = await harness.press("feedback.report.session", {"session": small}, FACILITATOR)
    assert not any(a["type"] == "Action.OpenUrl" for a in body["value"]["actions"])
