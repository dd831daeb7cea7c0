"""Looking back, privately: "my check-ins" (7 or 30 days) and the weekly reflection. Both read the
person's own check-ins only (storage/checkins/repository.py takes the owner's id)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.checkins.common import CheckinsBase, parse_day
from dialogs.checkins.config import NEEDS
from dialogs.shared.cards import card_activity
from dialogs.shared.context import scope_of, show
from storage.checkins import repository as repo
from storage.checkins.repository import CheckinView
from storage.outbox import ClaimedMessage

RANGES = (7, 30)
MAX_WENT_WELL = 30


def went_well(views: list[CheckinView]) -> list[str]:
    """Everything noted as going well, newest first, each once."""
    return list(dict.fromkeys(w for v in reversed(views) for w in v.text.went_well))


def most_needed(views: list[CheckinView]) -> list[str]:
    counts = Counter(n for v in views for n in v.needs)
    top = max(counts.values(), default=0)
    return [n for n in NEEDS if top and counts[n] == top]


class HistoryActions(CheckinsBase):
    async def history(self, turn_context: TurnContext) -> None:
        raw = scope_of(turn_context).input.data.get("days")
        days = int(str(raw)) if str(raw) in {str(r) for r in RANGES} else RANGES[0]
        user_id = scope_of(turn_context).actor.user_id
        async with self.services.db() as db:
            zone = await self.zone_of(db, user_id)
            today = self.today(zone)
            views = await repo.history(db, self.sealer, user_id, today - timedelta(days=days - 1))
        # A message of its own rather than the invoke's answer: what went well is typed text, and an
        # invoke's answer is held (in memory) to answer redeliveries, so it stays out of there.
        await show(turn_context, self.history_card(views, days), replace=False)

    def history_card(self, views: list[CheckinView], days: int) -> dict[str, Any]:
        t, c = self.text, self.config
        latest: dict[date, CheckinView] = {v.day: v for v in views}  # the day's last check-in
        points = [{"x": _label(day), "y": v.feeling} for day, v in sorted(latest.items())]
        table = [{"title": _label(day), "value": c.feelings[v.feeling - 1]} for day, v in sorted(latest.items())]
        needs = most_needed(views)
        well = went_well(views)[:MAX_WENT_WELL]
        return self.content.card("checkin_history", {
            "title": t("checkins.history.title"), "range": t("checkins.history.range", days=days),
            "none": "" if views else t("checkins.history.none", days=days),
            "points": points, "table": table, "chart_title": t("checkins.history.chart_title"),
            "chart_fallback": t("checkins.history.chart_fallback"),
            "chart_axis": t("checkins.history.chart_axis", lowest=c.feelings[0], highest=c.feelings[-1]),
            "days_line": t("checkins.history.days", count=len(latest), days=days),
            "needs_line": t("checkins.history.needed", needs=", ".join(c.needs[n] for n in needs)) if needs
            else t("checkins.history.needed_none"),
            "went_well_title": t("checkins.history.went_well"), "went_well": well,
            "nothing_well": t("checkins.history.nothing_well") if views and not well else "",
            "private": t("checkins.history.private"),
            "week": t("checkins.history.week"), "month": t("checkins.history.month"),
        })

    async def render_weekly(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        """The weekly reflection: only when the plan still asks for it and something went well."""
        plan = await repo.plan_of(db, message.user_id or "")
        day = parse_day(message.payload.get("day"))
        if plan is None or not plan.active or plan.weekly_day is None or day is None \
                or (plan.paused_until is not None and day < plan.paused_until):
            return None
        items = went_well(await repo.history(db, self.sealer, plan.user_id, day - timedelta(days=6)))
        if not items:
            return None
        return card_activity(self.content.card("checkin_weekly", {
            "title": self.text("checkins.weekly.title"), "intro": self.text("checkins.weekly.intro"),
            "items": items[:MAX_WENT_WELL], "outro": self.text("checkins.weekly.outro"),
            "my_checkins": self.text("checkins.reply.my_checkins"),
        }))


def _label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
