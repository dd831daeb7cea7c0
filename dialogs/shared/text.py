"""Small rules for text on cards: the text of a card value, and text cut to fit."""

from __future__ import annotations

from typing import Any


def text_of(value: Any) -> str:
    """A card input's value if it is text, else "" (a hand-made request can send any JSON)."""
    return value if isinstance(value, str) else ""


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: a longer one loses its end (and the spaces before it)
    to an ellipsis, so a card stays under Teams' size limit."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
