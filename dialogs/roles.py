"""Administrators give and remove roles from a card. Every submission is validated first."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import select

from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.models import RoleGrant, User
from storage.roles import NotPermitted, Role, grant, revoke

# Caps keep the card well under Teams' 80 KB limit however large the workforce grows.
MAX_PEOPLE = 150
MAX_GRANTS_SHOWN = 60


class RolesActions:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    async def show(self, turn_context: TurnContext) -> None:
        scope_of(turn_context).actor.require(Role.ADMIN)
        await show(turn_context, await self._card(), replace=True)

    async def grant(self, turn_context: TurnContext) -> None:
        await self._change(turn_context, granting=True)

    async def revoke(self, turn_context: TurnContext) -> None:
        await self._change(turn_context, granting=False)

    async def _change(self, turn_context: TurnContext, *, granting: bool) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(Role.ADMIN)
        text = self._services.content.text
        data = scope.input.data
        person_id, role_value = data.get("person"), data.get("role")
        if role_value not in Role._value2member_map_:
            await show(turn_context, await self._card(error=text("roles_admin.unknown_role"), values=data), replace=True)
            return
        role = Role(role_value)
        async with self._services.db() as db, db.begin():
            person = await db.get(User, person_id) if isinstance(person_id, str) else None
            if person is None or not person.aad_object_id:
                error: str = text("roles_admin.unknown_person")
            else:
                try:
                    change = grant if granting else revoke
                    changed = await change(db, actor=scope.actor, aad_object_id=person.aad_object_id, role=role)
                    error = ""
                except NotPermitted:
                    error = text("roles_admin.self_change")
        if error or person is None:
            await show(turn_context, await self._card(error=error, values=data), replace=True)
            return
        self._services.actors.clear()  # roles are cached with the actor: apply the change now
        key = ("granted" if changed else "already") if granting else ("revoked" if changed else "not_held")
        message = text(f"roles_admin.{key}", name=person.name, role=text(f"roles.{role.value}"))
        await show(turn_context, await self._card(confirmation=message), replace=True)

    async def _card(self, *, error: str = "", confirmation: str = "", values: dict[str, Any] | None = None):
        text = self._services.content.text
        values = values or {}
        async with self._services.db() as db:
            people = (await db.scalars(
                select(User).where(User.aad_object_id.is_not(None)).order_by(User.name).limit(MAX_PEOPLE))).all()
            grants = (await db.scalars(select(RoleGrant).order_by(RoleGrant.aad_object_id))).all()
            # Names for grantees beyond the first MAX_PEOPLE, so the list never shows raw ids.
            named = {u.aad_object_id: u.name for u in (await db.scalars(
                select(User).where(User.aad_object_id.in_({g.aad_object_id for g in grants})))).all()}
        by_person: dict[str, list[str]] = defaultdict(list)
        for g in grants:
            by_person[named.get(g.aad_object_id) or text("roles_admin.unknown_name")].append(text(f"roles.{g.role}"))
        shown = sorted(by_person.items())[:MAX_GRANTS_SHOWN]
        hidden = len(by_person) - len(shown)
        return self._services.content.card("roles", {
            "error": error,
            "confirmation": confirmation,
            "person": values.get("person", "") if isinstance(values.get("person"), str) else "",
            "role": values.get("role", "") if isinstance(values.get("role"), str) else "",
            "people": [{"name": p.name or "-", "id": p.id} for p in people],
            "roles": [{"title": text(f"roles.{r.value}"), "value": r.value} for r in Role],
            "grants": [{"name": n, "roles": ", ".join(r)} for n, r in shown]
            or [{"name": text("roles_admin.none_yet"), "roles": text("my_data.none")}],
            "more": text("roles_admin.more", count=hidden) if hidden else "",
        })


def roles_feature(services: BotServices) -> Feature:
    actions = RolesActions(services)
    return Feature(
        name="roles",
        menu=[MenuEntry("roles", "roles.show", order=990, roles=(Role.ADMIN,))],
        actions={"roles.show": actions.show, "roles.grant": actions.grant, "roles.revoke": actions.revoke},
        cards=["roles"],
    )


def install(ctx: FeatureContext) -> None:
    ctx.registry.add(roles_feature(ctx.services))
