"""The bot promises only what it does (issue 10): the welcome card, "About and privacy", the
deletion cards and the Teams app listing name no feature that is not installed.

A feature still to come is listed here with the words that would promise it; when it is built
and installed (a `Feature` of that name in the registry), its words become allowed.
"""

from __future__ import annotations

import json

import pytest

from bot.package import load_content as load_listing
from tests.factories import ALICE

# Planned features (docs: DESIGN.md) and the words that would promise them.
NOT_YET = {
    "supervision": ("supervision", "co-reflection", "tripartite", "appraisal", "probation", "reviews are due"),
}


async def shown_to_a_newcomer(harness) -> dict[str, str]:
    """Every text of the cards and listing that say what the bot does, by where it is read."""
    await harness.install(ALICE)
    found = {"welcome": json.dumps(harness.connector.all_cards()[0])}
    await harness.say("about")
    found["about"] = json.dumps(harness.connector.sent[-1].cards[0])
    await harness.say("my data")
    found["my data"] = json.dumps(harness.connector.sent[-1].cards[0])
    found["deletion question"] = json.dumps((await harness.press("my_data.delete"))["value"])
    found["deletion notice"] = json.dumps((await harness.press("my_data.delete.confirm"))["value"])
    listing = load_listing(harness.components.content.root)
    found["app listing"] = json.dumps([listing["description"], listing["commands"]])
    return found


async def test_nothing_promises_a_feature_that_is_not_installed(harness):
    installed = {feature.name for feature in harness.components.registry.features}
    found = await shown_to_a_newcomer(harness)
    assert "Your data has been deleted" in found["deletion notice"], "the path reached the notice"
    promised = [(where, word) for feature, words in NOT_YET.items() if feature not in installed
                for where, text in found.items() for word in words if word in text.lower()]
    assert promised == []


@pytest.mark.parametrize("feature", ["checkins"])
async def test_what_is_installed_is_described(harness, feature):
    installed = {f.name for f in harness.components.registry.features}
    assert feature in installed
    found = await shown_to_a_newcomer(harness)
    for where in ("welcome", "about", "app listing"):
        assert "check-in" in found[where].lower(), where
