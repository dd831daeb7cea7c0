"""People and the conversations the bot can write to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_changed
from storage.models import Conversation, User, utcnow


@dataclass(frozen=True)
class SeenUser:
    """What a turn tells us about the person speaking."""

    teams_id: str
    aad_object_id: str | None
    name: str
    tenant_id: str | None
    time_zone: str | None
    locale: str | None


@dataclass(frozen=True)
class SeenConversation:
    """What a turn tells us about where it happened."""

    id: str
    conversation_type: str
    tenant_id: str | None
    team_id: str | None
    name: str | None
    reference: dict[str, Any]


def is_zone(zone: object) -> bool:
    """Whether `zone` names an IANA time zone (and nothing else: no path, nothing overlong)."""
    if not isinstance(zone, str) or not 0 < len(zone) <= 64 or zone.startswith("/") or ".." in zone:
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_zone(zone: str | None, fallback: str) -> str:
    return zone if zone is not None and is_zone(zone) else fallback


async def zone_of(db: AsyncSession, user_id: str | None, fallback: str) -> str:
    """The zone a person's times are shown and reminded in: theirs from Teams, else `fallback`."""
    user = await db.get(User, user_id) if user_id else None
    return valid_zone(user.time_zone if user else None, fallback)


async def upsert_user(db: AsyncSession, seen: SeenUser, default_zone: str) -> User:
    """Create or refresh the person; a zone only overwrites the stored one when Teams sent one."""
    return (await record_user(db, seen, default_zone))[0]


async def record_user(db: AsyncSession, seen: SeenUser, default_zone: str) -> tuple[User, bool]:
    """`upsert_user`, also saying whether this call created the User (their first appearance)."""
    user = await db.scalar(select(User).where(User.teams_id == seen.teams_id))
    created = False
    if user is None:
        user = User(
            teams_id=seen.teams_id,
            aad_object_id=seen.aad_object_id,
            name=seen.name,
            tenant_id=seen.tenant_id,
            time_zone=seen.time_zone or default_zone,
            locale=seen.locale,
        )
        try:
            async with db.begin_nested():
                db.add(user)
            created = True
        except IntegrityError:
            # Another replica created the same person a moment ago.
            user = await db.scalar(select(User).where(User.teams_id == seen.teams_id))
            assert user is not None
    if seen.name and user.name != seen.name:
        user.name = seen.name
    if seen.aad_object_id and user.aad_object_id != seen.aad_object_id:
        user.aad_object_id = seen.aad_object_id
    if seen.tenant_id and user.tenant_id != seen.tenant_id:
        user.tenant_id = seen.tenant_id
    if seen.time_zone and user.time_zone != seen.time_zone:
        user.time_zone = seen.time_zone
    if seen.locale and user.locale != seen.locale:
        user.locale = seen.locale
    return user, created


async def upsert_conversation(
    db: AsyncSession, seen: SeenConversation, user: User | None
) -> Conversation:
    """Store the latest reference; a conversation we hear from again is active again."""
    conv = await db.get(Conversation, seen.id)
    if conv is None:
        conv = Conversation(id=seen.id, reference=seen.reference)
        try:
            async with db.begin_nested():
                db.add(conv)
        except IntegrityError:
            conv = await db.get(Conversation, seen.id)
            assert conv is not None
    conv.conversation_type = seen.conversation_type
    conv.tenant_id = seen.tenant_id or conv.tenant_id
    conv.team_id = seen.team_id or conv.team_id
    conv.name = seen.name or conv.name
    if conv.reference != seen.reference:
        conv.reference = seen.reference
    conv.active = True
    conv.inactive_reason = None
    if seen.conversation_type == "personal" and user is not None:
        conv.user_id = user.id
    return conv


async def mark_welcomed(db: AsyncSession, conversation_id: str) -> bool:
    """Record the welcome once; returns True only for the turn that should send it."""
    changed = await rows_changed(
        db,
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.welcomed_at.is_(None))
        .values(welcomed_at=utcnow())
    )
    return changed == 1


async def find_user_by_teams_id(db: AsyncSession, teams_id: str) -> User | None:
    return await db.scalar(select(User).where(User.teams_id == teams_id))


async def personal_conversation(db: AsyncSession, user_id: str) -> Conversation | None:
    """The newest active 1:1 chat with this person, if the app is installed for them."""
    return await db.scalar(
        select(Conversation)
        .where(
            Conversation.user_id == user_id,
            Conversation.conversation_type == "personal",
            Conversation.active.is_(True),
        )
        .order_by(Conversation.updated_at.desc())
        .limit(1)
    )


async def deactivate_conversation(db: AsyncSession, conversation_id: str, reason: str) -> None:
    await db.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(active=False, inactive_reason=reason[:100])
    )

