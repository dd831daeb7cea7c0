"""Finished cards (bound, fallbacks added, plain JSON) go out without a second walk or a copy,
and what the connector receives is exactly what it received when every card took the slow path."""

from __future__ import annotations

import copy
import json

from dialogs.shared import content as content_module
from dialogs.shared.cards import card_activity
from dialogs.shared.templating import FinishedCard
from tests.factories import ALICE


def _sent_json(harness, since: int) -> list[str]:
    """What the connector received after `since`, without the ids that differ per send."""
    bodies = []
    for sent in harness.connector.sent[since:]:
        body = {k: v for k, v in sent.activity.items() if k not in ("replyToId", "id", "timestamp")}
        bodies.append(json.dumps(body))
    return bodies


async def _menu_and_my_data(harness) -> list[str]:
    since = len(harness.connector.sent)
    await harness.say("help", ALICE)
    await harness.say("my data", ALICE)
    await harness.say("keep", ALICE)  # leave the my-data prompt, so the next run starts alike
    return _sent_json(harness, since)


async def test_connector_receives_the_same_json_as_on_the_slow_path(harness, monkeypatch):
    await harness.say("hello", ALICE)
    components = harness.components
    finished = await _menu_and_my_data(harness)
    assert all(type(c) is FinishedCard for c in components.bot._menu._menus.values())  # noqa: SLF001
    # The slow path: cards as plain dicts, walked for fallbacks and copied for msrest again.
    monkeypatch.setattr(content_module, "FinishedCard", dict)
    components.content._bound.clear()  # noqa: SLF001
    components.bot._menu._menus.clear()  # noqa: SLF001
    slow = await _menu_and_my_data(harness)
    assert type(components.content.card("menu", {"entries": []})) is dict
    assert len(finished) == len(slow) >= 2
    assert any('"Action.Submit"' in body for body in finished), "the menu carries its fallbacks"
    assert finished == slow


async def test_sending_the_shared_menu_leaves_it_unchanged(harness):
    await harness.say("help", ALICE)
    menus = harness.components.bot._menu._menus  # noqa: SLF001
    (shared,) = menus.values()
    encoded = json.dumps(shared)
    await harness.say("help", ALICE)
    await harness.say("menu", ALICE)
    (again,) = menus.values()
    assert again is shared, "the menu is the one shared card, not a copy per turn"
    assert json.dumps(shared) == encoded
    cards = [s.cards[0] for s in harness.connector.sent if s.cards]
    assert cards[-1] == cards[-2] == json.loads(encoded)


def test_finished_card_is_sent_as_it_is():
    card = FinishedCard({"type": "AdaptiveCard", "version": "1.5", "body": [],
                         "actions": [{"type": "Action.Execute", "title": "Go", "verb": "x",
                                      "data": {"verb": "x"}, "fallback": {"type": "Action.Submit"}}]})
    snapshot = json.dumps(card)
    activity = card_activity(card)
    assert activity.attachments[0].content is card
    assert copy.deepcopy(activity).attachments[0].content is card  # botbuilder's copy of each send
    assert json.dumps(card) == snapshot


def test_only_plain_json_cards_are_finished():
    from pathlib import Path

    from dialogs.shared.content import Content
    from dialogs.shared.templating import Prose

    template = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "${t}"}],
                "actions": [{"type": "Action.Execute", "title": "Go", "verb": "x", "data": {"n": "${n}"}}]}
    content = Content(root=Path("unused"), cards={"t": template})
    finished = content.card("t", {"t": Prose("**Hi**"), "n": 1.5})
    assert type(finished) is FinishedCard
    assert type(finished["body"][0]["text"]) is str, "decoded: prose is a plain string on the way out"
    assert finished["actions"][0]["fallback"]["data"] == {"n": 1.5, "verb": "x"}
    assert content.card("t", {"t": "a", "n": 1.5}) is not content.card("t", {"t": "a", "n": 1.5})
    not_json = content.card("t", {"t": "a", "n": float("nan")})
    assert type(not_json) is not FinishedCard, "NaN is not JSON: msrest sends such a card as before"
