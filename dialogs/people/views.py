"""The "People" card: a worker's line manager and peer supervisor with their history, the people
someone supervises or manages, requests waiting for an answer; for administrators and peer leads,
a searchable list of people and each person's page. Ending a link, and answering a request.

Who sees what: everyone sees their own links; a supervisor or manager sees the workers linked to
them (names and dates, nothing more); administrators see everyone, peer leads the people of their
own organisation. Ids in card data are only ever looked up and then checked against the actor.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.people.common import PeopleBase, may_manage, single_line
from dialogs.shared.context import scope_of, show
from storage.people.changes import NotPending, NotYours, answer, end
from storage.people.directory import ALIVE, known_people, links_of, names_of
from storage.people.models import LinkStatus, Person, PersonLink
from storage.people.repository import person_of_user
from storage.roles import Actor, NotPermitted, Role

MANAGERS = (Role.ADMIN, Role.PEER_LEAD)
MAX_LISTED = 40  # with a named button each, 40 keep the card under Teams' 80 KB
# Caps keep the People card under Teams' 80 KB however many people someone supports.
MAX_SUPPORTING = 30
MAX_HISTORY = 20
MAX_WAITING = 10


class ViewActions(PeopleBase):
    async def home(self, turn_context: TurnContext, *, message: str = "") -> None:
        actor = scope_of(turn_context).actor
        async with self.services.db() as db:
            me = await person_of_user(db, actor.user_id) if actor.user_id else None
            data = await self._page(db, me, actor, own=True)
        await show(turn_context, self.content.card("people_home", {
            **data, "message": message, "title": self.text("people.home.title"),
            "can_manage": actor.has_any(*MANAGERS)}), replace=True)

    async def _page(self, db: AsyncSession, person: Person | None, actor: Actor, *, own: bool) -> dict[str, Any]:
        """The facts, links, history and supervisees of one person, with the buttons `actor` may use."""
        t = self.text
        mine = [] if person is None else await links_of(db, person.id)
        theirs = [] if person is None else await links_of(db, person.id, as_other=True, statuses=ALIVE)
        people = await names_of(db, {l.other_id for l in mine} | {l.worker_id for l in theirs})
        facts: list[dict[str, str]] = []
        for kind in ("line_manager", "peer_supervisor"):
            current = next((l for l in mine if l.kind == kind and l.status == LinkStatus.ACTIVE), None)
            value: str = (t("people.home.since", name=self.name(people.get(current.other_id)), date=str(current.started_on))
                     if current else t("people.home.none"))
            facts.append({"title": self.title(kind), "value": value})
        if person is not None:
            for key, detail in (("start_date", person.start_date), ("team", person.team),
                                ("organisation", person.organisation)):
                if detail:
                    facts.append({"title": t(f"people.facts.{key}"), "value": str(detail)})  # text-key: people.facts.*
        history = [{"title": self.title(l), "value": t(f"people.history.{l.status}",  # text-key: people.history.*
                                                      name=self.name(people.get(l.other_id)),
                                                      start=str(l.started_on or "-"), end=str(l.ended_on or "-"))}
                   for l in mine if l.status != LinkStatus.ACTIVE]
        asked = [t("people.home.asked", name=self.name(people.get(l.other_id)), kind=self.kind(l))
                 for l in mine if l.status == LinkStatus.PENDING]
        # Each button names its person: a screen reader lists buttons without the text beside them.
        waiting = [{"text": t("people.confirm.text", name=self.name(people.get(l.worker_id)), kind=self.kind(l)),
                    "yes": t("people.buttons.confirm", name=self.name(people.get(l.worker_id))),
                    "no": t("people.buttons.decline", name=self.name(people.get(l.worker_id))),
                    "link": l.id} for l in theirs if l.status == LinkStatus.PENDING and own]
        supporting = [{"text": t("people.home.supports", name=self.name(people.get(l.worker_id)), kind=self.kind(l),
                                 date=str(l.started_on)), "link": l.id,
                       "end": t("people.buttons.end", name=self.name(people.get(l.worker_id)), kind=self.kind(l))}
                      for l in theirs if l.status == LinkStatus.ACTIVE]
        endable = [{"text": f"{self.title(l)}: {self.name(people.get(l.other_id))}", "link": l.id,
                    "end": t("people.buttons.end", name=self.name(people.get(l.other_id)), kind=self.kind(l))}
                   for l in mine if l.status == LinkStatus.ACTIVE]
        may_end_own = actor.has_any(Role.ADMIN) or (not own and actor.has_any(Role.PEER_LEAD))
        hidden = max(0, len(supporting) - MAX_SUPPORTING) + max(0, len(history) - MAX_HISTORY)
        return {"facts": facts, "history": history[:MAX_HISTORY], "asked": "\n\n".join(asked[:MAX_WAITING]),
                "waiting": waiting[:MAX_WAITING], "supporting": supporting[:MAX_SUPPORTING],
                "endable": endable if may_end_own else [],
                "more": t("people.home.more", count=hidden) if hidden else ""}

    # --- administrators and peer leads ----------------------------------------------------------

    async def _lead(self, db: AsyncSession, actor: Actor) -> Person | None:
        return None if actor.has_any(Role.ADMIN) or not actor.user_id else await person_of_user(db, actor.user_id)

    async def find(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*MANAGERS)
        query, ok = single_line(scope.input.data, "query")
        t = self.text
        async with self.services.db() as db:
            lead = await self._lead(db, scope.actor)
            found = await known_people(db, organisation=lead.organisation if lead else None,
                                       query=query if ok else "", limit=MAX_LISTED + 1)
        rows = [{"title": self.name(p), "value": ", ".join(v for v in (p.team, p.organisation) if v)
                 + ("" if p.user_id else " " + t("people.list.not_yet")), "person": p.id,
                 "open": t("people.buttons.open", name=self.name(p))} for p in found[:MAX_LISTED]]
        await show(turn_context, self.content.card("people_list", {
            "query": query if ok else "", "people": rows,
            "error": "" if ok else t("people.errors.query"),
            "empty": t("people.list.empty") if not rows else "",
            "more": t("people.list.more", count=MAX_LISTED) if len(found) > MAX_LISTED else ""}), replace=True)

    async def person(self, turn_context: TurnContext, *, person_id: Any = None, message: str = "") -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*MANAGERS)
        person_id = person_id or scope.input.data.get("person")
        async with self.services.db() as db:
            person = await db.get(Person, person_id) if isinstance(person_id, str) else None
            lead = await self._lead(db, scope.actor)
            if person is None or not may_manage(scope.actor, lead, person):
                raise NotPermitted(MANAGERS)
            data = await self._page(db, person, scope.actor, own=False)
        await show(turn_context, self.content.card("people_home", {
            **data, "message": message, "title": self.name(person), "can_manage": True}), replace=True)

    # --- ending a link, answering a request --------------------------------------------------------

    async def end(self, turn_context: TurnContext) -> None:
        """Administrators, the worker's peer lead, or the manager or supervisor in the link."""
        scope = scope_of(turn_context)
        link_id = scope.input.data.get("link")
        async with self.services.db() as db, db.begin():
            link = await db.get(PersonLink, link_id) if isinstance(link_id, str) else None
            me = await person_of_user(db, scope.actor.user_id) if scope.actor.user_id else None
            worker = await db.get(Person, link.worker_id) if link is not None else None
            lead = await self._lead(db, scope.actor)
            allowed = link is not None and worker is not None and (
                (me is not None and link.other_id == me.id)
                or (scope.actor.has_any(*MANAGERS) and may_manage(scope.actor, lead, worker)))
            if not allowed or link is None or worker is None:
                raise NotPermitted(MANAGERS)
            try:
                await end(db, link, me, on=await self.today(db, scope.actor.user_id), now=self.services.now())
                message = self.text("people.end.done", kind=self.kind(link), name=self.name(worker))
            except NotPending:
                message = self.text("people.end.already")
            worker_id, own = worker.id, me is not None and link.other_id == me.id
        self.services.actors.clear()
        if own:
            await self.home(turn_context, message=message)
        else:
            await self.person(turn_context, person_id=worker_id, message=message)

    async def confirm(self, turn_context: TurnContext) -> None:
        await self._answer(turn_context, confirmed=True)

    async def decline(self, turn_context: TurnContext) -> None:
        await self._answer(turn_context, confirmed=False)

    async def _answer(self, turn_context: TurnContext, *, confirmed: bool) -> None:
        """Only the person named in the request may answer it."""
        scope = scope_of(turn_context)
        link_id = scope.input.data.get("link")
        async with self.services.db() as db, db.begin():
            link = await db.get(PersonLink, link_id) if isinstance(link_id, str) else None
            me = await person_of_user(db, scope.actor.user_id) if scope.actor.user_id else None
            if link is None or me is None or link.other_id != me.id:
                refused = True
            else:
                refused = False
                worker = await db.get(Person, link.worker_id)
                try:
                    await answer(db, link, me, confirmed=confirmed, on=await self.today(db, scope.actor.user_id),
                                 now=self.services.now())
                    key = "people.confirm.confirmed" if confirmed else "people.confirm.declined"
                except (NotPending, NotYours):
                    key = "people.confirm.already"
                message = self.text(key, name=self.name(worker), kind=self.kind(link))
        if refused:
            await show(turn_context, self.notice("people.confirm.title", self.text("people.confirm.not_yours")),
                       replace=True)
            return
        self.services.actors.clear()
        await self.home(turn_context, message=message)
