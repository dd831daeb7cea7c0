"""Reading bound cards as Teams shows them: which texts are Markdown, and what they render to.

Rendering uses markdown-it-py with the GFM-like preset (tables, strikethrough and bare-link
detection on), stricter than the Adaptive Cards subset, so what is plain here is plain in Teams.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("gfm-like")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: backslash before ASCII punctuation
_TAG = re.compile(r"<\s*(/?\s*[a-zA-Z0-9]+[^>]*)>")


def unescape(text: str) -> str:
    """Markdown backslash escapes undone: the characters a reader sees."""
    return _ESCAPED.sub(r"\1", text)


def markdown_texts(card: Any) -> Iterator[str]:
    """Every string of a card that Teams renders as Markdown: TextBlock texts and facts."""
    if isinstance(card, dict):
        if card.get("type") == "TextBlock" and isinstance(card.get("text"), str):
            yield card["text"]
        if card.get("type") == "FactSet":
            for fact in card.get("facts", []):
                yield from (fact[k] for k in ("title", "value") if isinstance(fact.get(k), str))
        for value in card.values():
            yield from markdown_texts(value)
    elif isinstance(card, list):
        for value in card:
            yield from markdown_texts(value)


def render(markdown: str) -> str:
    return _MARKDOWN.render(markdown)


def markup_in(markdown: str) -> set[str]:
    """The HTML elements `markdown` renders to beyond paragraphs: links, emphasis, lists..."""
    return {m.group(1).split()[0].strip("/") for m in _TAG.finditer(render(markdown))} - {"p", "br"}
