"""The feedback feature: the form attendees answer (form.py) and facilitators' reports, chart and
CSV export (reports.py, chart.py, export.py)."""

from __future__ import annotations

from dialogs.feedback import form, reports
from dialogs.shared.registry import FeatureContext


def install(ctx: FeatureContext) -> None:
    """Install the form, then the reports (the menu lists them in that order)."""
    form.install(ctx)
    reports.install(ctx)
