"""Starting the app reads and checks its content every time (the tests start it hundreds of
times): what does not change between starts is done once per process, and a changed file is
still read again."""

from __future__ import annotations

import os
import re

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from dialogs.shared import text_keys
from dialogs.shared.text_keys import KeyUse, problems
from storage.feedback import themes
from storage.feedback.themes import load_taxonomy

THEME = {"id": "training", "label": "Training", "description": "Learning the role", "phrases": ["train*"]}


def _write(path, *entries) -> None:
    path.write_text(yaml.safe_dump({"themes": list(entries)}), encoding="utf-8")


def test_an_unchanged_taxonomy_is_read_once_and_a_changed_one_again(tmp_path, monkeypatch):
    path = tmp_path / "themes.yaml"
    _write(path, THEME)
    reads = []
    real = yaml.safe_load
    monkeypatch.setattr(themes.yaml, "safe_load", lambda text: reads.append(1) or real(text))
    first = load_taxonomy(path)
    assert load_taxonomy(path) == first and len(reads) == 1
    load_taxonomy(path).clear()  # a caller changing its list changes no one else's
    assert load_taxonomy(path) == first
    _write(path, THEME, {**THEME, "id": "induction", "phrases": ["induction"]})
    os.utime(path, ns=(1, 1))  # changed, whatever the file system's clock says
    assert [t.id for t in load_taxonomy(path)] == ["training", "induction"] and len(reads) == 2


def test_a_broken_taxonomy_is_refused_every_time_naming_the_path_given(tmp_path):
    path = tmp_path / "themes.yaml"
    _write(path, {**THEME, "phrases": []})
    for _ in range(2):
        with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: themes\\[0\\]"):
            load_taxonomy(path)
    with pytest.raises(ValueError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path / "missing.yaml")


def _naive(uses: list[KeyUse], texts: dict[str, str]) -> list[list[str]]:
    """What each use matches, by trying every key (the check before it looked only at prefixes)."""
    return [[u.key] if u.key in texts else
            [k for k in texts if re.fullmatch(".+".join(map(re.escape, u.key.split("*"))), k)]
            if "*" in u.key else [] for u in uses]


KEY = st.text("ab.*", min_size=1, max_size=6)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(KEY.filter(lambda k: "*" not in k), max_size=8, unique=True), st.lists(KEY, max_size=5))
def test_wildcard_keys_match_what_trying_every_key_matches_in_the_texts_order(keys, wanted):
    texts = {k: "" for k in keys}
    uses = [KeyUse(f"x.py:{i}", k, frozenset()) for i, k in enumerate(wanted)]
    index = text_keys._Keys(texts)
    assert [[u.key] if u.key in texts else index.matching(u.key) if "*" in u.key else []
            for u in uses] == _naive(uses, texts)
    missing = [f"x.py:{i}: {'no text matches' if '*' in u.key else 'no text'} {u.key!r}"
               for i, (u, m) in enumerate(zip(uses, _naive(uses, texts))) if not m]
    assert problems(uses, texts) == missing
