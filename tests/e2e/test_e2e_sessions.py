"""Browser end-to-end test of sessions in the Agents Playground: browse, register, confirmation.

Reuses the bot + Playground fixture of tests/e2e/test_e2e_playground.py (skips without the tools,
fails instead under REQUIRE_E2E=1).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e_playground import PlaygroundRun, playground  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def test_browse_register_and_confirmation(playground: PlaygroundRun) -> None:  # noqa: F811
    result = playground.run_scenario("sessions_register.mjs")
    assert "sessions_register: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
