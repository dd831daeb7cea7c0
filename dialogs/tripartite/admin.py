"""Administrators' organisation-wide view of tripartite tasks, metadata only: counts by kind and
status, and the overdue list (kind, the worker's team, due day, status). No names, notes,
checklists or sign-off reasons. Its CSV goes through a signed link that expires after
EXPORT_MINUTES and reads the maker's roles again on every download (403 once they are not an
administrator; 404 for a tampered or expired link)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.links import InvalidLink
from dialogs.shared.spreadsheet import csv_bytes
from storage.models import User
from storage.people.models import Person
from storage.roles import Role, roles_of
from storage.tripartite.models import TripartiteTask
from storage.tripartite.rules import OVERDUE, TaskKind, TaskStatus, status_on

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "tripartite.csv"
EXPORT_PATH = "/tripartite/export/{token}.csv"
EXPORT_MINUTES = 15
MAX_OVERDUE = 20  # on the card; the CSV has every one
STATUSES = (TaskStatus.OPEN.value, TaskStatus.SCHEDULED.value, OVERDUE, TaskStatus.DONE.value)


@dataclass(frozen=True)
class Overdue:
    kind: str
    team: str
    due: date
    status: str


@dataclass(frozen=True)
class Metadata:
    counts: Counter[tuple[str, str]]  # (kind, status shown today) -> tasks
    overdue: list[Overdue]


async def metadata(db: AsyncSession, today: date) -> Metadata:
    """Every task's kind, status and due day, and the overdue ones' teams: nothing else is read."""
    rows = await db.execute(select(TripartiteTask.kind, TripartiteTask.status, TripartiteTask.due_on, Person.team)
                            .join(Person, Person.id == TripartiteTask.worker_id)
                            .order_by(TripartiteTask.due_on, TripartiteTask.id))
    counts: Counter[tuple[str, str]] = Counter()
    overdue = []
    for kind, stored, due, team in rows:
        shown = status_on(TaskStatus(stored), due, today)
        counts[(kind, shown)] += 1
        if shown == OVERDUE:
            overdue.append(Overdue(kind, team or "", due, shown))
    return Metadata(counts, overdue)


class AdminView:
    def __init__(self, services: BotServices) -> None:
        self.services = services
        self.content = services.content
        self.text = services.content.text

    def _today(self) -> date:
        return self.services.now().astimezone(ZoneInfo(self.services.default_zone)).date()

    def _kind(self, kind: str) -> str:
        return self.text(f"tripartite.kinds.{kind}")  # text-key: tripartite.kinds.*

    def _status(self, status: str) -> str:
        return self.text(f"tripartite.status.{status}")  # text-key: tripartite.status.*

    async def show(self, turn_context: TurnContext) -> None:
        actor = scope_of(turn_context).actor
        actor.require(Role.ADMIN)
        t = self.text
        async with self.services.db() as db:
            found = await metadata(db, self._today())
        facts = [{"title": self._kind(k), "value": t("tripartite.admin.counts", **{
            s: found.counts[(k.value, s)] for s in STATUSES})} for k in TaskKind]
        overdue = [t("tripartite.admin.overdue_line", kind=self._kind(o.kind), team=o.team or t("tripartite.admin.no_team"),
                     due=o.due.isoformat(), status=self._status(o.status)) for o in found.overdue[:MAX_OVERDUE]]
        hidden = len(found.overdue) - len(overdue)
        token = self.services.links.token(EXPORT_PURPOSE, actor.user_id,
                                          self.services.now() + timedelta(minutes=EXPORT_MINUTES))
        log.info("tripartite admin view shown (%d overdue)", len(found.overdue))
        await show(turn_context, self.content.card("tripartite_admin", {
            "title": t("tripartite.admin.title"), "intro": t("tripartite.admin.intro"), "facts": facts,
            "overdue_title": t("tripartite.admin.overdue_title"), "overdue": overdue,
            "overdue_none": "" if overdue else t("tripartite.admin.overdue_none"),
            "more": t("tripartite.admin.more", count=hidden) if hidden else "",
            "download": t("tripartite.admin.download"),
            "download_url": self.services.links.url(EXPORT_PATH, token),
            "link_note": t("tripartite.admin.link_note", minutes=EXPORT_MINUTES),
            "privacy": t("tripartite.admin.privacy"), "menu": t("tripartite.to_menu"),
        }), replace=True)

    def rows(self, found: Metadata) -> list[list[object]]:
        t = self.text
        rows: list[list[object]] = [[t(f"tripartite.csv.{c}") for c in  # text-key: tripartite.csv.*
                                     ("section", "type", "status", "count", "team", "due")]]
        for kind in TaskKind:
            for status in STATUSES:
                rows.append([t("tripartite.csv.counts"), self._kind(kind), self._status(status),
                             found.counts[(kind.value, status)], "", ""])
        for o in found.overdue:
            rows.append([t("tripartite.csv.overdue"), self._kind(o.kind), self._status(o.status), "", o.team,
                         o.due.isoformat()])
        return rows

    async def export(self, request: web.Request) -> web.Response:
        """GET /tripartite/export/{token}.csv: the maker must still be an administrator."""
        t = self.text
        try:
            maker = self.services.links.verify(EXPORT_PURPOSE, request.match_info["token"], self.services.now())
        except InvalidLink:
            log.info("tripartite export refused: invalid or expired link")
            return web.Response(status=404, text=t("tripartite.csv.link_invalid"))
        async with self.services.db() as db:
            user = await db.get(User, maker)
            roles = await roles_of(db, user.aad_object_id if user else None, self.services.configured_roles)
            if Role.ADMIN not in roles:
                log.info("tripartite export refused: the link's maker is no longer an administrator")
                return web.Response(status=403, text=t("tripartite.csv.link_forbidden"))
            found = await metadata(db, self._today())
        return web.Response(body=csv_bytes(self.rows(found)), headers={
            "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="tripartite.csv"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
