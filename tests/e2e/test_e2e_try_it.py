"""Browser end-to-end: the README's "Try it" walkthrough in the Agents Playground, timed (see
tests/e2e/test_e2e_playground.py for the bot + Playground fixture)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_e2e_playground import PlaygroundRun, playground  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
# The promise: registration, attendance, feedback and a feedback report within two minutes.
LIMIT_SECONDS = 120


def test_a_newcomer_sees_every_feature_from_sample_data_within_two_minutes(playground: PlaygroundRun) -> None:  # noqa: F811
    result = playground.run_scenario("try_it.mjs")
    assert "try_it: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
    took = float(re.search(r"walkthrough: ([\d.]+) s", result.stdout).group(1))
    print(f"walkthrough took {took:.1f} s")
    assert took < LIMIT_SECONDS, f"the walkthrough took {took:.1f} s"
