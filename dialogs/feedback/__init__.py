"""The feedback feature: the form attendees answer (form.py) and facilitators' reports, chart and
CSV export (reports.py, chart.py, export.py), and the anonymous feedback web page (web.py)."""

from __future__ import annotations

from dialogs.feedback import form, reports, web
from dialogs.feedback.samples import FeedbackSampleAdder
from dialogs.shared.registry import FeatureContext


def install(ctx: FeatureContext) -> None:
    """Read the settings and the theme taxonomy once, then install the form and the reports (the
    menu lists them in that order)."""
    config = form.FeedbackConfig.from_content(ctx.services.content)
    tagger = form.load_tagger(ctx.services.content)
    feedback_form = form.install(ctx, config, tagger)
    reports.install(ctx, config, tagger)
    web.install(ctx.web, ctx.services, feedback_form, config)
    ctx.services.sample_data.register(
        "feedback", FeedbackSampleAdder(ctx.services, config, tagger, feedback_form).add)
