"""On a feedback report: "Why this theme?" and facilitators' corrections of a theme.

"Why this theme?" opens one theme on the report: the quotes it already shows, each with the
words that made the tagger give the theme. Only quotes the report already shows are
explained, so nothing new about anyone is revealed. From there a facilitator can say "not
about this theme" (the quote leaves that theme's quotes at once, on every report) or "yes, it
is"; either is kept as anonymous labelled data (storage/feedback/corrections.py). The card
carries the quote's place in the list and a short hash of its text, never a response id, so
two quotes cannot be linked to one writer through the card.
"""

from __future__ import annotations

from typing import Any, Protocol

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import BotServices, scope_of
from dialogs.shared.text import cut, text_of
from storage.feedback import corrections, reports
from storage.feedback.theme_model import HybridTagger
from storage.roles import FACILITATORS

CHECK_CHARS = 16  # hex digits of the quote hash the card carries


class ReportView(Protocol):
    """What the review needs of dialogs/feedback/reports.FeedbackReports (which imports this
    module, so it is described here rather than imported)."""

    @property
    def services(self) -> BotServices: ...

    def wording(self, key: str, **params: Any) -> str: ...

    def knows_theme(self, theme: str) -> bool: ...

    async def render(self, turn_context: TurnContext, scope_key: str, **extra: Any) -> None: ...

    async def home(self, turn_context: TurnContext, *, error: str = "") -> None: ...

    async def build(self, db: AsyncSession, scope_key: str) -> tuple[str, reports.Figures, str] | None: ...


def quote_check(text: str) -> str:
    """What the card carries to make sure a correction is about the quote it showed."""
    return corrections.text_key(text)[:CHECK_CHARS]


def theme_entry(view: ReportView, tagger: HybridTagger, scope_key: str, theme: str, label: str,
                count: int, quotes: list[tuple[str, str]], *, expanded: bool, quote_chars: int) -> dict[str, Any]:
    """One theme of the report card; ``expanded`` adds the words and the correction buttons."""
    entries = []
    for index, (kind, text) in enumerate(quotes):
        words = tagger.explain(text).get(theme, []) if expanded else []
        entries.append({
            "text": f"{view.wording(f'quote_kind.{kind}')}: “{cut(text, quote_chars)}”",  # text-key: feedback.quote_kind.*
            "explained": expanded,
            "words": (view.wording("report.why_words", words=", ".join(words)) if words
                      else view.wording("report.why_none")) if expanded else "",
            "scope": scope_key, "theme": theme, "index": str(index), "check": quote_check(text),
            "not_title": view.wording("report.not_theme", label=label),
            "is_title": view.wording("report.is_theme", label=label),
        })
    return {"heading": view.wording("report.theme_count", label=label, count=count), "quotes": entries,
            "why": bool(quotes) and not expanded, "why_title": view.wording("report.why"), "theme": theme,
            "scope": scope_key, "intro": view.wording("report.why_intro") if expanded else ""}


class ThemeReview:
    """The two card actions; the report itself is drawn by FeedbackReports."""

    def __init__(self, view: ReportView) -> None:
        self._view = view

    async def why(self, turn_context: TurnContext) -> None:
        """Open one theme of the report with the words behind each of its quotes."""
        scope = scope_of(turn_context)
        scope.actor.require(*FACILITATORS)
        scope_key, theme = text_of(scope.input.data.get("scope")), text_of(scope.input.data.get("theme"))
        if not self._view.knows_theme(theme):
            await self._view.render(turn_context, scope_key, error=self._view.wording("report.action_bad_theme"))
            return
        await self._view.render(turn_context, scope_key, expanded=theme)

    async def correct(self, turn_context: TurnContext) -> None:
        """Keep a verdict on one shown quote and theme; a "not" takes the quote off the theme."""
        scope = scope_of(turn_context)
        scope.actor.require(*FACILITATORS)
        data = scope.input.data
        scope_key, theme = text_of(data.get("scope")), text_of(data.get("theme"))
        verdict, index, check = text_of(data.get("verdict")), text_of(data.get("quote")), text_of(data.get("check"))
        if (not self._view.knows_theme(theme) or verdict not in corrections.VERDICTS
                or not (index.isdigit() and int(index) < reports.QUOTES_PER_THEME)):
            await self._view.render(turn_context, scope_key, error=self._view.wording("report.correct_bad"))
            return
        services = self._view.services
        async with services.db() as db, db.begin():
            built = await self._view.build(db, scope_key)
            if built is None:
                await self._view.home(turn_context, error=self._view.wording("reports.unknown_session"))
                return
            shown = built[1].quotes.get(theme, [])
            position = int(index)
            if position >= len(shown) or quote_check(shown[position][1]) != check:
                stale = self._view.wording("report.correct_stale")
                await self._view.render(turn_context, scope_key, expanded=theme, error=stale)
                return
            await corrections.record(db, shown[position][1], theme, verdict, services.now().date())
        done = "report.corrected_not" if verdict == "not" else "report.corrected_is"
        await self._view.render(turn_context, scope_key, expanded=theme, confirmation=self._view.wording(done))
