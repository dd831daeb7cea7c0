"""Facilitators' feedback reports: suppressed figures per session and per series, a chart,
"you said, we did" actions and a CSV export link. Every action checks the facilitator role.

The suppression rules live in storage/feedback/reports.py; this module only presents them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.feedback.chart import rating_charts
from dialogs.feedback.export import EXPORT_PATH, EXPORT_PURPOSE, export_handler
from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.inputs import CONTROL_CHARACTERS, every_error, storable
from dialogs.feedback.form import FeedbackConfig, local_date
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.shared.text import text_of
from storage.feedback import responses as store
from storage.feedback import reports
from storage.roles import FACILITATORS
from storage.sessions.models import Meeting, Series, SessionStatus
from storage.feedback import you_said
from storage.feedback.theme_model import HybridTagger
from dialogs.feedback.theme_review import ThemeReview, theme_entry
from storage.feedback.you_said import FeedbackAction, recent_actions

MAX_SESSIONS_LISTED = 40
MAX_ACTION = 500
QUOTE_CHARS = 300  # a quote on the card is cut to this (keeps the card under Teams' 80 KB)
MAX_OFFER_NAMES = 30
MAX_SERIES = 20


class FeedbackReports:
    def __init__(self, services: BotServices, config: FeedbackConfig, tagger: HybridTagger) -> None:
        self._services = services
        self._config = config
        self._tagger = tagger
        self._labels = {theme.id: theme.label for theme in tagger.themes}

    def _text(self, key: str, **params: Any) -> str:
        return self._services.content.text(f"feedback.{key}", **params)

    @property
    def services(self) -> BotServices:
        return self._services

    def wording(self, key: str, **params: Any) -> str:
        """A feedback text (for the theme review actions)."""
        return self._text(key, **params)

    def knows_theme(self, theme: str) -> bool:
        return theme in self._labels

    async def render(self, turn_context: TurnContext, scope_key: str, **extra: Any) -> None:
        """Draw a report again (after a theme review action), or the home card if it is gone."""
        await self._report(turn_context, scope_key, **extra)

    @property
    def k(self) -> int:
        return self._services.min_group_size

    # --- the home card ----------------------------------------------------------------------------

    async def home(self, turn_context: TurnContext, *, error: str = "") -> None:
        scope_of(turn_context).actor.require(*FACILITATORS)
        now = self._services.now()
        async with self._services.db() as db:
            closed = await reports.closed_sessions(db, now, self._config.window, limit=MAX_SESSIONS_LISTED)
            series = list(await db.scalars(select(Series).order_by(Series.name).limit(MAX_SERIES)))
            periods: set[str] = set()
            offers = []
            for s in series:
                periods.update(await reports.periods_of(db, s.id, now, self._config.window))
                names = await store.share_offers(db, s.id, limit=MAX_OFFER_NAMES)
                if names:
                    offers.append({"series": s.name, "names": ", ".join(names)})
        card = self._services.content.card("feedback_reports", {
            "title": self._text("reports.title"),
            "intro": self._text("reports.intro", k=self.k),
            "intro_bands": self._text("reports.intro_bands", k=self.k),
            "error": error,
            "none": "" if closed else self._text("reports.no_sessions"),
            "has_sessions": bool(closed),
            "sessions": [{"title": f"{s.title} ({local_date(s.starts_at, s.time_zone)})", "value": s.id}
                         for s in closed],
            "first_session": closed[0].id if closed else "",
            "series": [{"title": s.name, "value": s.id} for s in series],
            "first_series": series[0].id if series else "",
            "periods": [{"title": self._text("reports.all_periods"), "value": "all"}]
            + [{"title": p, "value": p} for p in sorted(periods, reverse=True)],
            "labels": {"session": self._text("reports.session_label"), "series": self._text("reports.series_label"),
                       "period": self._text("reports.period_label"),
                       "view_session": self._text("reports.view_session"),
                       "view_series": self._text("reports.view_series"),
                       "offers_title": self._text("reports.offers_title")},
            "offers": offers or [{"series": self._text("reports.offers_title"),
                                  "names": self._text("reports.offers_none")}],
        })
        await show(turn_context, card, replace=True)

    async def show_home(self, turn_context: TurnContext) -> None:
        await self.home(turn_context)

    # --- reports ----------------------------------------------------------------------------------

    async def session_report(self, turn_context: TurnContext) -> None:
        scope_of(turn_context).actor.require(*FACILITATORS)
        await self._report(turn_context, f"session:{text_of(scope_of(turn_context).input.data.get('session'))}")

    async def series_report(self, turn_context: TurnContext) -> None:
        scope_of(turn_context).actor.require(*FACILITATORS)
        data = scope_of(turn_context).input.data
        series, period = text_of(data.get("series")), text_of(data.get("period")) or "all"
        await self._report(turn_context, f"series:{series}:{period}")

    async def _report(self, turn_context: TurnContext, scope_key: str, **extra: Any) -> None:
        async with self._services.db() as db:
            built = await self.build(db, scope_key)
            if built is None:
                bad = "unknown_session" if scope_key.startswith("session:") else "unknown_series"
                await self.home(turn_context, error=self._text(f"reports.{bad}"))
                return
            title, figures, series_id = built
            actions = await recent_actions(db, series_id, limit=5)
        maker = scope_of(turn_context).actor.user_id
        await show(turn_context, self._card(scope_key, title, figures, actions, maker, **extra), replace=True)

    async def build(self, db: AsyncSession, scope_key: str) -> tuple[str, reports.Figures, str] | None:
        """(title, suppressed figures, series id) for "session:<id>" or "series:<id>:<period>"."""
        now, window = self._services.now(), self._config.window
        kind, _, rest = scope_key.partition(":")
        if kind == "session":
            target = await db.get(Meeting, rest) if 0 < len(rest) <= 32 else None
            if target is None or target.status == SessionStatus.CANCELLED or target.ends_at > now - window:
                return None  # unknown, or its feedback is still open: figures not final yet
            figures = (await reports.figures_for(db, [target.id], self.k))[target.id]
            when = local_date(target.starts_at, target.time_zone)
            return self._text("report.session_title", title=f"{target.title} ({when})"), figures, target.series_id
        if kind == "series":
            series_id, _, period = rest.partition(":")
            series = await db.get(Series, series_id) if 0 < len(series_id) <= 32 else None
            if series is None or (period != "all" and period not in
                                  await reports.periods_of(db, series.id, now, window)):
                return None
            figures = await reports.series_view(db, series, period, now, window, self.k)
            label = self._text("reports.all_periods") if period == "all" else period
            return self._text("report.series_title", series=series.name, period=label), figures, series.id
        return None

    def _card(self, scope_key: str, title: str, figures: reports.Figures, actions: list[FeedbackAction],
              maker: str, *, error: str = "", confirmation: str = "",
              values: dict[str, str] | None = None, expanded: str = "") -> dict[str, Any]:
        t = self._text
        series_view = scope_key.startswith("series:")
        hidden = "" if figures.shown else t("report.series_hidden" if series_view else "report.hidden", k=self.k)
        themes = sorted(figures.themes.items(), key=lambda item: (-item[1], item[0]))
        counts = [{"label": t("report.responses"), "value": str(figures.responses)}]
        if series_view:
            counts.append({"label": t("report.sessions"), "value": str(figures.sessions)})
        token = self._services.links.token(EXPORT_PURPOSE, export_subject(maker, scope_key),
                                           self._services.now() + timedelta(minutes=self._config.export_minutes))
        return self._services.content.card("feedback_report", {
            "title": title, "error": error, "confirmation": confirmation, "hidden": hidden,
            "shown": figures.shown, "note": t("report.series_note") if series_view else "",
            "counts": counts,
            "charts": rating_charts(figures, self._services.content.text),
            "ratings": [{"label": t(f"rating_short.{q}"), "value": " · ".join(
                t("report.rating_group", band=t(f"band.{g.key}"), count=g.count) for g in figures.ratings[q])
                if q in figures.ratings else t("report.rating_hidden", k=self.k)}
                for q in reports.QUESTIONS if figures.shown],
            "themes_none": "" if themes or not figures.shown else t("report.themes_none", k=self.k),
            "themes": [theme_entry(self, self._tagger, scope_key, theme, self._labels.get(theme, theme), n,
                                   figures.quotes.get(theme, []), expanded=theme == expanded,
                                   quote_chars=QUOTE_CHARS) for theme, n in themes],
            "topics_none": "" if figures.topics or not figures.shown else t("report.topics_none", k=self.k),
            "topics": [{"label": self.topic_label(topic), "value": t("report.topic_count", count=n)}
                       for topic, n in sorted(figures.topics.items(), key=lambda item: (-item[1], item[0]))],
            "actions": [t("report.action_line", theme=self._labels.get(a.theme_id, a.theme_id), action=a.action)
                        for a in actions] or [t("report.actions_none")],
            "theme_choices": [{"title": label, "value": tid} for tid, label in self._labels.items()],
            "values": {"theme": (values or {}).get("theme", ""), "action": (values or {}).get("action", "")},
            "scope": scope_key,
            "export_url": self._services.links.url(EXPORT_PATH, token) if figures.shown else "",
            "labels": {key: t(f"report.{key}") for key in (
                "chart_title", "chart_alt", "chart_band", "chart_people", "ratings", "themes", "topics",
                "actions_title", "action_theme", "action_text", "action_hint", "action_record", "export", "back")},
        })

    def theme_label(self, theme: str) -> str:
        return self._labels.get(theme, theme)

    def topic_label(self, topic: str) -> str:
        return self._labels.get(topic) or self._text("topic_other")

    # --- "you said, we did" -----------------------------------------------------------------------

    async def record_action(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*FACILITATORS)
        data = scope.input.data
        scope_key = text_of(data.get("scope"))
        theme, action = text_of(data.get("theme")), text_of(data.get("action")).strip()
        values = {"theme": theme, "action": action}
        errors = [self._text("report.action_bad_theme")] if theme not in self._labels else []
        if not storable(action, multiline=True):
            errors.append(self._services.content.text(CONTROL_CHARACTERS, field=self._text("report.action_text")))
        elif not 0 < len(action) <= MAX_ACTION:
            errors.append(self._text("report.action_bad_text"))
        if errors:  # every problem named at once
            await self._report(turn_context, scope_key, error=every_error(errors), values=values)
            return
        async with self._services.db() as db, db.begin():
            built = await self.build(db, scope_key)
            if built is None:
                return await self.home(turn_context, error=self._text("reports.unknown_session"))
            session_id = scope_key.split(":")[1] if scope_key.startswith("session:") else None
            await you_said.record(db, series_id=built[2], session_id=session_id, theme_id=theme, action=action,
                                  by=scope.actor.user_id or None, at=self._services.now())
        await self._report(turn_context, scope_key, confirmation=self._text("report.action_recorded"))


def export_subject(maker: str, scope_key: str) -> str:
    """What an export link names: the facilitator it was made for (checked again on download)
    and the report. User ids are hex, so the first colon ends the maker."""
    return f"{maker}:{scope_key}"


def install(ctx: FeatureContext, config: FeedbackConfig, tagger: HybridTagger) -> None:
    """Facilitators' reports and their CSV export route (dialogs/feedback/__init__.py)."""
    services: BotServices = ctx.services
    view = FeedbackReports(services, config, tagger)
    review = ThemeReview(view)
    ctx.registry.add(Feature(
        name="feedback_reports",
        menu=[MenuEntry("feedback_reports", "feedback.reports", order=310, roles=FACILITATORS)],
        actions={"feedback.reports": view.show_home, "feedback.report.session": view.session_report,
                 "feedback.report.series": view.series_report, "feedback.action.record": view.record_action,
                 "feedback.theme.why": review.why, "feedback.theme.correct": review.correct},
        cards=["feedback_reports", "feedback_report"],
    ))
    ctx.router.add_get(EXPORT_PATH, export_handler(view, services))
