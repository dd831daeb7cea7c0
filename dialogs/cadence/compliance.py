"""The compliance view (a card with Teams' own bar chart, a text equivalent of every figure, by
team, and the overdue list) and its CSV export through a signed, expiring link.

Who sees what is decided in storage/cadence/compliance.py (`permitted`), for the card and again
for every download: the link names the person and scope it was made for, and their roles are read
afresh, so a link stops working the moment the role that allowed it is taken away.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.cadence.common import CadenceBase, day_words
from dialogs.shared.context import scope_of, show
from dialogs.shared.links import InvalidLink
from dialogs.shared.spreadsheet import csv_bytes
from storage.cadence.compliance import Compliance, Figure, Scope, compliance, permitted, scopes_for
from storage.cadence.snapshot import Item
from storage.models import User
from storage.roles import Actor, NotPermitted, roles_of

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "cadence.csv"
EXPORT_PATH = "/cadence/export/{token}.csv"
MAX_TEAMS = 25  # on the card; the CSV has every team
MAX_OVERDUE = 20


class ComplianceView(CadenceBase):
    async def figures(self, db: AsyncSession, actor: Actor, requested: object) -> tuple[Scope, Compliance]:
        scope, where = await permitted(db, actor, requested)
        return scope, await compliance(db, self.services.absences, self.rules, self.today(), where)

    def _figure(self, figure: Figure) -> str:
        return self.text("cadence.compliance.figure", percent=figure.percent, in_date=figure.in_date,
                         workers=figure.workers)

    def _status(self, item: Item) -> str:
        if item.due is None:
            return self.text("cadence.compliance.overdue_unknown")
        return self.text("cadence.compliance.overdue_since", due=day_words(item.due),
                         days=(self.today() - item.due).days)

    def card(self, actor: Actor, scope: Scope, result: Compliance) -> dict[str, Any]:
        t = self.text
        shown = [k for k in result.types if result.overall[k].workers]
        teams = sorted(result.teams.items(), key=lambda kv: kv[0].lower())
        overdue = [t("cadence.compliance.overdue_line", worker=i.worker.name,
                     team=i.worker.team or t("cadence.compliance.no_team"), type=self.type_name(i.type),
                     status=self._status(i)) for i in result.overdue[:MAX_OVERDUE]]
        hidden = max(0, len(result.overdue) - MAX_OVERDUE) + max(0, len(teams) - MAX_TEAMS)
        url = ""
        if result.workers:
            expires = self.now() + timedelta(minutes=self.config.export_minutes)
            token = self.services.links.token(EXPORT_PURPOSE, f"{actor.user_id}:{scope.value}", expires)
            url = self.services.links.url(EXPORT_PATH, token)
        return self.content.card("cadence_compliance", {
            "title": t("cadence.compliance.title"),
            "scope": f"{t('cadence.compliance.scope_label')}: {t(f'cadence.compliance.scope.{scope.value}')}",  # text-key: cadence.compliance.scope.*
            "summary": t("cadence.compliance.summary", workers=result.workers),
            "none": "" if result.workers else t("cadence.compliance.none"),
            "bars": [{"label": self.type_name(k), "percent": result.overall[k].percent} for k in shown],
            "chart_title": t("cadence.compliance.chart_title"), "chart_axis": t("cadence.compliance.chart_axis"),
            "chart_fallback": t("cadence.compliance.chart_fallback"),
            "overall": [{"title": self.type_name(k), "value": self._figure(result.overall[k])} for k in shown],
            "teams_title": t("cadence.compliance.teams_title") if result.workers else "",
            "teams": [{"name": team or t("cadence.compliance.no_team"),
                       "facts": [{"title": self.type_name(k), "value": self._figure(figs[k])}
                                 for k in result.types if figs[k].workers]}
                      for team, figs in teams[:MAX_TEAMS]] if result.workers else [],
            "overdue_title": t("cadence.compliance.overdue_title"),
            "overdue_none": t("cadence.compliance.overdue_none") if result.workers and not overdue else "",
            "overdue": overdue,
            "more": t("cadence.compliance.more", count=hidden) if hidden else "",
            "download": t("cadence.compliance.download"), "download_url": url,
            "link_note": t("cadence.compliance.link_note", minutes=self.config.export_minutes) if url else "",
            "privacy": t("cadence.compliance.privacy"),
            "scopes": [{"title": t(f"cadence.compliance.scope.{s.value}"), "value": s.value}
                       for s in scopes_for(actor) if s != scope],
        })

    async def show(self, turn_context: TurnContext) -> None:
        """The compliance card for the scope asked for (or the broadest the person holds)."""
        scope = scope_of(turn_context)
        async with self.services.db() as db:
            chosen, result = await self.figures(db, scope.actor, scope.input.data.get("scope"))
        log.info("cadence compliance shown (%s, %d workers)", chosen.value, result.workers)
        await show(turn_context, self.card(scope.actor, chosen, result), replace=True)

    def rows(self, result: Compliance) -> list[list[object]]:
        t = self.text
        header: list[object] = [t(f"cadence.csv.{k}") for k in ("section", "team", "type", "in_date", "workers", "percent",  # text-key: cadence.csv.*
                                                   "worker", "due", "days_overdue")]
        rows: list[list[object]] = [header]
        for kind in result.types:
            f = result.overall[kind]
            rows.append([t("cadence.csv.overall"), "", self.type_name(kind), f.in_date, f.workers, f.percent, "", "", ""])
        for team, figures in sorted(result.teams.items()):
            for kind in result.types:
                f = figures[kind]
                if f.workers:
                    rows.append([t("cadence.csv.by_team"), team, self.type_name(kind), f.in_date, f.workers,
                                 f.percent, "", "", ""])
        for item in result.overdue:
            days = (self.today() - item.due).days if item.due else ""
            rows.append([t("cadence.csv.overdue"), item.worker.team, self.type_name(item.type), "", "", "",
                         item.worker.name, item.due.isoformat() if item.due else "", days])
        return rows

    async def export(self, request: web.Request) -> web.Response:
        """GET /cadence/export/{token}.csv: the maker's roles are read again before anything."""
        t = self.text
        try:
            maker, requested = self.services.links.verify(
                EXPORT_PURPOSE, request.match_info["token"], self.now()).split(":", 1)
        except (InvalidLink, ValueError):
            log.info("cadence export refused: invalid or expired link")
            return web.Response(status=404, text=t("cadence.csv.link_invalid"))
        async with self.services.db() as db:
            user = await db.get(User, maker)
            roles = await roles_of(db, user.aad_object_id if user else None, self.services.configured_roles)
            try:
                _scope, result = await self.figures(db, Actor(maker, user.aad_object_id if user else None, roles),
                                                    requested)
            except NotPermitted:
                log.info("cadence export refused: the link's maker no longer holds the role")
                return web.Response(status=403, text=t("cadence.csv.link_forbidden"))
        return web.Response(body=csv_bytes(self.rows(result)), headers={
            "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="supervision.csv"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
