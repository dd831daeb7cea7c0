"""Teams-shaped activities for tests: what Teams (or the Agents Playground) would POST to us."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

_ids = itertools.count(1)
BOT_ID = "28:peerspace-bot"
TENANT = "tenant-0001"


@dataclass(frozen=True)
class Person:
    teams_id: str
    aad: str
    name: str

    @property
    def conversation_id(self) -> str:
        return f"a:personal-{self.teams_id}"


ALICE = Person("29:alice", "aad-alice", "Alice Example")
BOB = Person("29:bob", "aad-bob", "Bob Example")
FACILITATOR = Person("29:fran", "aad-fran", "Fran Facilitator")


def _base(kind: str, person: Person, service_url: str, *, conversation_id: str | None = None,
          conversation_type: str = "personal", tenant: str | None = TENANT) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "id": f"act-{next(_ids)}",
        "timestamp": "2026-11-23T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": person.teams_id, "name": person.name, "aadObjectId": person.aad},
        "recipient": {"id": BOT_ID, "name": "PeerSpace"},
        "conversation": {"id": conversation_id or person.conversation_id, "conversationType": conversation_type},
        "locale": "en-GB",
        "entities": [{"type": "clientInfo", "locale": "en-GB", "timezone": "Europe/London"}],
    }
    if tenant:
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


def message(text: str, person: Person = ALICE, *, service_url: str, **kw: Any) -> dict[str, Any]:
    activity = _base("message", person, service_url, **kw)
    activity["text"] = text
    return activity


def submit(verb: str, data: dict[str, Any] | None = None, person: Person = ALICE, *, service_url: str,
           **kw: Any) -> dict[str, Any]:
    """The Action.Submit fallback: a message whose value carries the verb."""
    activity = _base("message", person, service_url, **kw)
    activity["value"] = {"verb": verb, **(data or {})}
    return activity


def execute(verb: str, data: dict[str, Any] | None = None, person: Person = ALICE, *, service_url: str,
            **kw: Any) -> dict[str, Any]:
    """Universal Action: an invoke named adaptiveCard/action."""
    activity = _base("invoke", person, service_url, **kw)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **(data or {})}},
                         "trigger": "manual"}
    return activity


def installation_update(person: Person = ALICE, *, service_url: str, **kw: Any) -> dict[str, Any]:
    activity = _base("installationUpdate", person, service_url, **kw)
    activity["action"] = "add"
    return activity


def bot_added(person: Person = ALICE, *, service_url: str, **kw: Any) -> dict[str, Any]:
    activity = _base("conversationUpdate", person, service_url, **kw)
    activity["membersAdded"] = [{"id": BOT_ID}]
    return activity


def channel_created(person: Person = ALICE, *, service_url: str, **kw: Any) -> dict[str, Any]:
    """A channel event: a team member created a channel in a team the bot is in."""
    activity = _base("conversationUpdate", person, service_url, conversation_id="19:general@thread.tacv2",
                     conversation_type="channel", **kw)
    activity.setdefault("channelData", {}).update({
        "eventType": "channelCreated", "channel": {"id": "19:new@thread.tacv2", "name": "New"},
        "team": {"id": "19:team@thread.tacv2", "name": "Team"}})
    return activity
