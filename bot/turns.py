"""Reading who and where a turn comes from, from the activity Teams sent."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from dialogs.shared.inputs import printable
from storage.users import SeenConversation, SeenUser, is_zone


def tenant_of(activity: Activity) -> str | None:
    """Teams puts the tenant in channelData.tenant.id (botbuilder drops conversation.tenantId)."""
    data = activity.channel_data
    if isinstance(data, dict):
        tenant = data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
            return tenant["id"]
    conv = activity.conversation
    return getattr(conv, "tenant_id", None) if conv else None


def team_of(activity: Activity) -> str | None:
    data = activity.channel_data
    if isinstance(data, dict) and isinstance(data.get("team"), dict):
        team_id = data["team"].get("id")
        return team_id if isinstance(team_id, str) else None
    return None


def time_zone_of(activity: Activity) -> str | None:
    """The IANA zone Teams reports for the sender (clientInfo entity or localTimezone), if valid."""
    candidates: list[Any] = [getattr(activity, "local_timezone", None)]
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) == "clientInfo":
            candidates.append((props or {}).get("timezone"))
    return next((zone for zone in candidates if is_zone(zone)), None)


def fingerprint(activity: Activity) -> tuple[Any, ...]:
    """Everything `seen_user` and `seen_conversation` read, as plain values: when it is unchanged
    since the last turn, so is what they would store, and building the conversation reference
    (an msrest serialisation) can be skipped."""
    sender, bot, conv = activity.from_property, activity.recipient, activity.conversation
    return (
        activity.channel_id, activity.service_url, activity.locale, tenant_of(activity), team_of(activity),
        time_zone_of(activity),
        sender and (sender.id, sender.name, sender.aad_object_id, sender.role, sender.properties),
        bot and (bot.id, bot.name, bot.aad_object_id, bot.role, bot.properties),
        conv and (conv.id, conv.name, conv.conversation_type, conv.is_group, conv.tenant_id, conv.role,
                  conv.aad_object_id, conv.properties),
    )


def seen_user(activity: Activity) -> SeenUser | None:
    sender = activity.from_property
    if sender is None or not sender.id or activity.recipient and sender.id == activity.recipient.id:
        return None
    return SeenUser(
        teams_id=sender.id[:200],
        aad_object_id=(sender.aad_object_id or None) and sender.aad_object_id[:64],
        name=printable(sender.name or "")[:200],
        tenant_id=tenant_of(activity),
        time_zone=time_zone_of(activity),
        locale=(activity.locale or None) and activity.locale[:20],
    )


def seen_conversation(activity: Activity) -> SeenConversation | None:
    conv = activity.conversation
    if conv is None or not conv.id:
        return None
    tenant = tenant_of(activity)
    reference = TurnContext.get_conversation_reference(activity).serialize()
    # Without an activity id, proactive sends start a new message instead of a reply thread.
    reference.pop("activityId", None)
    if tenant:
        # Stored ourselves so proactive sends can name the tenant (see bot/messenger.py).
        reference.setdefault("conversation", {})["tenantId"] = tenant
    return SeenConversation(
        id=conv.id[:300],
        conversation_type=(conv.conversation_type or "personal")[:20],
        tenant_id=tenant,
        team_id=team_of(activity),
        name=printable(conv.name or "")[:200] or None,
        reference=reference,
    )
