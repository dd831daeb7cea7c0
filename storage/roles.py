"""Who may do what. Plain rules; every feature action asks here before it changes anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_changed
from storage.models import RoleGrant, User
from storage.people.repository import implied_roles


class Role(str, Enum):
    WORKER = "worker"
    PEER_SUPERVISOR = "peer_supervisor"
    LINE_MANAGER = "line_manager"
    PEER_LEAD = "peer_lead"  # runs co-reflection groups, sets up who supports whom, sees overdue peer supervision
    FACILITATOR = "facilitator"
    ADMIN = "admin"


# The roles that run sessions and read their feedback: every facilitator action asks for one of them.
FACILITATORS = (Role.FACILITATOR, Role.ADMIN)


class NotPermitted(PermissionError):
    """The actor lacks every role the action allows, or the action is one nobody may take
    (granting oneself a role); nothing was changed. `roles` are those that would allow it, so the
    person can be told whom to ask; empty when no role would."""

    def __init__(self, roles: tuple[Role, ...] = (), *, reason: str = "role") -> None:
        super().__init__(f"{reason}: {', '.join(r.value for r in roles) or '-'}")
        self.roles = roles
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    """The person behind a turn, with the roles they hold right now."""

    user_id: str
    aad_object_id: str | None
    roles: frozenset[Role]

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def require(self, *roles: Role) -> None:
        if not self.has_any(*roles):
            raise NotPermitted(roles)


@dataclass(frozen=True)
class ConfiguredRoles:
    """Admins and facilitators named in configuration (AAD object ids)."""

    admins: frozenset[str]
    facilitators: frozenset[str]

    @classmethod
    def of(cls, admins: Iterable[str], facilitators: Iterable[str]) -> "ConfiguredRoles":
        return cls(frozenset(a.lower() for a in admins), frozenset(f.lower() for f in facilitators))


async def roles_of(db: AsyncSession, aad_object_id: str | None, configured: ConfiguredRoles) -> frozenset[Role]:
    """Configured roles plus granted ones. Without an AAD id a person holds no role."""
    if not aad_object_id:
        return frozenset()
    aad = aad_object_id.lower()
    roles: set[Role] = set()
    if aad in configured.admins:
        roles.add(Role.ADMIN)
    if aad in configured.facilitators:
        roles.add(Role.FACILITATOR)
    # Granted roles and those a person's active relationships imply, in one statement.
    granted = await db.scalars(select(RoleGrant.role).where(RoleGrant.aad_object_id == aad)
                               .union_all(implied_roles(aad)))
    roles.update(Role(r) for r in granted if r in Role._value2member_map_)
    return frozenset(roles)


async def grant(db: AsyncSession, *, actor: Actor, aad_object_id: str, role: Role) -> bool:
    """Admins grant roles to others; nobody grants themselves one. True if newly granted."""
    actor.require(Role.ADMIN)
    if actor.aad_object_id and actor.aad_object_id.lower() == aad_object_id.lower():
        raise NotPermitted(reason="self-grant")
    try:
        async with db.begin_nested():
            db.add(RoleGrant(aad_object_id=aad_object_id.lower(), role=role.value,
                             granted_by=(actor.aad_object_id or actor.user_id).lower()))
        return True
    except IntegrityError:
        return False


async def revoke(db: AsyncSession, *, actor: Actor, aad_object_id: str, role: Role) -> bool:
    actor.require(Role.ADMIN)
    changed = await rows_changed(
        db,
        delete(RoleGrant).where(RoleGrant.aad_object_id == aad_object_id.lower(), RoleGrant.role == role.value)
    )
    return bool(changed)


async def still_facilitator(db: AsyncSession, user_id: str, configured_roles: ConfiguredRoles) -> bool:
    """Whether the person an export link was made for holds the facilitator or admin role now
    (a link outlives the card it came from; a role taken away must stop it)."""
    user = await db.get(User, user_id)
    roles = await roles_of(db, user.aad_object_id if user else None, configured_roles)
    return bool(roles.intersection(FACILITATORS))
