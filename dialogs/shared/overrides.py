"""An organisation's own wording, laid over the shipped content (PEERSPACE_CONTENT_OVERRIDES).

The override folder has the layout of `content/`, holding only the files an organisation
changes. Texts are replaced key by key (messages.yaml, <feature>/texts.yaml), cards and settings
files whole. What the code relies on cannot change: a text key the defaults lack, a text whose
`{placeholders}` differ from the default's, or a card using data the bot does not give that card
stops start-up with the file and key named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dialogs.shared.content import Content, ContentError, _flatten, _load_card, _load_commands, _read_yaml
from dialogs.shared.text_keys import placeholders
from dialogs.shared.web.templates import TEMPLATE_SUFFIXES

_TEXT_FILES = {"messages.yaml", "texts.yaml"}
_BINDING = re.compile(r"\$\{([^{}]+)\}")


def apply_overrides(content: Content, folder: Path) -> None:
    """Lay the files in `folder` over `content` (loaded from the shipped defaults), checking each."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(f"{folder}: content overrides folder not found")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue  # editor and version-control files
        default = content.root / relative
        if not default.is_file():
            raise ContentError(f"{path}: the defaults have no {relative.as_posix()} to override")
        if path.name in _TEXT_FILES:
            _override_texts(content, path, default, relative)
        elif path.suffix == ".json":
            _override_card(content, path, default)
        elif path.name == "commands.yaml":
            content.commands = _load_commands(path)
        elif path.name == "manifest.yaml":
            raise ContentError(f"{path}: the app package is built from PEERSPACE_CONTENT_DIR, not overrides")
        elif path.suffix in TEMPLATE_SUFFIXES and "web" in relative.parts[:-1]:
            continue  # a web page template: the pages' loader reads the overrides folder first
        elif path.suffix == ".yaml":
            content.data[path.stem] = _read_yaml(path)
            content.files[path.name] = path
        else:
            raise ContentError(f"{path}: not a content file the bot reads")


def _override_texts(content: Content, path: Path, default: Path, relative: Path) -> None:
    prefix = relative.parent.as_posix() if relative.name == "texts.yaml" else ""
    defaults = _flatten(_read_yaml(default), default, prefix)
    for key, value in _flatten(_read_yaml(path), path, prefix).items():
        if key not in defaults:
            raise ContentError(f"{path}: {key} is not a text of {relative.as_posix()} (misspelt or removed?)")
        wanted, given = placeholders(defaults[key]), placeholders(value)
        if wanted != given:
            raise ContentError(f"{path}: {key} must use the placeholders {_braced(wanted)}, not {_braced(given)}")
        content.texts[key] = value


def _override_card(content: Content, path: Path, default: Path) -> None:
    card = _load_card(path)
    supplied = _bindings(_load_card(default))
    for binding in sorted(_bindings(card) - supplied):
        scope = "".join(f" inside {s}" for s in binding[0])
        raise ContentError(f"{path}: {binding[1]}{scope} is not data the bot gives this card")
    content.cards[path.stem] = card
    content.files[path.name] = path
    content._bound.clear()


def _bindings(node: Any, scope: tuple[str, ...] = ()) -> set[tuple[tuple[str, ...], str]]:
    """Each `${...}` a card template uses, with the `$data` repeats it sits in."""
    found: set[tuple[tuple[str, ...], str]] = set()
    if isinstance(node, str):
        found.update((scope, "${" + m.strip() + "}") for m in _BINDING.findall(node))
    elif isinstance(node, list):
        for child in node:
            found |= _bindings(child, scope)
    elif isinstance(node, dict):
        repeat = node.get("$data")
        if isinstance(repeat, str):
            found |= _bindings(repeat, scope)
            scope = (*scope, repeat)
        for key, value in node.items():
            if key != "$data":
                found |= _bindings(value, scope)
    return found


def _braced(names: frozenset[str]) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names)) or "none"
