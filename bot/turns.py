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


def channel_id_of(conversation_id: str) -> str:
    """A team channel's own id: a channel message's conversation id names its thread too
    (";messageid=..."), and a proactive send there would be a reply buried in that thread."""
    return conversation_id.split(";messageid=", 1)[0]


def channel_name_of(activity: Activity, channel_id: str) -> str | None:
    """The name Teams gives a team channel, with its team's: "Team › Channel", or the team's
    name alone for its General channel (whose id is the team's). Teams sends names only on some
    events (the bot added to a team, a channel created or renamed), so None is common."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team: dict[str, Any] = data["team"] if isinstance(data.get("team"), dict) else {}
    channel: dict[str, Any] = data["channel"] if isinstance(data.get("channel"), dict) else {}
    team_name = printable(team["name"]) if isinstance(team.get("name"), str) else ""
    if channel.get("id") == channel_id and isinstance(channel.get("name"), str) and printable(channel["name"]):
        return f"{team_name} › {printable(channel['name'])}" if team_name else printable(channel["name"])
    if team.get("id") == channel_id and team_name:
        return team_name
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
        time_zone_of(activity), conv and conv.id and channel_name_of(activity, channel_id_of(conv.id)),
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
    conv_id, name = conv.id, printable(conv.name or "")
    if conv.conversation_type == "channel":
        conv_id = channel_id_of(conv.id)
        reference.setdefault("conversation", {})["id"] = conv_id
        name = name or channel_name_of(activity, conv_id) or ""
    return SeenConversation(
        id=conv_id[:300],
        conversation_type=(conv.conversation_type or "personal")[:20],
        tenant_id=tenant,
        team_id=team_of(activity),
        name=name[:200] or None,
        reference=reference,
    )
