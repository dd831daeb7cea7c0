"""Announcing to team channels (issue 10): channels are named as Teams names them, the card says
how to make a missing channel appear, and sending to nobody is said plainly, never as a success."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Conversation, OutboxMessage
from tests import factories
from tests.factories import FACILITATOR
from tests.sessions.test_sessions_register import card_of, count, first_session, nodes, texts

TEAM = "19:team-general@thread.tacv2"


def channel_choices(card) -> dict[str, str]:
    [box] = [n for n in nodes(card) if n.get("id") == "channels"]
    return {c["value"]: c["title"] for c in box["choices"]}


async def test_the_team_and_channel_names_teams_gives_are_shown(harness):
    sid = await first_session(harness)
    added = factories.bot_added(FACILITATOR, service_url=harness.connector.url, conversation_id=TEAM,
                                conversation_type="channel")
    added["channelData"].update({"eventType": "teamMemberAdded", "team": {"id": TEAM, "name": "Peer Leads"}})
    await harness.post(added)
    mention = factories.message("hello", FACILITATOR, service_url=harness.connector.url,
                                conversation_id="19:wards@thread.tacv2;messageid=1700000000000",
                                conversation_type="channel")
    mention["channelData"].update({"team": {"id": TEAM, "name": "Peer Leads"},
                                   "channel": {"id": "19:wards@thread.tacv2", "name": "Ward leads"}})
    await harness.post(mention)
    card = await card_of(harness, "sessions.announce", {"session_id": sid}, FACILITATOR)
    assert channel_choices(card) == {TEAM: "Peer Leads › General", "19:wards@thread.tacv2": "Peer Leads › Ward leads"}
    assert "@mention PeerSpace" in texts(card) and "Add to a team" in texts(card)
    async with harness.components.services.db() as db:
        wards = await db.get(Conversation, "19:wards@thread.tacv2")
    assert wards.reference["conversation"]["id"] == "19:wards@thread.tacv2", "a new post, not a thread reply"


async def test_a_channel_teams_has_not_named_says_so(harness):
    sid = await first_session(harness)
    await harness.post(factories.message("hi", FACILITATOR, service_url=harness.connector.url,
                                         conversation_id="19:quiet@thread.tacv2", conversation_type="channel"))
    card = await card_of(harness, "sessions.announce", {"session_id": sid}, FACILITATOR)
    assert channel_choices(card) == {"19:quiet@thread.tacv2": "A channel whose name Teams has not told me yet"}


async def test_sending_to_nobody_is_not_reported_as_sent(harness):
    sid = await first_session(harness)  # nobody has asked for news yet
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.announce.send", {"session_id": sid, "subscribers": "true"}, FACILITATOR)
    assert "Nothing was sent: nobody has asked to hear about new sessions yet" in texts(card)
    assert "queued" not in texts(card)
    assert card["body"][0]["text"].startswith("Announce"), "the announce form stays, to choose again"
    assert await count(harness, OutboxMessage, OutboxMessage.kind == "session_announcement") == 0
    async with harness.components.services.db() as db:
        assert list(await db.scalars(select(OutboxMessage.kind))) == []
