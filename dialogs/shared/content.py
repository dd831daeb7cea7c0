"""Loads and validates `content/` at start-up: texts, commands and card templates.

Shared wording sits at the top (messages.yaml, commands.yaml, support.yaml, cards/); each feature
keeps its own in `content/<feature>/`: texts.yaml (keyed "<feature>.…"), cards/*.json and its
settings (*.yaml). Cards and settings keep their file names as keys wherever they live.

Every sentence a user reads comes from here. A broken file stops start-up with the file and
field named, rather than failing later in front of a user.
"""

from __future__ import annotations

import copy

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

from dialogs.shared.templating import BindingError, FinishedCard, Prose, as_markdown, bind, with_submit_fallback

CARD_VERSION = "1.5"
MAX_CARD_BYTES = 80 * 1024
_CACHED_CARDS = 256  # bound cards remembered (the menu per role set, notices, about...)
_CACHEABLE_BYTES = 16 * 1024


class ContentError(ValueError):
    """A content file is missing, malformed, or lacks a field the bot needs."""


@dataclass
class Content:
    """Texts keyed by dotted path ("menu.help.title"), commands, and card templates by name."""

    root: Path
    texts: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)  # normalised phrase -> verb
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # other YAML files, by stem
    files: dict[str, Path] = field(default_factory=dict)  # where each card ("x.json") or YAML file came from
    _bound: OrderedDict[tuple[str, str], str] = field(default_factory=OrderedDict, repr=False)

    def text(self, key: str, **params: Any) -> Prose:
        """The text at `key`, with `params` formatted in. Its Markdown is kept on cards; the
        params' is not (they may be what someone typed: see `dialogs.shared.templating.Prose`)."""
        try:
            template = self.texts[key]
        except KeyError:
            raise ContentError(f"{self.root / 'messages.yaml'}: missing text {key!r}") from None
        if not params:
            return Prose(template)
        return Prose(template.format(**params), template.format(**{k: as_markdown(v) for k, v in params.items()}))

    def card(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        """A bound Adaptive Card with its Submit fallbacks, checked against the Teams size limit:
        a `FinishedCard` (a fresh one each call) unless a value in it is not plain JSON."""
        try:
            template = self.cards[name]
        except KeyError:
            raise ContentError(f"{self.root / 'cards'}: no card named {name!r}") from None
        try:
            key = (name, json.dumps(_with_prose_marked(data), sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):
            key = None  # data that is not plain JSON is bound every time
        if key is not None and key in self._bound:
            # The same card for the same data (the menu, most notices): binding it again was a
            # measurable share of a turn. A fresh copy each time, as callers may change it.
            self._bound.move_to_end(key)
            return FinishedCard(json.loads(self._bound[key]))
        try:
            card = with_submit_fallback(bind(template, data))
        except BindingError as exc:
            raise ContentError(f"{self.file(name + '.json')}: no data for {exc.args[0]!r}") from None
        try:
            encoded, finished = json.dumps(card, allow_nan=False), True
        except ValueError:  # NaN or infinity: JSON has no such number; msrest sends the card as it does
            encoded, finished = json.dumps(card), False
        if len(encoded.encode()) > MAX_CARD_BYTES:
            raise ContentError(f"card {name!r} is over {MAX_CARD_BYTES} bytes once bound")
        if not finished:
            return card
        if key is not None and len(encoded) <= _CACHEABLE_BYTES:
            self._bound[key] = encoded
            if len(self._bound) > _CACHED_CARDS:
                self._bound.popitem(last=False)
        # Decoded, it is plain JSON, as the wire will see it (Prose becomes str, tuples lists).
        return FinishedCard(json.loads(encoded))

    def file(self, name: str) -> Path:
        """Where a card ("session_list.json") or settings file ("sessions.yaml") was read from."""
        return self.files.get(name, self.root / name)

    def require_texts(self, keys: list[str]) -> None:
        missing = [k for k in keys if k not in self.texts]
        if missing:
            raise ContentError(f"{self.root / 'messages.yaml'}: missing {', '.join(sorted(missing))}")

    def normalise(self, text: str) -> str:
        return " ".join(text.lower().strip().strip("!?.").split())

    def command_verb(self, text: str) -> str | None:
        return self.commands.get(self.normalise(text))


def _with_prose_marked(value: Any) -> Any:
    """`value` for a cache key: prose and the same words typed by someone bind differently."""
    if isinstance(value, Prose):
        return {"\0prose": value.markdown}
    if isinstance(value, dict):
        return {k: _with_prose_marked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_prose_marked(v) for v in value]
    return value


def settings_file(content: Content, name: str) -> tuple[dict[str, Any], Path]:
    """A feature's settings (`<name>.yaml`) as a mapping, and where it was read from."""
    raw, where = content.data.get(name), content.file(f"{name}.yaml")
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: file missing or not a mapping")
    return raw, where


def whole_number(raw: dict[str, Any], where: Path, key: str, low: int, high: int) -> int:
    """Setting `key` of a settings file, a whole number from `low` to `high`, or a ContentError."""
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ContentError(f"{where}: {key} must be a whole number from {low} to {high}")
    return value


def load_content(root: Path) -> Content:
    """Read every content file under `root` and validate it."""
    root = Path(root)
    if not root.is_dir():
        raise ContentError(f"{root}: content folder not found")
    content = Content(root=root)
    if (root / "text").is_dir():
        # The layout before feature folders: refuse it by name rather than miss its texts.
        raise ContentError(f"{root / 'text'}: move text/<feature>.yaml to <feature>/texts.yaml")
    content.texts = _flatten(_read_yaml(root / "messages.yaml"), root / "messages.yaml")
    content.commands = _load_commands(root / "commands.yaml")
    _load_folder(content, root, None)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "cards" and p.name[0] not in "._"):
        _load_folder(content, folder, folder.name)
    return content


def _load_folder(content: Content, folder: Path, feature: str | None) -> None:
    """The cards and settings in `folder`, and for a feature folder its texts."""
    if feature is not None:
        path = folder / "texts.yaml"
        if path.exists():
            for key, value in _flatten(_read_yaml(path), path, feature).items():
                if key in content.texts:
                    raise ContentError(f"{path}: {key} is already defined in messages.yaml")
                content.texts[key] = value
    for path in sorted((folder / "cards").glob("*.json")):
        _claim(content, path)
        content.cards[path.stem] = _load_card(path)
    for path in sorted(folder.glob("*.yaml")):
        if path.name not in {"messages.yaml", "commands.yaml", "texts.yaml"}:
            _claim(content, path)
            content.data[path.stem] = _read_yaml(path)


def _claim(content: Content, path: Path) -> None:
    # Cards and settings are found by file name alone, so a name may be used once.
    if path.name in content.files:
        raise ContentError(f"{path}: {path.name} is already defined in {content.files[path.name]}")
    content.files[path.name] = path


# libyaml's parser when PyYAML was built with it (the wheels are): the pure-Python one took most
# of a start-up, which every test's bot pays.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[tuple[str, int, int], Any] = {}  # (path, mtime, size) -> parsed tree, per process


def _read_yaml(path: Path) -> Any:
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _PARSED:
            with path.open(encoding="utf-8") as fh:
                _PARSED[key] = yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader
        # A copy: callers own what they are given, and the cached tree must stay as read.
        return copy.deepcopy(_PARSED[key])
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None


def _flatten(tree: Any, path: Path, prefix: str = "") -> dict[str, str]:
    if not isinstance(tree, dict):
        raise ContentError(f"{path}: {prefix or 'top level'} must be a mapping")
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, path, dotted))
        elif isinstance(value, str) and value.strip():
            _check_format(value, path, dotted)
            flat[dotted] = value.strip()
        else:
            raise ContentError(f"{path}: {dotted} must be non-empty text")
    return flat


def _check_format(value: str, path: Path, key: str) -> None:
    try:
        list(Formatter().parse(value))
    except ValueError:
        raise ContentError(f"{path}: {key} has unbalanced braces") from None


def _load_commands(path: Path) -> dict[str, str]:
    tree = _read_yaml(path)
    if not isinstance(tree, dict):
        raise ContentError(f"{path}: top level must map verbs to lists of phrases")
    commands: dict[str, str] = {}
    for verb, phrases in tree.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ContentError(f"{path}: {verb} must be a list of phrases")
        for phrase in phrases:
            norm = " ".join(phrase.lower().split())
            if norm in commands:
                raise ContentError(f"{path}: {verb}: phrase {phrase!r} already used by {commands[norm]}")
            commands[norm] = str(verb)
    return commands


def _load_card(path: Path) -> dict[str, Any]:
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContentError(f"{path}: not valid JSON (line {exc.lineno})") from None
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise ContentError(f"{path}: type must be AdaptiveCard")
    if card.get("version") != CARD_VERSION:
        raise ContentError(f"{path}: version must be {CARD_VERSION}")
    if not isinstance(card.get("body"), list) or not card["body"]:
        raise ContentError(f"{path}: body must be a non-empty list")
    return card
