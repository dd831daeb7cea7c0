"""The ratings chart of a feedback report, as data for Teams' own `Chart.HorizontalBar` elements.

content/feedback/cards/feedback_report.json draws one bar chart per question, and gives each a
table of the same figures as its `fallback` for clients without charts. Nothing is drawn here:
Teams renders the chart, so there is no image to encode, host or describe in words.

It shows only the rating groups in `Figures.ratings`, which storage/feedback/reports.py alone
decides (never the 1-5 counts): a question whose ratings are hidden gets no chart at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.feedback.reports import QUESTIONS, Figures


def rating_charts(figures: Figures, text: Callable[[str], str]) -> list[dict[str, Any]]:
    """One chart per question with shown groups: its title and a bar (band label, people) per group.

    `text` turns a content key into its wording (Content.text). `count` is the bar's number;
    `people` is the same number as the table's text.
    """
    if not figures.shown:
        return []
    return [{"title": text(f"feedback.rating_short.{question}"),
             "groups": [{"band": text(f"feedback.band.{group.key}"),  # text-key: feedback.band.*
                         "count": group.count, "people": str(group.count)}
                        for group in figures.ratings[question]]}
            for question in QUESTIONS if question in figures.ratings]
