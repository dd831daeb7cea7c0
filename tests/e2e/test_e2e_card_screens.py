"""Screenshots of the main cards in the Agents Playground in Teams' light and dark themes, kept in
$E2E_ARTIFACTS/cards/<theme>/ (CI keeps that folder). See tests/e2e/themes.mjs for how the dark
theme reaches the Playground, and tests/e2e/test_e2e_playground.py for the bot + Playground."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.test_e2e_feedback import _seed_attendance
from tests.e2e.test_e2e_playground import PlaygroundRun, playground  # noqa: F401 - the fixture
from tests.shared.card_rules import load_themes, parse_colour

pytestmark = pytest.mark.e2e
CARDS = ["welcome", "menu", "sessions", "register", "feedback", "checkin"]


def _rgb(host_colour: str) -> tuple[int, ...]:
    return tuple(round(c * 255) for c in parse_colour(host_colour)[:3])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_main_cards_are_photographed_in_each_theme(playground: PlaygroundRun, tmp_path: Path,  # noqa: F811
                                                   monkeypatch: pytest.MonkeyPatch, theme: str) -> None:
    """Six cards, each saved as a PNG whose corners are the theme's card background (so the
    dark theme really reached the cards)."""
    monkeypatch.setenv("E2E_THEME", theme)  # the scenario's environment is built from ours
    result = playground.run_scenario_seeded("card_screens.mjs", lambda: _seed_attendance(tmp_path / "peerspace.db"))
    assert f"card_screens_{theme}: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
    shots = {png.stem.split("-", 1)[1]: png for png in (playground.artifacts / "cards" / theme).glob("*.png")}
    assert sorted(shots) == sorted(CARDS)
    background = _rgb(load_themes()[theme]["default"]["backgroundColor"])
    for name, png in shots.items():
        with Image.open(png) as image:
            rgb = image.convert("RGB")
            assert rgb.width > 200 and rgb.height > 60, (name, rgb.size)
            # The top corners: the Playground may still show its own grey "Your response was sent
            # to the app" bar across the foot of a card that a button just replaced.
            corners = {rgb.getpixel((3, 3)), rgb.getpixel((rgb.width - 4, 3))}
        assert corners == {background}, (name, corners, background)
