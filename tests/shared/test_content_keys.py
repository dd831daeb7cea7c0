"""Texts without hand-kept key lists: the keys the code uses are read from the source, and an
organisation's overrides may change wording but not what the code relies on."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from bot.app import COMPONENTS, code_text_uses, create_app
from dialogs.shared.content import ContentError, load_content
from dialogs.shared.overrides import apply_overrides
from dialogs.shared.text_keys import placeholders, problems, scan
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


# --- the keys the code uses ----------------------------------------------------------------

def test_every_text_the_code_uses_exists_with_its_placeholders():
    uses = code_text_uses()
    unresolved = [u.where for u in uses if u.key is None]
    assert unresolved == [], "write these keys so the source shows them, or declare `# text-key: x.*`"
    assert problems(uses, load_content(CONTENT).texts) == []
    keys = {u.key for u in uses}
    # Spot checks that the reading reaches through aliases, wrappers, helpers and comprehensions.
    assert {"bot.something_went_wrong",                 # bot/app.py, Content.text directly
            "feedback.reports.intro",                   # FeedbackReports._text adds "feedback."
            "feedback.ratings.5",                       # f-string over RATING_VALUES, expanded
            "roles.admin",                              # f-string over the Role enum, expanded
            "sessions.notices.cancelled",               # SessionsBase.tell's text_key parameter
            "sessions.errors.capacity",                 # returned by AdminActions._check
            "roles_admin.not_held"} <= keys             # nested `a if c else b`
    assert "sessions.errors.*_long" in keys              # text_field's f"…{key}_long": by pattern


SYNTHETIC = '''
from typing import Any

LEVELS = ("low", "high")


def show(content, person):
    content.text("demo.hello", name=person)
    content.text("demo.hello")
    content.text("demo.missing")
    text = content.text
    return [text(f"demo.level.{v}") for v in LEVELS]


class View:
    def __init__(self, content) -> None:
        self.content = content

    def _t(self, key: str, **params: Any) -> str:
        return self.content.text(f"demo.{key}", **params)

    def card(self, ok: bool) -> str:
        t = self._t
        key = "hello" if ok else "gone"
        return t(key, name="x") + t("hello", nom="x")

    def dynamic(self, item) -> str:
        return self.content.text(item.key) + self.content.text(item.key)  # text-key: demo.level.*
'''


def test_a_key_the_code_uses_but_content_lacks_fails_the_check(tmp_path):
    folder = tmp_path / "feature"
    folder.mkdir()
    (folder / "synthetic.py").write_text(textwrap.dedent(SYNTHETIC))
    uses = scan([folder], tmp_path)
    texts = {"demo.hello": "Hello {name}", "demo.level.low": "Low", "demo.level.high": "High, {name}"}
    found = problems(uses, texts)
    where = {u.key: u.where.split(":")[1] for u in uses if u.key}
    assert f"feature/synthetic.py:{where['demo.missing']}:5: no text 'demo.missing'" in found
    assert any("'demo.hello' needs {name}" in p for p in found)           # called without its placeholder
    assert any("'demo.level.high' needs {name}" in p for p in found)      # expanded from LEVELS
    assert any("no text 'demo.gone'" in p for p in found)                 # through _t's "demo." and an alias
    assert any("passes {nom}" in p for p in found)                        # a misspelt placeholder
    declared = 1 + next(i for i, line in enumerate(textwrap.dedent(SYNTHETIC).splitlines()) if "text-key" in line)
    assert {u.key for u in uses if u.where.split(":")[1] == str(declared)} == {"demo.level.*"}
    # With the content completed, the same code passes: the check fails only for real reasons.
    complete = {**texts, "demo.missing": "M", "demo.gone": "Gone {name}", "demo.level.high": "High",
                "demo.hello": "Hello {name}"}
    remaining = problems(uses, complete)
    assert all("'demo.hello' needs {name}" in p or "passes {nom}" in p for p in remaining) and remaining


def test_a_key_the_source_does_not_show_is_reported_not_skipped(tmp_path):
    (tmp_path / "m.py").write_text("def f(content, data):\n    return content.text(data.get('k'))\n")
    uses = scan([tmp_path], tmp_path)
    assert [(u.where, u.key) for u in uses] == [("m.py:2:12", None)]


def test_placeholders_are_the_field_names_only():
    assert placeholders("{n} day(s), {when:>5} {a.b} {{literal}}") == {"n", "when", "a"}


# --- overrides ------------------------------------------------------------------------------

def _override(folder: Path, relative: str, body: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def _settings(tmp_path: Path, overrides: Path):
    return make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", content_overrides=overrides)


def test_an_override_folder_changes_a_text_and_a_card(tmp_path):
    folder = tmp_path / "org"
    _override(folder, "messages.yaml", "roles_admin:\n  more: \"and {count} others (Trust wording)\"\n")
    _override(folder, "feedback/texts.yaml", "reports:\n  title: Trust feedback reports\n")
    card = json.loads((CONTENT / "cards" / "notice.json").read_text())
    card["body"].append({"type": "TextBlock", "text": "Trust footer", "wrap": True})
    _override(folder, "cards/notice.json", json.dumps(card))
    content = create_app(_settings(tmp_path, folder))[COMPONENTS].content
    assert content.text("roles_admin.more", count=3) == "and 3 others (Trust wording)"
    assert content.text("feedback.reports.title") == "Trust feedback reports"
    assert content.text("roles_admin.granted", name="A", role="B") == load_content(CONTENT).text(
        "roles_admin.granted", name="A", role="B")  # keys not overridden keep the default
    bound = content.card("notice", {"title": "T", "text": "X", "next": []})
    assert [b["text"] for b in bound["body"]] == ["T", "X", "Trust footer"]
    assert content.file("notice.json") == folder / "cards" / "notice.json"


@pytest.mark.parametrize("relative, body, expected", [
    ("messages.yaml", "roles_admin:\n  moore: \"and {count} more\"\n",
     "messages.yaml: roles_admin.moore is not a text"),
    ("feedback/texts.yaml", "reports:\n  intro: At least {n} responses\n",
     "feedback/texts.yaml: feedback.reports.intro must use the placeholders {k}, not {n}"),
    ("messages.yaml", "roles_admin:\n  more: and some more\n",
     "messages.yaml: roles_admin.more must use the placeholders {count}, not none"),
    ("cards/notice.json", json.dumps({"type": "AdaptiveCard", "version": "1.5",
                                      "body": [{"type": "TextBlock", "text": "${heading}"}]}),
     "cards/notice.json: ${heading} is not data the bot gives this card"),
    ("sessions/cards/nothing.json", "{}",
     "sessions/cards/nothing.json: the defaults have no sessions/cards/nothing.json to override"),
])
def test_an_override_that_breaks_what_the_code_relies_on_stops_start_up(tmp_path, relative, body, expected):
    folder = tmp_path / "org"
    _override(folder, relative, body)
    with pytest.raises(ContentError, match=re.escape(str(folder / expected))):
        create_app(_settings(tmp_path, folder))


def test_an_overridden_settings_file_is_validated_like_the_default(tmp_path):
    folder = tmp_path / "org"
    _override(folder, "support.yaml", "urgent: []\n")
    with pytest.raises(ContentError, match=re.escape(f"{folder / 'support.yaml'}: urgent")):
        create_app(_settings(tmp_path, folder))


def test_a_missing_overrides_folder_is_named(tmp_path):
    with pytest.raises(ContentError, match="content overrides folder not found"):
        apply_overrides(load_content(CONTENT), tmp_path / "absent")
