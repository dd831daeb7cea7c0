"""The notice card: a title, a few sentences, and always a way on.

A notice ends a path (something saved, refused or deleted), and a card with no button left people
typing guesses. Every notice offers the steps its feature gives, then the menu.
"""

from __future__ import annotations

from typing import Any

from dialogs.shared.content import Content

MENU_VERB = "menu.show"


def step(title: str, verb: str, **data: Any) -> dict[str, Any]:
    """A button for a notice: `title` from content/, the `verb` it presses, and its data."""
    return {"title": title, "verb": verb, "data": data}


def notice_card(content: Content, title: str, text: str, steps: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A bound notice card offering `steps` and then the menu."""
    return content.card("notice", {"title": title, "text": text,
                                   "next": [*steps, step(content.text("next_step.menu"), MENU_VERB)]})
