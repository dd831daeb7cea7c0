"""GET /feedback/export/{token}: the suppressed figures of one report as CSV.

The link is made only on a facilitator's report card, signed with the deployment secret for this
one purpose and report, names the facilitator it was made for, and expires (content/feedback/feedback.yaml).
That person's role is checked again on download, as for the register export, so a link stops
working when its maker is no longer a facilitator. The CSV holds only figures the card shows (no
quotes, rating groups exactly as storage/feedback_reports.py decided them), with a UTF-8 BOM so
spreadsheet programs read it as UTF-8, and cells that could run as spreadsheet formulas are
neutralised.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from dialogs.shared.links import InvalidLink
from dialogs.shared.spreadsheet import csv_bytes
from storage.roles import still_facilitator

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from dialogs.shared.context import BotServices

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "feedback.csv"
EXPORT_PATH = "/feedback/export/{token}"


class ReportSource(Protocol):
    """What the export needs of the reports view (reports.py imports this module, not the reverse)."""

    async def build(self, db: "AsyncSession", scope_key: str) -> tuple[str, Any, str] | None: ...

    def theme_label(self, theme: str) -> str: ...

    def topic_label(self, topic: str) -> str: ...


def export_handler(view: ReportSource, services: "BotServices"):
    from storage.feedback.reports import QUESTIONS

    async def handle(request: web.Request) -> web.StreamResponse:
        t = services.content.text
        try:
            maker, scope_key = services.links.verify(
                EXPORT_PURPOSE, request.match_info["token"], services.now()).split(":", 1)
        except (InvalidLink, ValueError):
            log.info("feedback export refused: invalid or expired link")
            return web.Response(status=404, text=t("feedback.csv.link_invalid"))
        async with services.db() as db:
            if not await still_facilitator(db, maker, services.configured_roles):
                log.info("feedback export refused: the link's maker is no longer a facilitator")
                return web.Response(status=403, text=t("feedback.csv.link_forbidden"))
            built = await view.build(db, scope_key)
        if built is None:
            return web.Response(status=404, text=t("feedback.csv.link_invalid"))
        title, figures, _series = built
        rows: list[tuple[str, str, object]] = []
        if figures.shown:
            rows.append((t("feedback.csv.responses"), "", figures.responses))
            rows.append((t("feedback.csv.sessions"), "", figures.sessions))
            for q in QUESTIONS:
                label = t(f"feedback.rating_short.{q}")
                if q not in figures.ratings:
                    rows.append((t("feedback.csv.ratings_hidden"), label, ""))
                for group in figures.ratings.get(q, ()):
                    rows.append((t("feedback.csv.distribution"), f"{label} {t(f'feedback.band.{group.key}')}",
                                 group.count))
            for theme, count in sorted(figures.themes.items()):
                rows.append((t("feedback.csv.theme"), view.theme_label(theme), count))
            for topic, count in sorted(figures.topics.items()):
                rows.append((t("feedback.csv.topic"), view.topic_label(topic), count))
        header = [t(f"feedback.csv.{k}") for k in ("scope", "section", "item", "value")]
        body = csv_bytes([header, *([title, section, item, value] for section, item, value in rows)])
        return web.Response(body=body, headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="feedback.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        })

    return handle
