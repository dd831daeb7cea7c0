"""What the bot holds about one person, and forgetting it on request.

Each feature registers a `PersonalDataSource`; "my data" lists and deletes through all of them,
so a new feature cannot forget to honour the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.dialect import json_rows, rows_of
from storage.fastpath import Prepared, driver_connection
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
    """One feature's part of "my data".

    `held(dialect)` is a SELECT (built once per database kind) giving at most one row, bound only
    by `user_id` (the person's users.id), `now` and the names in `params(now)`, which must be the
    source's own. "My data" reads every source's statement in one statement, one database round
    (`PersonalDataRegistry.describe`); `items(row, user)` turns the source's columns of that row
    (all None when its statement found no row) into the card's lines, without further reads.
    """

    name: str
    held: Callable[[str], Select]
    items: Callable[[Sequence[Any], User], list[DataItem]]
    erase: Callable[[AsyncSession, User], Awaitable[None]]
    params: Callable[[datetime], dict[str, Any]] | None = None


@cache
def _held(dialect: str) -> Select:
    """Chats and pending messages counted, and the roles granted (storage/dialect.py json_rows)."""
    chats, outbox, grants, users = (Conversation.__table__, OutboxMessage.__table__, RoleGrant.__table__,
                                    User.__table__)
    # Grants are kept under the lower-cased directory id (storage/roles.py).
    aad = select(func.lower(users.c.aad_object_id)).where(users.c.id == bindparam("user_id")).scalar_subquery()
    return select(
        select(func.count()).select_from(chats).where(chats.c.user_id == bindparam("user_id")).scalar_subquery(),
        select(func.count()).select_from(outbox).where(
            outbox.c.user_id == bindparam("user_id"), outbox.c.status == OutboxStatus.PENDING).scalar_subquery(),
        json_rows(dialect, select(grants.c.role).where(grants.c.aad_object_id == aad), "role"),
    )


def _profile(configured: ConfiguredRoles) -> PersonalDataSource:
    """The person themselves: what Teams told us, their chats, roles and waiting messages."""

    def items(row: Sequence[Any], user: User) -> list[DataItem]:
        chats, pending, granted = row
        aad = (user.aad_object_id or "").lower()
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
        # Roles they gave others stay with those people, without saying who gave them.
        granters = [v.lower() for v in (user.aad_object_id, user.id) if v]
        await db.execute(update(RoleGrant).where(RoleGrant.granted_by.in_(granters)).values(granted_by=""))
        await db.delete(user)

    return PersonalDataSource("profile", _held, items, erase)


class PersonalDataRegistry:
    """Sources in registration order; the profile always goes last so foreign keys hold.

    `configured` names the roles settings give people, listed (but not deletable) as such.
    """

    def __init__(self, configured: ConfiguredRoles | None = None) -> None:
        self._sources: list[PersonalDataSource] = []
        self._profile = _profile(configured or ConfiguredRoles.of([], []))
        self._prepared: dict[AsyncEngine, Prepared] = {}
        self._widths: list[int] = []  # each source's columns, in order (the same on every engine)

    def register(self, source: PersonalDataSource) -> None:
        if any(s.name == source.name for s in self._sources):
            raise ValueError(f"personal data source {source.name!r} registered twice")
        self._sources.append(source)
        self._prepared.clear()

    @property
    def sources(self) -> list[PersonalDataSource]:
        return [*self._sources, self._profile]

    def statement(self, dialect: str) -> Select:
        """The user's row and every source's row side by side, in one statement: each source's
        SELECT as a derived table joined on true (a source without a row gives NULLs)."""
        users = User.__table__
        parts = [source.held(dialect).subquery(f"held_{n}") for n, source in enumerate(self.sources)]
        statement = select(*users.c, *(column for part in parts for column in part.c)).select_from(users)
        for part in parts:
            statement = statement.outerjoin(part, true())
        return statement.where(users.c.id == bindparam("user_id"))

    async def describe(self, engine: AsyncEngine, user_id: str, now: datetime) -> list[DataItem]:
        """Every line of "my data" for the user (none if the bot does not know them), read in one
        statement on the driver's connection (storage/fastpath.py)."""
        prepared = self._prepared.get(engine)
        if prepared is None:
            prepared = self._prepared[engine] = Prepared(engine, self.statement(engine.dialect.name))
            self._widths = [len(source.held(engine.dialect.name).selected_columns) for source in self.sources]
        params: dict[str, Any] = {"user_id": user_id, "now": now}
        for source in self.sources:
            for name, value in (source.params(now) if source.params else {}).items():
                if name in params and params[name] != value:
                    raise ValueError(f"personal data source {source.name!r}: parameter {name!r} is taken")
                params[name] = value
        async with driver_connection(engine) as driver:
            rows = await driver.fetch(prepared, **params)
        if not rows:
            return []
        row, columns = rows[0], User.__table__.columns.keys()
        user = User(**dict(zip(columns, row)))  # never added to a session: read only
        items: list[DataItem] = []
        at = len(columns)
        for source, width in zip(self.sources, self._widths):
            items.extend(source.items(row[at:at + width], user))
            at += width
        return items

    async def erase(self, db: AsyncSession, user: User) -> None:
        # Latest registered first: features built on others (supervision on people, feedback on
        # sessions) find the person and rows they erase by before those are erased; the profile last.
        for source in [*reversed(self._sources), self._profile]:
            await source.erase(db, user)
