"""Views of other people's tasks, metadata only (kind, worker, due day, status): a line manager's
"My team's tasks" (the people they line-manage), a peer supervisor's (their supervisees), a peer
lead's (the workers of their team in their organisation), each for the next 30 days and anything
overdue. A row opens the task only for one of its three parties, through `_task_for` as always;
nothing else here reads a task's notes, checklist or sign-off.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import scope_of, show
from dialogs.tripartite.tasks import TaskActions
from storage.people.models import LinkKind, Person
from storage.people.repository import linked_workers
from storage.roles import NotPermitted, Role
from storage.tripartite import repository as repo

log = logging.getLogger(__name__)
AHEAD_DAYS = 30
MAX_ROWS = 30  # soonest first; a card stays well under Teams' 80 KB
MAX_WORKERS = 2000  # a peer lead's team
# Which role each view needs, in the order offered.
SCOPES = {"reports": Role.LINE_MANAGER, "supervisees": Role.PEER_SUPERVISOR, "team": Role.PEER_LEAD}
VIEWERS = tuple(SCOPES.values())


class TeamViews(TaskActions):
    async def team(self, turn_context: TurnContext) -> None:
        """The view asked for, or the first the person may see; refused without any of the roles."""
        scope = scope_of(turn_context)
        actor = scope.actor
        allowed = [name for name, role in SCOPES.items() if actor.has_any(role)]
        requested = scope.input.data.get("scope")
        if not allowed or (requested is not None and requested not in allowed):
            raise NotPermitted(VIEWERS)
        chosen = requested if isinstance(requested, str) else allowed[0]
        t = self.text
        async with self.services.db() as db:
            me, today = await self._me(db, actor.user_id)
            workers = await self._workers(db, chosen, me)
            tasks = list(await repo.team_tasks(db, list(workers), until=today + timedelta(days=AHEAD_DAYS),
                                               limit=MAX_ROWS + 1))
        items = []
        for task in tasks[:MAX_ROWS]:
            words = {"kind": t(f"tripartite.kinds.{task.kind}"),  # text-key: tripartite.kinds.*
                     "worker": workers.get(task.worker_id, ""), "due": task.due_on.isoformat(),
                     "status": self._status(task, today)}
            mine = me is not None and me.id in repo.party_ids(task)
            items.append({"line": t("tripartite.mine.item", **words),
                          "open": t("tripartite.mine.open", **words) if mine else "", "task": task.id if mine else ""})
        log.info("tripartite team view shown (%s, %d rows)", chosen, len(items))
        await show(turn_context, self.content.card("tripartite_team", {
            "title": t(f"tripartite.team.title.{chosen}"),  # text-key: tripartite.team.title.*
            "intro": t("tripartite.team.intro", days=AHEAD_DAYS), "items": items,
            "none": "" if items else t("tripartite.team.none"),
            "more": t("tripartite.team.more", count=MAX_ROWS) if len(tasks) > MAX_ROWS else "",
            "scopes": [{"title": t(f"tripartite.team.title.{s}"), "scope": s} for s in allowed if s != chosen],
            "privacy": t("tripartite.team.privacy"), "menu": t("tripartite.to_menu"),
        }), replace=True)

    async def _workers(self, db: AsyncSession, chosen: str, me: Person | None) -> dict[str, str]:
        """Worker id -> name of the people this view covers."""
        if me is None:
            return {}
        if chosen == "team":
            if not me.team:
                return {}  # a peer lead with no team set sees nobody rather than everybody
            rows = await db.execute(select(Person.id, Person.name).where(
                Person.team == me.team, Person.organisation == me.organisation, Person.id != me.id)
                .limit(MAX_WORKERS))
            return dict(rows.all())
        kind = LinkKind.LINE_MANAGER if chosen == "reports" else LinkKind.PEER_SUPERVISOR
        return {w.id: w.name for w in await linked_workers(db, me.id, kind)}
