"""Binds data into Adaptive Card templates by walking the JSON tree (never by editing JSON text).

A subset of Adaptive Card Templating, enough for our cards:
- a string that is exactly "${path}" becomes the value at `path` (any JSON type);
- "${path}" inside a longer string is replaced by the value as text;
- an element with "$data": "${list}" is repeated once per item, bound to that item
  ("${$root.x}" reaches the outer data);
- an element with "$when": "${path}" is kept only when the value is truthy.
Missing paths are errors, so a typo in a card fails at start-up validation, not in front of a user.

Teams renders TextBlock texts and FactSet facts as Markdown. Anything bound there is shown as
plain text (its Markdown escaped) unless it is `Prose`: text from content/, whose Markdown is
meant. So a name, an organisation or a Teams display name typed as "[NHS login](https://…)" is
never a link, and a new feature is safe without doing anything.
"""

from __future__ import annotations

import re
from typing import Any

_WHOLE = re.compile(r"^\$\{([^{}]+)\}$")
_INNER = re.compile(r"\$\{([^{}]+)\}")


# Properties Teams renders as Markdown; inputs, choices, buttons and URLs show text as it is.
_MARKDOWN = {"TextBlock": frozenset({"text"}), "Fact": frozenset({"title", "value"})}
_IMPLIED = {"facts": "Fact"}  # array properties whose objects have no "type" of their own
# CommonMark lets any ASCII punctuation be backslash-escaped. Always: what opens or closes
# emphasis, code, links, HTML, entities and tables. At a line start: list, heading and rule
# markers. Inside a word: what makes "evil.example", "https://" or "a@b" a bare link.
_ESCAPE_ALWAYS = re.compile(r"([\\`*_\[\]<>|~&#])")
_ESCAPE_IN_WORD = re.compile(r"(:(?=/)|\.(?=\w)|@(?=\S))")
_ESCAPE_LINE_START = re.compile(r"^(?:([-+=])|(\d+)(?=[.)]))", re.MULTILINE)
# Markdown does not show a line's leading blanks, but four of them make a code block.
_LEADING_BLANKS = re.compile(r"^[ \t]+", re.MULTILINE)


class BindingError(KeyError):
    """A template referred to data that was not supplied."""


class Prose(str):
    """Text written by us (content/): its Markdown is meant and is kept.

    The string is the plain text; `markdown` is the same text with any values people typed,
    which were formatted into it, escaped (see `dialogs.shared.content.Content.text`). Anything made from
    it by string operations is a plain `str` again, and so is escaped: safe by default.
    """

    markdown: str

    def __new__(cls, plain: str, markdown: str | None = None) -> "Prose":
        prose = super().__new__(cls, plain)
        prose.markdown = plain if markdown is None else markdown
        return prose


def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders as exactly that text: no link, emphasis, list or code."""
    text = _ESCAPE_ALWAYS.sub(r"\\\1", _LEADING_BLANKS.sub("", text))
    text = _ESCAPE_IN_WORD.sub(r"\\\1", text)
    return _ESCAPE_LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\", text)


def as_markdown(value: Any) -> Any:
    """How `value` goes into a Markdown property: content prose as meant, other text escaped."""
    if isinstance(value, Prose):
        return value.markdown
    if isinstance(value, str):
        return escape_markdown(value)
    return value


def bind(template: Any, data: dict[str, Any]) -> Any:
    """Return a new JSON tree with `data` bound in; `template` is left untouched."""
    return _bind(template, data, data)


def _lookup(path: str, scope: Any, root: dict[str, Any]) -> Any:
    path = path.strip()
    if path.startswith("$root."):
        scope, path = root, path[len("$root."):]
    elif path == "$data":
        return scope
    value = scope
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise BindingError(path)
    return value


def _bind(node: Any, scope: Any, root: dict[str, Any], kind: str | None = None, markdown: bool = False) -> Any:
    """`kind` is the type an object in this array has without saying; `markdown` whether the
    string being bound is rendered as Markdown."""
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole:
            value = _lookup(whole.group(1), scope, root)
            return as_markdown(value) if markdown else value
        render = (lambda v: _as_text(as_markdown(v))) if markdown else _as_text
        return _INNER.sub(lambda m: render(_lookup(m.group(1), scope, root)), node)
    if isinstance(node, list):
        out: list[Any] = []
        for child in node:
            out.extend(_expand(child, scope, root, kind))
        return out
    if isinstance(node, dict):
        rendered = _MARKDOWN.get(node.get("type") or kind or "", frozenset())
        return {key: _bind(value, scope, root, _IMPLIED.get(key), key in rendered) for key, value in node.items()
                if key not in ("$data", "$when")}
    return node


def _expand(node: Any, scope: Any, root: dict[str, Any], kind: str | None) -> list[Any]:
    """An array element may repeat ($data) or vanish ($when)."""
    if not isinstance(node, dict):
        return [_bind(node, scope, root, kind)]
    if "$data" in node:
        items = _bind(node["$data"], scope, root)
        if not isinstance(items, list):
            raise BindingError(f"$data of {node.get('type', 'element')} is not a list")
        return [el for item in items
                for el in _expand({k: v for k, v in node.items() if k != "$data"}, item, root, kind)]
    if "$when" in node and not _bind(node["$when"], scope, root):
        return []
    return [_bind(node, scope, root, kind)]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class FinishedCard(dict[str, Any]):
    """A bound card that is done: its Submit fallbacks are added and it was decoded from JSON, so
    it is plain JSON throughout (no Prose, tuples, NaN or non-string keys). Made only by
    `Content.card`; nothing changes it afterwards (the menu's is shared by every menu turn), so
    sending it needs no second fallback walk, and neither botbuilder's deep copy nor msrest's
    serialiser has to copy it (see bot/msrest_speedups.py)."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> "FinishedCard":
        return self


def with_submit_fallback(card: dict[str, Any]) -> dict[str, Any]:
    """Give every Action.Execute an Action.Submit fallback carrying the same verb and data.

    Clients without Universal Actions then post a message whose `value` holds the verb,
    which the bot routes exactly like the invoke. Works in place (callers pass a freshly bound
    tree; a deep copy per card was a measurable share of a turn) and is idempotent.
    """
    if type(card) is FinishedCard:
        return card  # has them already; walking ~300 nodes again was a share of every card reply

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "fallback" not in node:
                data = dict(node.get("data") or {})
                data["verb"] = node.get("verb", "")
                node["data"] = data
                node["fallback"] = {"type": "Action.Submit", "title": node.get("title", ""), "data": data}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return card
