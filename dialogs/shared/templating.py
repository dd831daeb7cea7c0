"""Binds data into Adaptive Card templates by walking the JSON tree (never by editing JSON text).

A subset of Adaptive Card Templating, enough for our cards:
- a string that is exactly "${path}" becomes the value at `path` (any JSON type);
- "${path}" inside a longer string is replaced by the value as text;
- an element with "$data": "${list}" is repeated once per item, bound to that item
  ("${$root.x}" reaches the outer data);
- an element with "$when": "${path}" is kept only when the value is truthy.
Missing paths are errors, so a typo in a card fails at start-up validation, not in front of a user.
"""

from __future__ import annotations

import re
from typing import Any

_WHOLE = re.compile(r"^\$\{([^{}]+)\}$")
_INNER = re.compile(r"\$\{([^{}]+)\}")


class BindingError(KeyError):
    """A template referred to data that was not supplied."""


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


def _bind(node: Any, scope: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole:
            return _lookup(whole.group(1), scope, root)
        return _INNER.sub(lambda m: _as_text(_lookup(m.group(1), scope, root)), node)
    if isinstance(node, list):
        out: list[Any] = []
        for child in node:
            out.extend(_expand(child, scope, root))
        return out
    if isinstance(node, dict):
        return {key: _bind(value, scope, root) for key, value in node.items()
                if key not in ("$data", "$when")}
    return node


def _expand(node: Any, scope: Any, root: dict[str, Any]) -> list[Any]:
    """An array element may repeat ($data) or vanish ($when)."""
    if not isinstance(node, dict):
        return [_bind(node, scope, root)]
    if "$data" in node:
        items = _bind(node["$data"], scope, root)
        if not isinstance(items, list):
            raise BindingError(f"$data of {node.get('type', 'element')} is not a list")
        return [el for item in items for el in _expand({k: v for k, v in node.items() if k != "$data"}, item, root)]
    if "$when" in node and not _bind(node["$when"], scope, root):
        return []
    return [_bind(node, scope, root)]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def with_submit_fallback(card: dict[str, Any]) -> dict[str, Any]:
    """Give every Action.Execute an Action.Submit fallback carrying the same verb and data.

    Clients without Universal Actions then post a message whose `value` holds the verb,
    which the bot routes exactly like the invoke. Works in place (callers pass a freshly bound
    tree; a deep copy per card was a measurable share of a turn) and is idempotent.
    """
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
