"""Setting up who supports whom: an administrator or peer lead on a card (people picker, with
the people the bot knows as a fallback list), or a worker naming their own line manager or peer
supervisor, which waits for that person to confirm.

Every field is checked before anything is read or written; each bad one is named. Picks are then
resolved and the peer lead's scope checked inside one transaction that is rolled back on any
refusal, so a refused form leaves no trace (not even a newly recorded person).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext

from dialogs.people.common import PeopleBase, may_manage, single_line
from dialogs.shared.context import scope_of, show
from dialogs.shared.templating import Prose
from storage.people.changes import assign, request
from storage.people.directory import actor_person, is_pick, resolve_pick, same_text
from storage.people.models import LinkKind, Person
from storage.roles import Role

MANAGERS = (Role.ADMIN, Role.PEER_LEAD)
FIELDS = ("worker", "line_manager", "peer_supervisor", "start_date", "team", "organisation")


class Refused(Exception):
    """A check that needed the database failed: roll back, show these field errors."""

    def __init__(self, errors: list[Prose]) -> None:
        super().__init__(len(errors))
        self.errors = errors


class SetupActions(PeopleBase):
    # --- an administrator or peer lead ----------------------------------------------------------

    async def form(self, turn_context: TurnContext) -> None:
        scope_of(turn_context).actor.require(*MANAGERS)
        await show(turn_context, await self._setup_card(turn_context), replace=True)

    async def _setup_card(self, turn_context: TurnContext, *, errors: list[Prose] | None = None, done: str = "",
                          values: dict[str, Any] | None = None) -> dict[str, Any]:
        actor = scope_of(turn_context).actor
        async with self.services.db() as db:
            lead = None if actor.has_any(Role.ADMIN) else await actor_person(db, actor.user_id)
            people = await self.choices(db, lead.organisation if lead is not None else None)
        values = values or {}
        return self.content.card("people_setup", {
            "error": "\n\n".join(errors or []), "confirmation": done, "people": people,
            **{f: values.get(f) if isinstance(values.get(f), str) else "" for f in FIELDS}})

    def _check_setup(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[Prose]]:
        t = self.text
        errors: list[Prose] = []
        values: dict[str, Any] = {}
        for field in ("worker", "line_manager", "peer_supervisor"):
            raw = data.get(field) or ""
            if raw and not is_pick(raw) or (field == "worker" and not raw):
                errors.append(t(f"people.errors.{field}"))  # text-key: people.errors.*
            values[field] = raw
        if not values["line_manager"] and not values["peer_supervisor"] and values["worker"]:
            errors.append(t("people.errors.nobody"))
        for field in ("line_manager", "peer_supervisor"):
            if values[field] and values[field] == values["worker"]:
                errors.append(t("people.errors.self", kind=self.kind(field)))
        raw_date = data.get("start_date") or ""
        values["start_date"] = None
        if raw_date:
            try:
                values["start_date"] = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
            except ValueError:
                pass
            if values["start_date"] is None:
                errors.append(t("people.errors.start_date"))
        for field in ("team", "organisation"):
            values[field], ok = single_line(data, field)
            if not ok:
                errors.append(t(f"people.errors.{field}"))  # text-key: people.errors.*
        return values, errors

    async def save(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*MANAGERS)
        data = scope.input.data
        values, errors = self._check_setup(data)
        if errors:
            await show(turn_context, await self._setup_card(turn_context, errors=errors, values=data), replace=True)
            return
        try:
            async with self.services.db() as db, db.begin():
                done = await self._apply_setup(db, scope.actor, values)
        except Refused as refused:
            await show(turn_context, await self._setup_card(turn_context, errors=refused.errors, values=data),
                       replace=True)
            return
        self.services.actors.clear()  # links imply roles, cached with the actor
        await show(turn_context, await self._setup_card(turn_context, done=done), replace=True)

    async def _apply_setup(self, db, actor, values: dict[str, Any]) -> str:
        t = self.text
        setter = await actor_person(db, actor.user_id)
        picked: dict[str, Person] = {}
        errors: list[Prose] = []
        for field in ("worker", "line_manager", "peer_supervisor"):
            if values[field]:
                person = await resolve_pick(db, values[field], added_by=setter.id if setter else None)
                if person is None:
                    errors.append(t(f"people.errors.{field}"))  # text-key: people.errors.*
                else:
                    picked[field] = person
        if errors:
            raise Refused(errors)
        worker = picked["worker"]
        lead = None if actor.has_any(Role.ADMIN) else setter
        if lead is not None:
            # A peer lead sets up workers of their own organisation only.
            if not worker.organisation and not values["organisation"]:
                worker.organisation = lead.organisation
            if values["organisation"] and not same_text(values["organisation"], lead.organisation):
                raise Refused([t("people.errors.organisation_scope")])
        if not may_manage(actor, lead, worker):
            raise Refused([t("people.errors.worker_scope")])
        for field in ("team", "organisation", "start_date"):
            if values[field]:
                setattr(worker, field, values[field])
        today = await self.today(db, actor.user_id)
        lines = []
        for field in ("line_manager", "peer_supervisor"):
            other = picked.get(field)
            if other is None:
                continue
            if other.id == worker.id:
                raise Refused([t("people.errors.self", kind=self.kind(field))])
            link = await assign(db, worker=worker, other=other, kind=LinkKind(field), on=today,
                                set_by=setter.id if setter else None, now=self.services.now())
            key = "people.setup.same" if link is None else "people.setup.done"
            lines.append(t(key, worker=self.name(worker), other=self.name(other), kind=self.kind(field)))
        waiting = [p for p in {worker.id: worker, **{p.id: p for p in picked.values()}}.values() if p.user_id is None]
        if waiting:
            lines.append(t("people.setup.waiting", names=", ".join(self.name(p) for p in waiting)))
        return "\n\n".join(lines)

    # --- a worker naming their own ----------------------------------------------------------------

    async def request_form(self, turn_context: TurnContext, *, errors: list[Prose] | None = None,
                           values: dict[str, Any] | None = None) -> None:
        async with self.services.db() as db:
            people = await self.choices(db)
        values = values or {}
        await show(turn_context, self.content.card("people_request", {
            "error": "\n\n".join(errors or []), "people": people,
            "kind": values.get("kind") if isinstance(values.get("kind"), str) else "",
            "person": values.get("person") if isinstance(values.get("person"), str) else "",
            "kinds": [{"title": self.kind(k.value), "value": k.value} for k in LinkKind]}), replace=True)

    async def request_open(self, turn_context: TurnContext) -> None:
        await self.request_form(turn_context)

    async def request_save(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        data, t = scope.input.data, self.text
        raw_kind, value = data.get("kind"), data.get("person") or ""
        kind = raw_kind if isinstance(raw_kind, str) else ""
        errors: list[Prose] = []
        if kind not in LinkKind._value2member_map_:
            errors.append(t("people.errors.kind"))
        if not is_pick(value):
            errors.append(t("people.errors.person"))
        if errors:
            await self.request_form(turn_context, errors=errors, values=data)
            return
        try:
            async with self.services.db() as db, db.begin():
                me = await actor_person(db, scope.actor.user_id)
                other = await resolve_pick(db, value, added_by=me.id if me else None)
                if me is None or other is None:
                    raise Refused([t("people.errors.person")])
                if other.id == me.id:
                    raise Refused([t("people.errors.self", kind=self.kind(kind))])
                link = await request(db, worker=me, other=other, kind=LinkKind(kind),
                                     on=await self.today(db, scope.actor.user_id), now=self.services.now())
                name, reachable = self.name(other), other.user_id is not None
        except Refused as refused:
            await self.request_form(turn_context, errors=refused.errors, values=data)
            return
        if link is None:
            body = t("people.request.already", name=name, kind=self.kind(kind))
        else:
            body = t("people.request.sent" if reachable else "people.request.waiting", name=name, kind=self.kind(kind))
        await show(turn_context, self.notice("people.request.title", body), replace=True)
