"""Tripartite tasks in Teams: "my tasks", one task with its checklist, sign-off and notes.

Every action reads the task through `_task_for`, which answers "not one of yours" for anyone who
is not one of its three parties, so no path shows a task's details to anybody else.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.inputs import storable
from dialogs.tripartite.calendar import meeting_fields
from dialogs.tripartite.config import TripartiteConfig
from dialogs.tripartite.delivery import TripartiteDelivery
from dialogs.tripartite.own import no_absence, own_absence
from storage.feedback.anonymise import Scrubber
from storage.models import User
from storage.people.models import Person
from storage.people.repository import ensure_person
from storage.tripartite import repository as repo
from storage.tripartite.models import TaskComment, TaskSignoff, TripartiteTask
from storage.tripartite.rules import (
    Party, ReasonNeeded, SignOffs, TaskStatus, Verdict, status_on,
)
from storage.users import valid_zone

log = logging.getLogger(__name__)
MAX_NAMES = 5000  # other people's names the note scrubber knows; enough for a large trust
# A card stays well under Teams' 80 KB: the soonest tasks, the latest notes.
MAX_LISTED = 30
MAX_COMMENTS = 20


class TaskActions:
    def __init__(self, services: BotServices, config: TripartiteConfig, delivery: TripartiteDelivery) -> None:
        self.services = services
        self.config = config
        self.delivery = delivery
        self.content = services.content
        self.text = services.content.text

    # --- reading ----------------------------------------------------------------------------

    async def mine(self, turn_context: TurnContext, *, saved: str = "") -> None:
        """Every task the person is a party to, soonest first; finished ones on request; and, for
        a worker, their own absence (see own.py)."""
        scope = scope_of(turn_context)
        include_done = scope.input.data.get("all") == "1"
        async with self.services.db() as db:
            me, today = await self._me(db, scope.actor.user_id)
            tasks = list(await repo.tasks_of(db, me.id, include_done=include_done))[:MAX_LISTED] if me else []
            names = await self._names(db, {t.worker_id for t in tasks})
            own = await own_absence(db, self.text, me, scope.actor)
        items = []
        for task in tasks:
            words = {"kind": self.text(f"tripartite.kinds.{task.kind}"),  # text-key: tripartite.kinds.*
                     "worker": names.get(task.worker_id, ""), "due": task.due_on.isoformat(),
                     "status": self._status(task, today)}
            items.append({"task": task.id, "line": self.text("tripartite.mine.item", **words),
                          "open": self.text("tripartite.mine.open", **words)})
        t = self.text
        await show(turn_context, self.content.card("tripartite_list", {
            "title": t("tripartite.mine.title"), "intro": t("tripartite.mine.intro"), "items": items,
            "none": "" if items else t("tripartite.mine.none"), "privacy": t("tripartite.privacy"),
            "done_too": t("tripartite.mine.done_too"), "menu": t("tripartite.to_menu"), "saved": saved, **own,
        }), replace=True)

    async def open(self, turn_context: TurnContext) -> None:
        await self._answer(turn_context, None, None)

    # --- acting -----------------------------------------------------------------------------

    async def agree(self, turn_context: TurnContext) -> None:
        await self._sign(turn_context, Verdict.AGREED)

    async def disagree(self, turn_context: TurnContext) -> None:
        await self._sign(turn_context, Verdict.NOT_AGREED)

    async def _sign(self, turn_context: TurnContext, verdict: Verdict) -> None:
        data = scope_of(turn_context).input.data
        reason = str(data.get("reason") or "").strip()
        error = self._too_long("tripartite.signoff.reason_label", reason, self.config.reason_max) \
            if verdict == Verdict.NOT_AGREED else None
        if error:
            return await self._answer(turn_context, error, None)
        async with self.services.db() as db, db.begin():
            found = await self._task_for(db, turn_context)
            if found is None:
                return await self._gone(turn_context)
            me, task = found
            try:
                state = await repo.sign(db, task, person_id=me.id, verdict=verdict, reason=reason,
                                        version=_version(data), now=self.services.now())
                others = repo.party_ids(task) - {me.id}
                if verdict == Verdict.NOT_AGREED:
                    party = repo.parties_of(task).party_of(me.id)
                    await self.delivery.notify(db, task, "not_agreed", to=others, extra={"party": party.value})
                elif state.complete:
                    await self.delivery.notify(db, task, "complete", to=others)
            except ReasonNeeded:
                error = self.text("tripartite.errors.reason")
            except repo.StaleTask:
                error = self.text("tripartite.errors.stale")
            except repo.MissingParty:
                error = self.text("tripartite.signoff.missing_party")
        if error:
            return await self._answer(turn_context, error, None)
        log.info("tripartite task signed (%s)", verdict.value)
        await self._answer(turn_context, None, self.text("tripartite.saved.agreed") if verdict == Verdict.AGREED
                           else self.text("tripartite.saved.not_agreed"))

    async def comment(self, turn_context: TurnContext) -> None:
        text = str(scope_of(turn_context).input.data.get("comment") or "").strip()
        error = self._too_long("tripartite.comments.label", text, self.config.comment_max)
        if not error and not text:
            error = self.text("tripartite.errors.empty_comment")
        if error:
            return await self._answer(turn_context, error, None)
        async with self.services.db() as db, db.begin():
            found = await self._task_for(db, turn_context)
            if found is None:
                return await self._gone(turn_context)
            me, task = found
            scrubbed = (await self._scrubber(db, task)).scrub(text)
            try:
                await repo.add_comment(db, task, person_id=me.id, scrubbed_text=scrubbed, now=self.services.now())
            except repo.MissingParty:
                error = self.text("tripartite.signoff.missing_party")
        await self._answer(turn_context, error, None if error else self.text("tripartite.saved.comment"))

    async def tick(self, turn_context: TurnContext) -> None:
        data = scope_of(turn_context).input.data
        async with self.services.db() as db, db.begin():
            found = await self._task_for(db, turn_context)
            if found is None:
                return await self._gone(turn_context)
            _, task = found
            if _version(data) != task.version:
                error = self.text("tripartite.errors.stale")
            else:
                error = None
                task.checklist = {item: data.get(f"item_{item}") in ("true", True) for item in task.checklist}
                task.version += 1
        await self._answer(turn_context, error, None if error else self.text("tripartite.saved.checklist"))

    # --- the task card ----------------------------------------------------------------------

    async def _answer(self, turn_context: TurnContext, error: str | None, saved: str | None) -> None:
        async with self.services.db() as db:
            found = await self._task_for(db, turn_context)
            if found is None:
                return await self._gone(turn_context)
            me, task = found
            card = await self._task_card(db, me, task)
        await show(turn_context, self.content.card("tripartite_task", {**card, "error": error or "",
                                                                       "saved": saved or ""}), replace=True)

    async def _task_card(self, db: AsyncSession, me: Person, task: TripartiteTask) -> dict[str, Any]:
        t = self.text
        today = await self._today(db, me)
        names = await self._names(db, repo.party_ids(task))
        rows = (await db.execute(select(TaskSignoff.party, TaskSignoff.verdict, TaskSignoff.reason)
                                 .where(TaskSignoff.task_id == task.id))).all()
        state = SignOffs.of((p, v, r or "") for p, v, r in rows)
        three = len(repo.party_ids(task)) == 3  # both a line manager and a peer supervisor, all different
        people = {Party.WORKER: task.worker_id, Party.LINE_MANAGER: task.line_manager_id,
                  Party.PEER_SUPERVISOR: task.peer_supervisor_id}
        facts = [{"title": t(f"tripartite.facts.{p.value}"),  # text-key: tripartite.facts.*
                  "value": names.get(people[p] or "", "") or t("tripartite.facts.nobody")} for p in Party]
        facts += [{"title": t("tripartite.facts.due"), "value": task.due_on.isoformat()},
                  {"title": t("tripartite.facts.status"), "value": self._status(task, today)}]
        signoffs = []
        for party in Party:
            given = state.by.get(party)
            value = (t("tripartite.signoff.waiting") if given is None else t("tripartite.signoff.agreed")
                     if given.verdict == Verdict.AGREED else t("tripartite.signoff.not_agreed", reason=given.reason))
            signoffs.append({"title": t(f"tripartite.parties.{party.value}"), "value": value})  # text-key: tripartite.parties.*
        mine = repo.parties_of(task).party_of(me.id) if three else None
        note = (t("tripartite.signoff.missing_party") if not three else t("tripartite.signoff.complete")
                if state.complete else t("tripartite.signoff.yours_done") if mine not in state.waiting_for() else "")
        latest = (await db.scalars(select(TaskComment).where(TaskComment.task_id == task.id)
                                   .order_by(TaskComment.created_at.desc(), TaskComment.id.desc())
                                   .limit(MAX_COMMENTS))).all()
        comments = list(reversed(latest))
        zone_name = await self._zone(db, me)
        zone = ZoneInfo(zone_name)
        meeting = meeting_fields(t, self.services.links, task, me.id, zone=zone_name, now=self.services.now())
        facts.append(meeting.pop("meeting_fact"))
        lines = [t("tripartite.comments.line", party=t(f"tripartite.parties.{c.author_party}"),  # text-key: tripartite.parties.*
                   when=c.created_at.astimezone(zone).strftime("%d %b %Y %H:%M"), text=c.text) for c in comments]
        return {
            "title": t(f"tripartite.kinds.{task.kind}"),  # text-key: tripartite.kinds.*
            "facts": facts, "task": task.id, "version": str(task.version),
            "checklist_title": t("tripartite.checklist.title"), "checklist_hint": t("tripartite.checklist.hint"),
            "checklist_save": t("tripartite.checklist.save"),
            "checklist": [{"id": f"item_{item}", "label": t(f"tripartite.items.{item}"),  # text-key: tripartite.items.*
                           "value": "true" if done else "false"} for item, done in task.checklist.items()],
            "signoff_title": t("tripartite.signoff.title"), "signoffs": signoffs, "signoff_note": note,
            "can_sign": three,
            "reason_label": t("tripartite.signoff.reason_label", max=self.config.reason_max),
            "reason_max": self.config.reason_max,
            "agree": t("tripartite.signoff.agree"), "disagree": t("tripartite.signoff.disagree"),
            "comments_title": t("tripartite.comments.title"), "comments": lines,
            "no_comments": "" if lines else t("tripartite.comments.none"),
            "comment_label": t("tripartite.comments.label", max=self.config.comment_max),
            "comment_max": self.config.comment_max, "comment_add": t("tripartite.comments.add"),
            "privacy": t("tripartite.privacy"), "back": t("tripartite.back"), **meeting,
        }

    # --- helpers ----------------------------------------------------------------------------

    async def _task_for(self, db: AsyncSession, turn_context: TurnContext) -> tuple[Person, TripartiteTask] | None:
        """The pressed task and the person pressing, only when that person is one of its parties."""
        scope = scope_of(turn_context)
        task_id = scope.input.data.get("task")
        if not isinstance(task_id, str) or not 0 < len(task_id) <= 32:
            return None
        task = await db.get(TripartiteTask, task_id)
        me = await self._person(db, scope.actor.user_id)
        if task is None or me is None or me.id not in repo.party_ids(task):
            return None
        return me, task

    async def _gone(self, turn_context: TurnContext) -> None:
        t = self.text
        await show(turn_context, self.content.card("tripartite_list", {
            "title": t("tripartite.mine.title"), "intro": t("tripartite.errors.gone"), "items": [], "none": "",
            "privacy": t("tripartite.privacy"), "done_too": t("tripartite.back"), "menu": t("tripartite.to_menu"),
            "saved": "", **no_absence(),
        }), replace=True)

    async def _person(self, db: AsyncSession, user_id: str) -> Person | None:
        user = await db.get(User, user_id) if user_id else None
        return await ensure_person(db, user) if user is not None else None

    async def _me(self, db: AsyncSession, user_id: str) -> tuple[Person | None, date]:
        me = await self._person(db, user_id)
        return me, await self._today(db, me)

    async def _zone(self, db: AsyncSession, me: Person | None) -> str:
        user = await db.get(User, me.user_id) if me is not None and me.user_id else None
        return valid_zone(user.time_zone if user else None, self.services.default_zone)

    async def _today(self, db: AsyncSession, me: Person | None) -> date:
        return self.services.now().astimezone(ZoneInfo(await self._zone(db, me))).date()

    async def _names(self, db: AsyncSession, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        return {pid: name for pid, name in await db.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))}

    async def _scrubber(self, db: AsyncSession, task: TripartiteTask) -> Scrubber:
        """Names of other people the bot knows are removed; the three parties' own are kept."""
        own = repo.party_ids(task)
        names = await db.scalars(select(Person.name).where(Person.name != "", Person.id.not_in(own))
                                 .limit(MAX_NAMES))
        return Scrubber(known_names=[n for n in names if n], max_chars=self.config.comment_max)

    def _status(self, task: TripartiteTask, today: date) -> str:
        return self.text(f"tripartite.status.{status_on(TaskStatus(task.status), task.due_on, today)}")  # text-key: tripartite.status.*

    def _too_long(self, label_key: str, value: str, limit: int) -> str | None:
        field = self.text("tripartite.comments.title") if label_key.endswith("comments.label") else \
            self.text("tripartite.signoff.disagree")
        if not storable(value, multiline=True):
            return self.text("inputs.control_characters", field=field)
        if len(value) > limit:
            return self.text("tripartite.errors.too_long", field=field, max=limit)
        return None


def _version(data: dict[str, Any]) -> int:
    try:
        return int(str(data.get("version", "")))
    except ValueError:
        return -1
