"""What the bot holds about one person, and forgetting it on request.

Each feature registers a `PersonalDataSource`; "my data" lists and deletes through all of them,
so a new feature cannot forget to honour the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import json_rows, rows_of
from storage.models import Conversation, OutboxMessage, OutboxStatus, RoleGrant, User
from storage.outbox import delete_for_user
from storage.roles import ConfiguredRoles, Role


@dataclass(frozen=True)
class DataItem:
    """One line of the "my data" card: a content key for the label, and its values.

    `value_prefix`, when set, names a content section whose entries label each value
    (for example role ids shown by their plain-English names).
    """

    label_key: str
    values: tuple[str, ...]
    value_prefix: str | None = None


@dataclass(frozen=True)
class PersonalDataSource:
    name: str
    describe: Callable[[AsyncSession, User], Awaitable[list[DataItem]]]
    erase: Callable[[AsyncSession, User], Awaitable[None]]


@cache
def _held(dialect: str) -> Select:
    """Chats and pending messages counted, and the roles granted (storage/dialect.py json_rows), in
    one statement built once per database kind."""
    chats, outbox, grants = Conversation.__table__, OutboxMessage.__table__, RoleGrant.__table__
    return select(
        select(func.count()).select_from(chats).where(chats.c.user_id == bindparam("user_id")).scalar_subquery(),
        select(func.count()).select_from(outbox).where(
            outbox.c.user_id == bindparam("user_id"), outbox.c.status == OutboxStatus.PENDING).scalar_subquery(),
        json_rows(dialect, select(grants.c.role).where(grants.c.aad_object_id == bindparam("aad_object_id")), "role"),
    )


def _profile(configured: ConfiguredRoles) -> PersonalDataSource:
    """The person themselves: what Teams told us, their chats, roles and waiting messages."""

    async def describe(db: AsyncSession, user: User) -> list[DataItem]:
        aad = (user.aad_object_id or "").lower()
        chats, pending, granted = (await db.execute(_held(db.get_bind().dialect.name),
                                                    {"user_id": user.id, "aad_object_id": aad})).one()
        roles = [role for role, in rows_of(granted)]
        named = [r.value for r, ids in ((Role.ADMIN, configured.admins), (Role.FACILITATOR, configured.facilitators))
                 if aad and aad in ids]
        return [
            DataItem("name", (user.name,) if user.name else ()),
            DataItem("account", tuple(v for v in (user.teams_id, user.aad_object_id, user.tenant_id) if v)),
            DataItem("time_zone", (user.time_zone,)),
            DataItem("locale", (user.locale,) if user.locale else ()),
            DataItem("first_seen", (user.created_at.date().isoformat(),)),
            DataItem("chats", (str(chats or 0),)),
            DataItem("granted_roles", tuple(sorted(roles)), value_prefix="roles"),
            DataItem("configured_roles", tuple(named), value_prefix="roles"),
            DataItem("pending_messages", (str(pending or 0),)),
        ]

    async def erase(db: AsyncSession, user: User) -> None:
        await delete_for_user(db, user.id)
        await db.execute(delete(Conversation).where(Conversation.user_id == user.id))
        if user.aad_object_id:  # roles given to them go with them; configured ones live in settings
            await db.execute(delete(RoleGrant).where(RoleGrant.aad_object_id == user.aad_object_id.lower()))
        await db.delete(user)

    return PersonalDataSource("profile", describe, erase)


class PersonalDataRegistry:
    """Sources in registration order; the profile always goes last so foreign keys hold.

    `configured` names the roles settings give people, listed (but not deletable) as such.
    """

    def __init__(self, configured: ConfiguredRoles | None = None) -> None:
        self._sources: list[PersonalDataSource] = []
        self._profile = _profile(configured or ConfiguredRoles.of([], []))

    def register(self, source: PersonalDataSource) -> None:
        if any(s.name == source.name for s in self._sources):
            raise ValueError(f"personal data source {source.name!r} registered twice")
        self._sources.append(source)

    @property
    def sources(self) -> list[PersonalDataSource]:
        return [*self._sources, self._profile]

    async def describe(self, db: AsyncSession, user: User) -> list[DataItem]:
        items: list[DataItem] = []
        for source in self.sources:
            items.extend(await source.describe(db, user))
        return items

    async def erase(self, db: AsyncSession, user: User) -> None:
        # Latest registered first: features built on others (supervision on people, feedback on
        # sessions) find the person and rows they erase by before those are erased; the profile last.
        for source in [*reversed(self._sources), self._profile]:
            await source.erase(db, user)
