"""What the bot holds about one person, and forgetting it on request.

Each feature registers a `PersonalDataSource`; "my data" lists and deletes through all of them,
so a new feature cannot forget to honour the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


# Built once (see storage/feedback/responses.py): chats and pending messages counted in one statement.
_COUNTS = select(
    select(func.count()).select_from(Conversation).where(Conversation.user_id == bindparam("user_id"))
    .scalar_subquery(),
    select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == bindparam("user_id"), OutboxMessage.status == OutboxStatus.PENDING).scalar_subquery(),
)
_ROLES = select(RoleGrant.role).where(RoleGrant.aad_object_id == bindparam("aad_object_id"))


def _profile(configured: ConfiguredRoles) -> PersonalDataSource:
    """The person themselves: what Teams told us, their chats, roles and waiting messages."""

    async def describe(db: AsyncSession, user: User) -> list[DataItem]:
        chats, pending = (await db.execute(_COUNTS, {"user_id": user.id})).one()
        aad = (user.aad_object_id or "").lower()
        roles = await db.scalars(_ROLES, {"aad_object_id": aad})
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

    def register(self, source: PersonalDataSource, *, before: str | None = None) -> None:
        """Add a source; `before` names one already registered that must erase after it (for
        example "people", which deletes the Person row by which a feature finds its own rows)."""
        if any(s.name == source.name for s in self._sources):
            raise ValueError(f"personal data source {source.name!r} registered twice")
        names = [s.name for s in self._sources]
        if before is not None and before not in names:
            raise ValueError(f"personal data source {before!r} is not registered")
        self._sources.insert(names.index(before) if before is not None else len(names), source)

    @property
    def sources(self) -> list[PersonalDataSource]:
        return [*self._sources, self._profile]

    async def describe(self, db: AsyncSession, user: User) -> list[DataItem]:
        items: list[DataItem] = []
        for source in self.sources:
            items.extend(await source.describe(db, user))
        return items

    async def erase(self, db: AsyncSession, user: User) -> None:
        for source in self.sources:
            await source.erase(db, user)
