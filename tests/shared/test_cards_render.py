"""Every card template, bound with the largest data it can realistically get, is still a card
Teams will show: under the 80 KB message limit, version 1.5, Action.Execute buttons with a verb
and an Action.Submit fallback, and accepted without complaint by the Adaptive Cards parser
(npm `adaptivecards`, through tests/e2e/validate_cards.cjs).

Cards go through the same path as in the bot: `Content.card(name, data)` then
`with_submit_fallback`, which is what `bot.cards.attachment` sends.

The parser checks need node and node_modules/adaptivecards: without them they skip, unless
REQUIRE_E2E=1 (as in CI), where they fail and say how to install what is missing.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dialogs.shared.cards import with_submit_fallback
from dialogs.shared.content import CARD_VERSION, Content, ContentError, load_content
from dialogs.shared.templating import bind
from dialogs.shared.context import MAX_VERB
from tests.cadence.card_data import builders as cadence_builders
from tests.checkins.card_data import builders as checkin_builders
from tests.people.card_data import builders as people_builders
from tests.tripartite.card_data import builders as tripartite_builders
from tests.supervision.card_data import builders as supervision_builders
from tests.coreflections.card_data import builders as coreflection_builders

ROOT = Path(__file__).resolve().parents[2]
CARDS_DIR = ROOT / "content"  # cards/ at the top and in each feature folder
VALIDATOR = ROOT / "tests" / "e2e" / "validate_cards.cjs"
AC_BUNDLE = ROOT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
REQUIRE_E2E = os.environ.get("REQUIRE_E2E") == "1"

TEAMS_MAX_BYTES = 80 * 1024
CARD_NAMES = sorted(p.stem for p in CARDS_DIR.glob("**/cards/*.json"))

# Realistic maxima. Names are stored as String(200) (storage/models.py) and cut to 200 by
# bot/turns.py; the rest are the longest texts we expect in content/ or configuration.
NAME = 200              # a person's, contact's or organisation's name
EMAIL = 254             # the longest valid e-mail address
MENU_ENTRIES = 60       # every feature's entries, for a person holding every role
MENU_TITLE = 80
MENU_DESCRIPTION = 200
BUTTON = 30
URGENT_CONTACTS = 12    # content/support.yaml plus an organisation's own
URGENT_DETAIL = 300
FACTS = 40              # "my data" lines once every feature registers its personal data
FACT_LABEL = 100
FACT_VALUE = 300
PARAGRAPH = 2000        # a notice's body text
GENERIC_ITEMS = 20      # list length the generic filler uses for any `$data`
GENERIC_TEXT = 200

# Names and contacts come from Teams and configuration: non-ASCII, quotes and Markdown
# characters on purpose, as real Welsh and Irish names have them, and because each costs up to
# six bytes once JSON-escaped (json.dumps escapes non-ASCII, as the bot's own size check does).
_NAME_SAMPLE = "Siân O’Connor-Ní Bhriain “Peer Support” – **Band 4** & <team> \"quoted\" \\ "
# Texts from content/ are plain English written by the team.
_CONTENT_SAMPLE = 'See and change your "check-in" reminders, and what your peer supervisor can see. '


def text(length: int, sample: str = _NAME_SAMPLE) -> str:
    """A string of exactly `length` characters built from realistic, awkward text."""
    return (sample * (length // len(sample) + 1))[:length]


def content_text(length: int) -> str:
    """Plain English of exactly `length` characters, like the texts in content/messages.yaml."""
    return text(length, _CONTENT_SAMPLE)


def verb(i: int) -> str:
    """A distinct verb of the longest length the bot accepts (dialogs.context.MAX_VERB)."""
    stem = f"feature{i:02d}.action."
    return stem + "x" * (MAX_VERB - len(stem))


def display_name(i: int) -> str:
    """A Teams display name as NHS directories write them; every 50th is the full 200."""
    if i % 50 == 0:
        return text(NAME)
    return f"O’BRIEN-JONES, Siân {i:03d} (SOMERSET NHS FOUNDATION TRUST)"


def _urgent() -> list[dict[str, str]]:
    return [{"name": text(NAME), "detail": text(URGENT_DETAIL)} for _ in range(URGENT_CONTACTS)]


# One builder per card, shaped like the data its dialog passes (dialogs/menu.py, dialogs/my_data.py).
BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "about": lambda: {
        "min_group_size": 9999,
        "urgent": _urgent(),
        "support_name": text(NAME),
        "support_email": ("p" * 64 + "@" + "nhs-trust." * 19)[:EMAIL - 4] + ".net",
    },
    "menu": lambda: {"entries": [
        {"title": content_text(MENU_TITLE), "description": content_text(MENU_DESCRIPTION), "verb": verb(i),
         "button": content_text(BUTTON)}
        for i in range(MENU_ENTRIES)
    ]},
    "my_data": lambda: {"items": [
        {"label": content_text(FACT_LABEL), "value": text(NAME if i == 0 else FACT_VALUE)} for i in range(FACTS)
    ]},
    "my_data_confirm": lambda: {},
    "roles": lambda: _roles_data(),
    "notice": lambda: {"title": content_text(NAME), "text": text(PARAGRAPH), "next": [
        {"title": content_text(BUTTON), "verb": verb(i), "data": {"session_id": f"{i:032x}"}} for i in range(3)]},
    "feedback_form": lambda: _feedback_form_data(),
    "feedback_report": lambda: _feedback_report_data(),
    "feedback_reports": lambda: _feedback_reports_data(),
    "feedback_sessions": lambda: {
        "title": content_text(100), "intro": content_text(URGENT_DETAIL), "none": "",
        "sessions": [{"id": f"{i:032x}", "title": content_text(NAME), "when": "30 September 2026",
                      "status": content_text(40), "button": content_text(BUTTON)} for i in range(31)],
    },
    "welcome": lambda: {
        "dev": {"shown": True, "title": content_text(MENU_TITLE), "text": content_text(PARAGRAPH)},
        "features": [{"title": content_text(MENU_TITLE), "description": content_text(MENU_DESCRIPTION)}
                     for _ in range(MENU_ENTRIES)],
        "min_group_size": 9999,
        "urgent": _urgent(),
    },
    # dialogs/samples.py: a line and two or three steps per feature (a step's data is a session id).
    "samples": lambda: {
        "title": content_text(MENU_TITLE), "intro": content_text(PARAGRAPH), "next": content_text(MENU_TITLE),
        "menu": content_text(BUTTON), "lines": [{"text": content_text(PARAGRAPH)} for _ in range(8)],
        "steps": [{"title": content_text(BUTTON), "verb": verb(i), "data": {"session_id": f"{i:032x}"}}
                  for i in range(16)],
    },
}
BUILDERS.update(checkin_builders(text, content_text, _urgent, NAME))
BUILDERS.update(people_builders(content_text, NAME))
BUILDERS.update(tripartite_builders(text, content_text, NAME))
BUILDERS.update(supervision_builders(text, content_text, NAME))
BUILDERS.update(coreflection_builders(text, content_text, NAME))
BUILDERS.update(cadence_builders(text, content_text, NAME))

def _feedback_labels(keys: tuple[str, ...]) -> dict[str, str]:
    return {key: content_text(PARAGRAPH // 5) for key in keys}


def _feedback_form_data() -> dict[str, Any]:
    # As dialogs/feedback/form.py binds it after a rejected submission: every answer echoed back.
    from storage.feedback.themes import ThemeTagger, load_taxonomy

    themes = ThemeTagger(load_taxonomy(ROOT / "content" / "feedback" / "themes.yaml")).themes
    return {
        "title": content_text(NAME), "subtitle": content_text(URGENT_DETAIL), "closes": content_text(100),
        "answered": content_text(URGENT_DETAIL), "error": content_text(URGENT_DETAIL),
        "labels": _feedback_labels(("overall", "presentation", "discussion", "helpful", "better", "topics",
                                    "share", "rating_error", "placeholder", "submit")),
        "ratings": [{"title": content_text(30), "value": str(v)} for v in range(1, 6)],
        "topics": [{"title": t.label, "value": t.id} for t in themes] + [{"title": "Other", "value": "other"}],
        "values": {"overall": "5", "presentation": "4", "discussion": "3", "helpful": text(2000),
                   "better": text(2000), "topics": ",".join(t.id for t in themes), "share": "true"},
        "max_chars": 2000, "session_id": "f" * 32,
    }


def _feedback_report_data() -> dict[str, Any]:
    # Every theme shown with two quotes at the card's cut (dialogs/feedback/reports.QUOTE_CHARS).
    from dialogs.feedback.reports import QUOTE_CHARS
    from storage.feedback.reports import GROUPINGS, QUESTIONS

    themes = 14
    return {
        "title": content_text(NAME), "error": content_text(URGENT_DETAIL),
        "confirmation": content_text(URGENT_DETAIL), "hidden": "", "shown": True, "note": content_text(200),
        "counts": [{"label": content_text(40), "value": "99999"} for _ in range(2)],
        "charts": [{"title": content_text(40), "groups": [
            {"band": content_text(30), "count": 99999, "people": "99999"} for _ in range(max(map(len, GROUPINGS)))]}
            for _ in QUESTIONS],
        "ratings": [{"label": content_text(40), "value": " · ".join(f"{content_text(30)}: 99999" for _ in range(3))}
                    for _ in range(3)],
        "themes_none": "", "topics_none": "",
        # One theme at a time is opened by "Why this theme?" (dialogs/feedback/theme_review.py).
        "themes": [{"heading": content_text(100), "why": i != 0, "why_title": content_text(30),
                    "theme": f"theme_{i}", "scope": "series:" + "f" * 32 + ":2026-Q4",
                    "intro": content_text(300) if i == 0 else "",
                    "quotes": [{"text": text(QUOTE_CHARS + 20), "explained": i == 0,
                                "words": text(200) if i == 0 else "", "scope": "series:" + "f" * 32 + ":2026-Q4",
                                "theme": f"theme_{i}", "index": str(q), "check": "f" * 16,
                                "not_title": content_text(80), "is_title": content_text(80)} for q in range(2)]}
                   for i in range(themes)],
        "topics": [{"label": content_text(60), "value": content_text(20)} for _ in range(themes + 1)],
        "actions": [text(500 + 60) for _ in range(5)],
        "theme_choices": [{"title": content_text(60), "value": f"theme_{i}"} for i in range(themes)],
        "values": {"theme": "theme_1", "action": text(500)},
        "scope": "series:" + "f" * 32 + ":2026-Q4",
        "export_url": "https://" + "bot.example.nhs.uk" + "/feedback/export/" + "x" * 300,
        "labels": _feedback_labels(("chart_title", "chart_alt", "chart_band", "chart_people", "ratings", "themes",
                                    "topics", "actions_title", "action_theme", "action_text", "action_hint",
                                    "action_record",
                                    "export", "back")),
    }


def _feedback_reports_data() -> dict[str, Any]:
    from dialogs.feedback.reports import MAX_OFFER_NAMES, MAX_SESSIONS_LISTED

    series = 20
    return {
        "title": content_text(100), "intro": content_text(URGENT_DETAIL), "intro_bands": content_text(URGENT_DETAIL),
        "error": content_text(URGENT_DETAIL), "none": "", "has_sessions": True,
        "sessions": [{"title": content_text(NAME + 20), "value": f"{i:032x}"} for i in range(MAX_SESSIONS_LISTED)],
        "first_session": f"{0:032x}",
        "series": [{"title": content_text(NAME), "value": f"{i:032x}"} for i in range(series)],
        "first_series": f"{0:032x}",
        "periods": [{"title": "2026-Q4", "value": "2026-Q4"} for _ in range(40)],
        "labels": _feedback_labels(("session", "series", "period", "view_session", "view_series", "offers_title")),
        "offers": [{"series": content_text(NAME), "names": ", ".join(display_name(i) for i in range(3))}
                   for _ in range(series)],
    }


def _roles_data() -> dict[str, Any]:
    # As many people and grants as dialogs/roles.py ever lists.
    from dialogs.roles import MAX_GRANTS_SHOWN, MAX_PEOPLE

    people = [{"name": display_name(i), "id": f"{i:032x}"} for i in range(MAX_PEOPLE)]
    return {
        "error": text(URGENT_DETAIL),
        "confirmation": text(URGENT_DETAIL),
        "person": people[-1]["id"],
        "role": "peer_supervisor",
        "people": people,
        "roles": [{"title": content_text(40), "value": value}
                  for value in ("worker", "peer_supervisor", "line_manager", "facilitator", "admin")],
        "grants": [{"name": p["name"], "roles": "peer support workers, peer supervisors"}
                   for p in people[:MAX_GRANTS_SHOWN]],
        "more": text(URGENT_DETAIL),
    }


_PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")  # as in dialogs/shared/templating.py


def placeholder_data(template: Any, items: int = GENERIC_ITEMS, length: int = GENERIC_TEXT) -> dict[str, Any]:
    """Data that fills every `${...}` of a template (following dialogs/shared/templating.py's rules).

    A `$data` list gets `items` entries, each filled from the repeated element; every other
    placeholder, `$when` included, gets a `length`-character text. For cards without a builder.
    """
    root: dict[str, Any] = {}
    _fill(template, root, root, items, length)
    return root


def _fill(node: Any, scope: Any, root: dict[str, Any], items: int, length: int) -> None:
    if isinstance(node, str):
        for path in _PLACEHOLDER.findall(node):
            _put(path, scope, root, text(length))
    elif isinstance(node, list):
        for child in node:
            _fill(child, scope, root, items, length)
    elif isinstance(node, dict):
        if "$data" in node:
            item: dict[str, Any] = {}
            _fill({k: v for k, v in node.items() if k != "$data"}, item, root, items, length)
            whole = _PLACEHOLDER.fullmatch(str(node["$data"]).strip())
            if whole:
                # An element bound to "${$data}" repeats over plain values, not objects.
                value = item.get("$data", item) if "$data" in item else item
                _put(whole.group(1), scope, root, [copy.deepcopy(value) for _ in range(items)])
            return
        for value in node.values():
            _fill(value, scope, root, items, length)


def _put(path: str, scope: Any, root: dict[str, Any], value: Any) -> None:
    path = path.strip()
    if path.startswith("$root."):
        scope, path = root, path[len("$root."):]
    if not isinstance(scope, dict):
        return
    if path == "$data":
        scope["$data"] = value
        return
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(scope.get(part), dict):
            scope[part] = {}
        scope = scope[part]
    existing = scope.get(last)
    if isinstance(existing, list) and isinstance(value, list):
        # The same list repeated twice (a chart and its fallback table): items need both sets of fields.
        for old, new in zip(existing, value):
            if isinstance(old, dict) and isinstance(new, dict):
                for key, field in new.items():
                    old.setdefault(key, field)
    # A list already made for a `$data` must not be overwritten by a `$when` on the same path.
    elif not isinstance(existing, (list, dict)):
        scope[last] = value


@functools.lru_cache(maxsize=1)
def content() -> Content:
    """The real content folder, loaded and validated as at start-up."""
    return load_content(ROOT / "content")


def card_data(name: str) -> dict[str, Any]:
    """The maximum-size data for card `name`: its builder, or the generic filler."""
    builder = BUILDERS.get(name)
    return builder() if builder else placeholder_data(content().cards[name])


@functools.lru_cache(maxsize=None)
def _sent_json(name: str) -> str:
    # `bind` rather than `Content.card`: the latter refuses an oversized card, and the other
    # checks should still report on it; the size test runs `Content.card` itself.
    return json.dumps(with_submit_fallback(bind(content().cards[name], card_data(name))))


def sent_card(name: str) -> dict[str, Any]:
    """Card `name` bound with maximum data, as the bot sends it (with Submit fallbacks)."""
    return json.loads(_sent_json(name))


def card_bytes(card: dict[str, Any]) -> int:
    """Size as dialogs/shared/content.py measures it."""
    return len(json.dumps(card).encode())


def _walk(node: Any, path: str = "$") -> Any:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


# --- checks that need only Python -------------------------------------------------------------

def test_every_card_has_a_data_builder_or_binds_generically() -> None:
    """A new card without a builder is still covered, through the generic filler."""
    assert CARD_NAMES, f"no card templates found in {CARDS_DIR}"
    assert set(CARD_NAMES) == set(content().cards)
    for name in CARD_NAMES:
        bind(content().cards[name], placeholder_data(content().cards[name]))


def test_generic_filler_follows_templating_rules() -> None:
    """The filler handles repeats, nested repeats, a list repeated twice, `$root`, `$when` and dotted paths."""
    template = {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "${person.name} (${count})"},
        {"$when": "${show_extra}", "type": "TextBlock", "text": "extra"},
        {"$data": "${rows}", "type": "Container", "items": [
            {"type": "TextBlock", "text": "${label}: ${$root.unit}"},
            {"$data": "${cells}", "type": "TextBlock", "text": "${value}"},
        ]},
        {"type": "FactSet", "facts": [{"$data": "${tags}", "title": "tag", "value": "${$data}"}]},
        {"$data": "${rows}", "type": "TextBlock", "text": "${note}"},
    ]}
    data = placeholder_data(template, items=3, length=10)
    bound = bind(template, data)
    assert len(bound["body"]) == 1 + 1 + 3 + 1 + 3
    assert len(bound["body"][2]["items"]) == 1 + 3
    assert len(bound["body"][5]["facts"]) == 3
    assert "${" not in json.dumps(bound)


def _size_cases() -> list[Any]:
    known: dict[str, str] = {}
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=known[name])) if name in known
            else name for name in CARD_NAMES]


@pytest.mark.parametrize("name", _size_cases())
def test_card_fits_the_teams_message_limit(name: str) -> None:
    """Bound with maximum data and given its fallbacks, the card is under 80 KB."""
    size = card_bytes(sent_card(name))
    assert size < TEAMS_MAX_BYTES, (
        f"{name}: {size} bytes once bound with maximum data and Submit fallbacks "
        f"(limit {TEAMS_MAX_BYTES}); trim the template or cap the data")
    # The bot's own path (which also checks the size, before the fallbacks) accepts it too.
    try:
        content().card(name, card_data(name))
    except ContentError as exc:
        pytest.fail(f"{name}: Content.card refused maximum data: {exc}", pytrace=False)


@pytest.mark.parametrize("name", CARD_NAMES)
def test_card_is_version_1_5_and_fully_bound(name: str) -> None:
    """Version 1.5 (needed for Action.Execute) and no templating left for Teams to choke on."""
    card = sent_card(name)
    assert card.get("type") == "AdaptiveCard"
    assert card.get("version") == CARD_VERSION == "1.5", f"{name}: version {card.get('version')!r}"
    leftovers = [path for path, node in _walk(card)
                 if (isinstance(node, str) and "${" in node)
                 or (isinstance(node, dict) and ({"$data", "$when"} & node.keys()))]
    assert leftovers == [], f"{name}: unbound templating at {leftovers[:10]}"


@pytest.mark.parametrize("name", CARD_NAMES)
def test_every_execute_action_has_a_verb_and_submit_fallback(name: str) -> None:
    """Clients without Universal Actions need the Submit fallback, carrying the same verb."""
    problems = []
    for path, node in _walk(sent_card(name)):
        if not (isinstance(node, dict) and node.get("type") == "Action.Execute"):
            continue
        verb_ = node.get("verb")
        fallback = node.get("fallback")
        if not isinstance(verb_, str) or not verb_.strip():
            problems.append(f"{path}: no verb")
        elif len(verb_) > MAX_VERB:
            problems.append(f"{path}: verb longer than {MAX_VERB} (the bot rejects it)")
        if not isinstance(fallback, dict) or fallback.get("type") != "Action.Submit":
            problems.append(f"{path}: no Action.Submit fallback")
        elif (fallback.get("data") or {}).get("verb") != verb_:
            problems.append(f"{path}: fallback data.verb {(fallback.get('data') or {}).get('verb')!r} != {verb_!r}")
        elif not fallback.get("title"):
            problems.append(f"{path}: fallback has no title")
    assert problems == [], f"{name}:\n" + "\n".join(problems)


# --- the Adaptive Cards parser (node) ---------------------------------------------------------

# Cards the parser must object to: proof that a clean report means something.
BROKEN_CARDS: dict[str, dict[str, Any]] = {
    "unknown element type": {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "fine"}, {"type": "TextBlok", "text": "typo"}]},
    "unknown action type": {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "fine"}], "actions": [{"type": "Action.Excute", "title": "x"}]},
    "invalid property value": {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "x", "size": "Huge"}]},
    "duplicate input id": {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "Input.Text", "id": "a"}, {"type": "Input.Text", "id": "a"}]},
}


def require_node_parser() -> None:
    """Skip without node or the adaptivecards package; fail instead when REQUIRE_E2E=1."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node (apt-get install nodejs npm)")
    if not AC_BUNDLE.exists():
        missing.append("node_modules/adaptivecards (run `npm ci` in the repository root)")
    if not missing:
        return
    message = "the Adaptive Cards parser check needs: " + "; ".join(missing)
    if REQUIRE_E2E:
        pytest.fail(f"REQUIRE_E2E=1 but {message}", pytrace=False)
    pytest.skip(message)


def run_validator(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse `cards` with tests/e2e/validate_cards.cjs (one node process) and return its report."""
    proc = subprocess.run(["node", str(VALIDATOR)], input=json.dumps(cards), capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, f"validate_cards.cjs exited {proc.returncode}:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert len(report) == len(cards), proc.stdout[:2000]
    return report


@pytest.fixture(scope="module")
def parser_reports() -> dict[str, dict[str, Any]]:
    """The parser's report for every card, and for every deliberately broken card (one node run)."""
    require_node_parser()
    labelled = [(name, sent_card(name)) for name in CARD_NAMES]
    labelled += [(f"broken: {label}", card) for label, card in BROKEN_CARDS.items()]
    report = run_validator([card for _, card in labelled])
    return {label: entry for (label, _), entry in zip(labelled, report)}


# Elements Teams renders itself and the npm parser does not know (Teams' "Charts in Adaptive
# Cards"). Each must carry a `fallback` of standard elements: the parser then reports the type as
# unknown, parses the fallback instead (any fault in it is reported as usual), and a client
# without the element shows the fallback.
TEAMS_ONLY = frozenset({"Chart.Donut", "Chart.Pie", "Chart.Gauge", "Chart.Line", "Chart.VerticalBar",
                        "Chart.VerticalBar.Grouped", "Chart.HorizontalBar", "Chart.HorizontalBar.Stacked"})


def unexpected_events(card: dict[str, Any], entry: dict[str, Any]) -> list[str]:
    """The parser's complaints about `card`, less one "unknown element" per Teams-only element
    that has a fallback of standard elements; a Teams-only element without one is a complaint."""
    problems, expected = [], []
    for path, node in _walk(card):
        kind = node.get("type") if isinstance(node, dict) else None
        if kind not in TEAMS_ONLY:
            continue
        fallback = node.get("fallback")
        if not (isinstance(fallback, dict) and fallback.get("type") not in TEAMS_ONLY):
            problems.append(f"{path}: {kind} has no fallback of standard elements")
        expected.append(f'Unknown element type "{kind}". Fallback will be used if present.')
    for event in entry["events"]:
        if event["event"] == "UnknownElementType" and event["message"] in expected:
            expected.remove(event["message"])
        else:
            problems.append(json.dumps(event))
    rendered = [path for path, node in _walk(entry["rendered"])
                if isinstance(node, dict) and node.get("type") in TEAMS_ONLY]
    problems += [f"{path}: the parser kept a Teams-only element" for path in rendered]
    return problems + [json.dumps(event) for event in entry["validation"]]


@pytest.mark.parametrize("name", CARD_NAMES)
def test_card_parses_without_warnings(name: str, parser_reports: dict[str, dict[str, Any]]) -> None:
    """The renderer's parser reports nothing: no unknown elements (Teams-only elements fall back to
    standard ones), no invalid values, no validation events."""
    problems = unexpected_events(sent_card(name), parser_reports[name])
    assert problems == [], f"{name}: parser events:\n" + "\n".join(problems)


_BAR = {"type": "Chart.HorizontalBar", "title": "Overall", "data": [{"x": "High (4-5)", "y": 5}]}
_FALLBACK_TABLE = {"type": "Table", "columns": [{"width": 1}], "rows": [{"type": "TableRow", "cells": [
    {"type": "TableCell", "items": [{"type": "TextBlock", "text": "High (4-5): 5", "wrap": True}]}]}]}


@pytest.mark.parametrize(("label", "chart", "fault"), [
    ("no fallback", _BAR, "has no fallback"),
    ("a chart as fallback", {**_BAR, "fallback": {**_BAR, "type": "Chart.VerticalBar"}}, "has no fallback"),
    ("a faulty fallback", {**_BAR, "fallback": {"type": "TextBlock", "text": "x", "size": "Huge"}}, "Huge"),
    ("a misspelt chart", {**_BAR, "type": "Chart.HorizontalBarr", "fallback": _FALLBACK_TABLE}, "HorizontalBarr"),
])
def test_teams_only_elements_are_allowed_only_with_a_sound_fallback(label: str, chart: dict[str, Any],
                                                                    fault: str) -> None:
    require_node_parser()
    good = {"type": "AdaptiveCard", "version": "1.5", "body": [{**_BAR, "fallback": _FALLBACK_TABLE}]}
    bad = {"type": "AdaptiveCard", "version": "1.5", "body": [chart]}
    good_entry, bad_entry = run_validator([good, bad])
    assert unexpected_events(good, good_entry) == []
    assert good_entry["rendered"]["body"] == [_FALLBACK_TABLE]  # what a client without charts shows
    problems = unexpected_events(bad, bad_entry)
    assert any(fault in problem for problem in problems), (label, problems)


@pytest.mark.parametrize("label", sorted(BROKEN_CARDS))
def test_validator_reports_broken_cards(label: str, parser_reports: dict[str, dict[str, Any]]) -> None:
    """A card with a known mistake must produce at least one event, or the check proves nothing."""
    entry = parser_reports[f"broken: {label}"]
    assert entry["eventCount"] + len(entry["validation"]) > 0, f"{label}: no events reported: {entry}"
    for event in entry["events"] + entry["validation"]:
        assert event["message"] and isinstance(event["event"], str), event


# --- sessions (dialogs/sessions/*.py): as many rows as those modules ever list -------------------

def _session_summary(i: int = 0) -> dict[str, Any]:
    return {"session_id": f"{i:032x}", "title": text(NAME), "topic": text(500), "presenters": text(500),
            "when": content_text(70), "day": content_text(30), "status": content_text(40), "places": content_text(60),
            "recorded": content_text(80), "joining_url": "https://teams.microsoft.com/l/meetup-join/" + "x" * 1900,
            "has_link": True, "open": True}


def _session_builders() -> dict[str, Callable[[], dict[str, Any]]]:
    from dialogs.sessions.browse import MAX_LISTED, MAX_RECENT
    from dialogs.sessions.views import MAX_GROUPS, MAX_NEEDS, MAX_REGISTER, NEEDS_SHOWN, PERSON_SHOWN

    agenda = [{"time": "14:00", "item": content_text(120)} for _ in range(8)]
    url = "https://peerspace.example.nhs.uk/calendar/session/" + "t" * 200 + ".ics"
    return {
        "session_list": lambda: {
            "sessions": [{**_session_summary(i), "mine": content_text(30), "booked": True, "can_register": False}
                         for i in range(MAX_LISTED)],
            "past": [_session_summary(i) for i in range(MAX_RECENT)], "none": "", "facilitator": True, "message": content_text(200), "zone_note": content_text(80),
            "feed_url": url},
        "session_mine": lambda: {
            "sessions": [{**_session_summary(i), "mine": content_text(30), "calendar_url": url} for i in range(12)],
            "none": "", "message": content_text(200), "subscribed": True, "not_subscribed": False},
        "session_manage": lambda: {
            **_session_summary(), "message": content_text(200), "counts": content_text(120),
            "by_organisation": [{"name": text(100), "count": "999"} for _ in range(MAX_GROUPS)],
            "by_role": [{"name": text(100), "count": "999"} for _ in range(MAX_GROUPS)],
            "access_needs": [{"name": text(NAME), "needs": text(NEEDS_SHOWN)} for _ in range(MAX_NEEDS)],
            "no_needs": "", "live": True, "can_open": True, "can_close": True, "export_url": url,
            "export_note": content_text(100), "can_mark": True, "register_note": content_text(150),
            "web_url": url, "web_note": content_text(200)},
        "session_attendance": lambda: {
            "session_id": "0" * 32, "title": text(NAME), "message": content_text(100), "error": content_text(100),
            "people": [{"title": text(PERSON_SHOWN), "value": f"{i:032x}"} for i in range(MAX_REGISTER)],
            "attended": ",".join(f"{i:032x}" for i in range(MAX_REGISTER)), "none": "", "more": content_text(60),
            "can_mark": True, "register_note": content_text(150)},
        # One of the two Places boxes (with a value, or empty for no limit) is ever sent.
        "session_edit": lambda: {**placeholder_data(content().cards["session_edit"]), "limited": True,
                                 "unlimited": False, "places": 10000},
        "session_confirmation": lambda: {
            **_session_summary(), "headline": content_text(40), "detail": content_text(300),
            "link_note": content_text(80), "show_link": True, "agenda": agenda, "calendar_url": url,
            "access_note": content_text(150)},
    }


BUILDERS.update(_session_builders())


def test_a_remembered_card_is_the_same_card_and_a_fresh_copy() -> None:
    cards = load_content(ROOT / "content")
    data = {"title": "Saved", "text": "Your answer is saved.", "next": []}
    first = cards.card("notice", data)
    first["body"].append({"type": "TextBlock", "text": "changed by a caller"})
    second = cards.card("notice", data)
    assert second == json.loads(json.dumps(with_submit_fallback(bind(cards.cards["notice"], data))))
    assert "changed by a caller" not in json.dumps(second)
    other = cards.card("notice", {"title": "Kept", "text": "Nothing was deleted.", "next": []})
    assert "Kept" in json.dumps(other) and "Saved" not in json.dumps(other)
