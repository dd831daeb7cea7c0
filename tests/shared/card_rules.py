"""Accessibility rules for bound Adaptive Cards (WCAG 2.2 AA where it applies to cards), and the
element and property allow-list of what Teams renders.

Each rule takes a card and returns a list of problems ("path: what is wrong"); an empty list
means the card passes. tests/shared/test_card_accessibility.py runs them on every template and
proves each one fails on a card built to break it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COLOURS_FIXTURE = Path(__file__).resolve().parents[1] / "data" / "teams_card_colours.json"
WCAG_AA_TEXT = 4.5   # WCAG 2.2 SC 1.4.3, normal-size text (card text is 12-18 px)
WORD_BUDGET = 50     # words in one TextBlock: beyond this, split it (no walls of text)

# Where child elements live, by property: a list of elements, or one element.
_CHILD_LISTS = ("body", "items", "columns", "rows", "cells", "actions", "inlines", "images")
_CHILD_ONE = ("card", "selectAction", "fallback", "inlineAction")

# --- what Teams renders: Adaptive Cards 1.5 elements and their properties --------------------
# From the Adaptive Cards 1.5 schema (adaptivecards.io/explorer), less what Teams does not
# render: Media (only from SharePoint/OneDrive/YouTube, not in every client), `speak` (no voice
# host), `rtl`, and everything after 1.5 (Icon, Carousel, Rating, CompoundButton, ProgressBar...).
# Teams' charts (Chart.*) are allowed only with a fallback (tests/shared/test_cards_render.py).
_ELEMENT = {"type", "id", "spacing", "separator", "height", "isVisible", "requires", "fallback"}
_ACTION = {"type", "id", "title", "iconUrl", "style", "fallback", "tooltip", "isEnabled", "mode", "requires"}
_INPUT = _ELEMENT | {"label", "isRequired", "errorMessage"}
_BOXES = {"selectAction", "style", "verticalContentAlignment", "bleed", "backgroundImage", "minHeight"}
_CHART = _ELEMENT | {"title", "data", "color", "colorSet", "xAxisTitle", "yAxisTitle", "showBarValues",
                     "value", "valueFormat", "min", "max", "segments", "showLegend"}
TEAMS_RENDERS: dict[str, frozenset[str]] = {name: frozenset(props) for name, props in {
    "AdaptiveCard": {"type", "version", "body", "actions", "$schema", "fallbackText", "backgroundImage", "minHeight",
                     "lang", "verticalContentAlignment", "selectAction", "refresh", "authentication", "msteams"},
    "TextBlock": _ELEMENT | {"text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size",
                             "weight", "wrap", "style"},
    "RichTextBlock": _ELEMENT | {"inlines", "horizontalAlignment"},
    "TextRun": {"type", "text", "color", "fontType", "highlight", "isSubtle", "italic", "selectAction", "size",
                "strikethrough", "underline", "weight"},
    "Image": _ELEMENT | {"url", "altText", "backgroundColor", "horizontalAlignment", "selectAction", "size", "style",
                         "width"},
    "ImageSet": _ELEMENT | {"images", "imageSize"},
    "Container": _ELEMENT | _BOXES | {"items"},
    "ColumnSet": _ELEMENT | {"columns", "selectAction", "style", "bleed", "minHeight", "horizontalAlignment"},
    "Column": _ELEMENT | _BOXES | {"items", "width"},
    "FactSet": _ELEMENT | {"facts"},
    "ActionSet": _ELEMENT | {"actions"},
    "Table": _ELEMENT | {"columns", "rows", "firstRowAsHeader", "showGridLines", "gridStyle",
                         "horizontalCellContentAlignment", "verticalCellContentAlignment"},
    "TableRow": {"type", "cells", "style", "horizontalCellContentAlignment", "verticalCellContentAlignment"},
    "TableCell": {"type"} | _BOXES | {"items"},
    "Input.Text": _INPUT | {"isMultiline", "maxLength", "placeholder", "regex", "style", "inlineAction", "value"},
    "Input.Number": _INPUT | {"max", "min", "placeholder", "value"},
    "Input.Date": _INPUT | {"max", "min", "placeholder", "value"},
    "Input.Time": _INPUT | {"max", "min", "placeholder", "value"},
    "Input.Toggle": _INPUT | {"title", "value", "valueOff", "valueOn", "wrap"},
    # "choices.data" (Data.Query, dataset graph.microsoft.com/users) is Teams' people picker:
    # learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/people-picker
    "Input.ChoiceSet": _INPUT | {"choices", "choices.data", "isMultiSelect", "style", "value", "placeholder",
                                 "wrap"},
    "Action.Execute": _ACTION | {"verb", "data", "associatedInputs"},
    "Action.Submit": _ACTION | {"data", "associatedInputs"},
    "Action.OpenUrl": _ACTION | {"url"},
    "Action.ShowCard": _ACTION | {"card"},
    "Action.ToggleVisibility": _ACTION | {"targetElements"},
    **{f"Chart.{kind}": _CHART for kind in ("Donut", "Pie", "Gauge", "Line", "VerticalBar", "VerticalBar.Grouped",
                                            "HorizontalBar", "HorizontalBar.Stacked")},
}.items()}
# Objects without a `type` of their own, by the property that holds them.
_PARTS = {"facts": {"title", "value"}, "choices": {"title", "value"},
          "table columns": {"width", "horizontalCellContentAlignment", "verticalCellContentAlignment"}}


def elements(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every element, action and card in `node` with its path, fallbacks included."""
    if not isinstance(node, dict):
        return
    yield path, node
    for key in _CHILD_LISTS:
        children = node.get(key)
        if isinstance(children, list) and not (key == "columns" and node.get("type") == "Table"):
            for i, child in enumerate(children):
                yield from elements(child, f"{path}.{key}[{i}]")
    for key in _CHILD_ONE:
        if isinstance(node.get(key), dict):
            yield from elements(node[key], f"{path}.{key}")


def shown(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """The elements a Teams client shows together: as `elements`, less fallbacks (alternatives,
    never shown beside what they replace)."""
    for child_path, child in elements(node, path):
        if ".fallback" not in child_path:
            yield child_path, child


def _kind(node: dict[str, Any]) -> str:
    return str(node.get("type", ""))


# --- the rules -------------------------------------------------------------------------------

def not_rendered_by_teams(card: dict[str, Any]) -> list[str]:
    """Element types and properties outside TEAMS_RENDERS."""
    problems = []
    for path, node in elements(card):
        kind = _kind(node)
        allowed = TEAMS_RENDERS.get(kind)
        if allowed is None:
            problems.append(f"{path}: element type {kind!r} is not one Teams renders")
            continue
        problems += [f"{path}: {kind} property {key!r} is not one Teams renders" for key in sorted(node.keys() - allowed)]
        parts = [("facts", node.get("facts")), ("choices", node.get("choices"))]
        if kind == "Table":
            parts.append(("table columns", node.get("columns")))
        for name, items in parts:
            for i, item in enumerate(items if isinstance(items, list) else []):
                extra = sorted(set(item) - _PARTS[name]) if isinstance(item, dict) else ["(not an object)"]
                problems += [f"{path}.{name.split()[-1]}[{i}]: property {key!r} is not one Teams renders"
                             for key in extra]
    return problems


def inputs_without_label(card: dict[str, Any]) -> list[str]:
    """Every input needs a visible `label` (1.3+), which Teams gives screen readers as its name.
    A toggle's `title` is its checkbox's own label and name, so a toggle may have either."""
    problems = []
    for path, node in shown(card):
        kind = _kind(node)
        if not kind.startswith("Input."):
            continue
        names = [node.get("label")] + ([node.get("title")] if kind == "Input.Toggle" else [])
        if not any(isinstance(name, str) and name.strip() for name in names):
            problems.append(f"{path}: {kind} {node.get('id')!r} has no label")
    return problems


def images_without_alt(card: dict[str, Any]) -> list[str]:
    """Every Image (and background-free image in an ImageSet) needs `altText`."""
    return [f"{path}: Image has no altText" for path, node in elements(card)
            if _kind(node) == "Image" and not str(node.get("altText") or "").strip()]


_WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters: a word, not a symbol, emoji or number
STATUS_COLOURS = frozenset({"good", "warning", "attention", "accent"})
STATUS_STYLES = frozenset({"good", "warning", "attention", "accent"})


def colour_only_meaning(card: dict[str, Any]) -> list[str]:
    """Meaning must not rest on colour. Checkable form:
    - a TextBlock or TextRun in a status colour (good, warning, attention, accent) must say its
      meaning in words (at least one word of two letters or more, not a symbol or emoji alone);
    - two texts that differ only in colour (same words, different colour) are told apart by
      colour alone;
    - a Container in a status style must hold words of its own (a heading or message)."""
    problems, seen = [], {}
    for path, node in shown(card):
        kind = _kind(node)
        if kind in ("TextBlock", "TextRun"):
            text = str(node.get("text") or "")
            colour = str(node.get("color") or "default").lower()
            if colour in STATUS_COLOURS and not _WORD.search(text):
                problems.append(f"{path}: {colour} {kind} {text!r} has no words; its meaning is its colour")
            key = text.strip().lower()
            if key and key in seen and seen[key][1] != colour:
                problems.append(f"{path}: {text!r} differs from {seen[key][0]} only in colour")
            seen.setdefault(key, (path, colour))
        elif kind in ("Container", "Column", "TableCell") and str(node.get("style") or "").lower() in STATUS_STYLES:
            words = " ".join(str(n.get("text") or "") for _, n in shown(node) if _kind(n) in ("TextBlock", "TextRun"))
            if not _WORD.search(words):
                problems.append(f"{path}: {node['style']} {kind} holds no words; its meaning is its colour")
    return problems


def charts_without_text(card: dict[str, Any]) -> list[str]:
    """A Teams chart needs a text equivalent: a `title`, and a fallback of standard elements that
    holds text (a table or text blocks of the same figures) for clients and people who cannot
    use the chart."""
    problems = []
    for path, node in shown(card):
        kind = _kind(node)
        if not kind.startswith("Chart."):
            continue
        if not str(node.get("title") or "").strip():
            problems.append(f"{path}: {kind} has no title")
        fallback = node.get("fallback")
        texts = [n for _, n in elements(fallback)] if isinstance(fallback, dict) else []
        if not any(_kind(n) == "TextBlock" and _WORD.search(str(n.get("text") or "")) for n in texts):
            problems.append(f"{path}: {kind} has no text equivalent (a fallback with the figures in words)")
    return problems


def duplicate_action_titles(card: dict[str, Any]) -> list[str]:
    """Buttons on one card need different titles: a screen reader lists them by title, and
    "Open", "Open", "Open" says nothing about what each opens."""
    titles: dict[str, str] = {}
    problems = []
    for path, node in shown(card):
        if not _kind(node).startswith("Action."):
            continue
        title = " ".join(str(node.get("title") or "").split()).casefold()
        if title in titles:
            problems.append(f"{path}: button {node.get('title')!r} has the same title as {titles[title]}")
        else:
            titles[title] = path
    return problems


def long_text_blocks(card: dict[str, Any], budget: int = WORD_BUDGET) -> list[str]:
    """No TextBlock longer than `budget` words: split long text into short paragraphs."""
    problems = []
    for path, node in shown(card):
        if _kind(node) == "TextBlock":
            words = len(str(node.get("text") or "").split())
            if words > budget:
                problems.append(f"{path}: TextBlock of {words} words (budget {budget})")
    return problems


# --- contrast --------------------------------------------------------------------------------

def load_themes() -> dict[str, dict[str, Any]]:
    """Teams' card colours per theme, from tests/data/teams_card_colours.json."""
    return json.loads(COLOURS_FIXTURE.read_text(encoding="utf-8"))["themes"]


def parse_colour(value: str) -> tuple[float, float, float, float]:
    """#RRGGBB or #AARRGGBB (the Adaptive Cards host-config order: alpha first) to r, g, b, a in 0-1."""
    digits = value.strip().lstrip("#")
    if len(digits) == 6:
        digits = "ff" + digits
    if len(digits) != 8:
        raise ValueError(f"not a host-config colour: {value!r}")
    a, r, g, b = (int(digits[i:i + 2], 16) / 255 for i in range(0, 8, 2))
    return r, g, b, a


def over(fg: str, bg: str) -> tuple[float, float, float]:
    """`fg` drawn over the opaque `bg`: what the eye sees of a translucent colour."""
    fr, fg_, fb, fa = parse_colour(fg)
    br, bg_, bb, _ = parse_colour(bg)
    return (fr * fa + br * (1 - fa), fg_ * fa + bg_ * (1 - fa), fb * fa + bb * (1 - fa))


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour (components 0-1)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio of text colour `fg` (alpha blended) on background `bg`, 1 to 21."""
    lighter, darker = sorted((relative_luminance(over(fg, bg)), relative_luminance(over(bg, bg))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colours(card: dict[str, Any]) -> Iterator[tuple[str, str, str, bool]]:
    """(path, container style, colour, isSubtle) of every text a card shows: TextBlocks and
    TextRuns, facts, input labels and toggle titles (these last in the host's default colour)."""
    def walk(node: dict[str, Any], path: str, style: str) -> Iterator[tuple[str, str, str, bool]]:
        kind = _kind(node)
        if kind in ("Container", "Column", "ColumnSet", "TableCell", "TableRow") and node.get("style"):
            style = str(node["style"]).lower()
        if kind in ("TextBlock", "TextRun"):
            yield path, style, str(node.get("color") or "default").lower(), bool(node.get("isSubtle"))
        elif kind == "FactSet" or (kind.startswith("Input.") and (node.get("label") or node.get("title"))):
            yield path, style, "default", False
        for key in _CHILD_LISTS:
            children = node.get(key)
            if isinstance(children, list) and not (key == "columns" and kind == "Table"):
                for i, child in enumerate(children):
                    if isinstance(child, dict):
                        yield from walk(child, f"{path}.{key}[{i}]", style)
        if isinstance(node.get("card"), dict):  # a ShowCard's card opens inside this one
            yield from walk(node["card"], f"{path}.card", style)
    yield from walk(card, "$", "default")


def low_contrast(card: dict[str, Any], themes: dict[str, dict[str, Any]], minimum: float = WCAG_AA_TEXT) -> list[str]:
    """Every text colour a card uses, on the background of the container it sits in, in every
    theme: at least `minimum`:1."""
    problems = []
    for path, style, colour, subtle in text_colours(card):
        for theme_name, theme in themes.items():
            styles = theme
            container = styles.get(style, styles["default"])
            foreground = container["foregroundColors"].get(colour, container["foregroundColors"]["default"])
            fg = foreground["subtle" if subtle else "default"]
            ratio = contrast_ratio(fg, container["backgroundColor"])
            if ratio < minimum:
                problems.append(f"{path}: {colour}{' subtle' if subtle else ''} text in a {style} container is "
                                f"{ratio:.2f}:1 in Teams' {theme_name} theme (needs {minimum}:1)")
    return problems


RULES = {
    "Teams renders it": not_rendered_by_teams,
    "inputs have labels": inputs_without_label,
    "images have alt text": images_without_alt,
    "meaning is not colour alone": colour_only_meaning,
    "charts have a text equivalent": charts_without_text,
    "button titles differ": duplicate_action_titles,
    "no walls of text": long_text_blocks,
}
