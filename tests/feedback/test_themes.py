"""The theme taxonomy, the transparent tagger, and its quality on labelled comments."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from storage.feedback import theme_model, theme_train
from storage.feedback.theme_model import HybridTagger, load_weights
from storage.feedback.themes import Theme, ThemeTagger, load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "content" / "feedback" / "themes.yaml"
LABELLED = ROOT / "tests" / "data" / "feedback_comments.yaml"
EXPECTED_IDS = [
    "training",
    "induction",
    "supervision",
    "wellbeing",
    "recruitment",
    "role_fidelity",
    "organisational_readiness",
    "career_progression",
    "peer_leadership",
    "networks_connection",
    "evaluation",
    "cultural_competency",
    "session_format",
    "resources_sharing",
]


def _bench():
    """Import bench/themes.py by path: bench/ is a folder of scripts, not a package."""
    spec = importlib.util.spec_from_file_location("bench_themes", ROOT / "bench" / "themes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _tagger(*themes: Theme) -> ThemeTagger:
    return ThemeTagger(themes)


def test_taxonomy_has_exactly_the_fourteen_themes():
    themes = load_taxonomy(TAXONOMY)
    assert [t.id for t in themes] == EXPECTED_IDS
    for theme in themes:
        assert theme.label and theme.description.endswith(".")
        assert theme.phrases


def test_explain_shows_the_phrase_that_matched():
    tagger = ThemeTagger(load_taxonomy(TAXONOMY))
    explained = tagger.explain("Our peer workers have no clinical supervision and are burning out.")
    assert "supervis*" in explained["supervision"]
    assert "burn* out" in explained["wellbeing"]
    assert tagger.tag("Our peer workers have no clinical supervision and are burning out.") == [
        "supervision",
        "wellbeing",
    ]


def test_tags_come_in_taxonomy_order_not_text_order():
    tagger = _tagger(
        Theme("first", "First", "First theme.", ("zebra",)),
        Theme("second", "Second", "Second theme.", ("apple",)),
    )
    assert tagger.tag("apple then zebra") == ["first", "second"]
    assert tagger.tag("nothing here") == []
    assert tagger.explain("") == {}


def test_phrase_rules_stems_word_boundaries_and_separators():
    tagger = _tagger(
        Theme("training", "Training", "Training.", ("train*",)),
        Theme("reflect", "Reflection", "Reflection.", ("co-reflection", "one to one")),
    )
    assert tagger.tag("Trainers TRAINING train") == ["training"]
    assert tagger.tag("we used restraint") == []  # a phrase starts at a word start
    assert tagger.tag("coreflection") == ["reflect"]
    assert tagger.tag("co reflection") == ["reflect"]
    assert tagger.explain("a one-to-one chat") == {"reflect": ["one to one"]}
    assert tagger.tag("one tone") == []


def test_longest_phrase_wins_and_exclude_swallows_its_words():
    tagger = _tagger(
        Theme("supervision", "Supervision", "S.", ("peer supervision",)),
        Theme("leadership", "Leadership", "L.", ("peer*",)),
        Theme("format", "Format", "F.", ("chat",), exclude=("chill and chat",)),
        Theme("wellbeing", "Wellbeing", "W.", ("chill and chat",)),
    )
    assert tagger.tag("peer supervision") == ["supervision"]
    assert tagger.tag("peers") == ["leadership"]
    assert tagger.tag("monthly chill and chat") == ["wellbeing"]
    assert tagger.tag("the chat was busy") == ["format"]


def _write(tmp_path: Path, themes) -> Path:
    path = tmp_path / "themes.yaml"
    path.write_text(yaml.safe_dump({"themes": themes}), encoding="utf-8")
    return path


GOOD = {"id": "training", "label": "Training", "description": "Training.", "phrases": ["train*"]}


@pytest.mark.parametrize(
    ("themes", "field"),
    [
        ([{k: v for k, v in GOOD.items() if k != "label"}], "label"),
        ([{**GOOD, "description": ""}], "description"),
        ([{**GOOD, "phrases": []}], "phrases"),
        ([{**GOOD, "phrases": ["Train*"]}], "phrases[0]"),
        ([{**GOOD, "phrases": ["tr*ain"]}], "phrases[0]"),
        ([{**GOOD, "phrases": ["train", "train"]}], "phrases[1]"),
        ([{**GOOD, "colour": "red"}], "colour"),
        ([GOOD, dict(GOOD)], "id"),
        ([{**GOOD, "id": "Training Theme"}], "id"),
        ([{**GOOD, "exclude": ["train*"]}], "train*"),
    ],
)
def test_bad_taxonomy_raises_naming_file_and_field(tmp_path, themes, field):
    path = _write(tmp_path, themes)
    with pytest.raises(ValueError) as raised:
        load_taxonomy(path)
    assert str(path) in str(raised.value)
    assert field in str(raised.value)


def test_bad_top_level_and_yaml_numbers_are_rejected(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  - {id: a, label: A, description: A., phrases: [1:1]}\n")
    # YAML reads an unquoted 1:1 as the number 61, which must not pass as a phrase.
    with pytest.raises(ValueError, match="phrases"):
        load_taxonomy(path)
    path.write_text("- just a list\n")
    with pytest.raises(ValueError, match="themes"):
        load_taxonomy(path)


def test_labelled_set_is_large_split_and_uses_only_known_ids():
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["comments"]
    assert len(data) >= 600
    texts = [item["text"] for item in data]
    assert len(set(texts)) == len(texts)
    for item in data:
        assert set(item) == {"text", "themes", "split"}
        assert item["split"] in ("tuning", "held_out")
        assert set(item["themes"]) <= set(EXPECTED_IDS), item["text"]
    for split in ("tuning", "held_out"):
        part = [item for item in data if item["split"] == split]
        assert len(part) >= 200
        assert sum(1 for item in part if not item["themes"]) >= 10
        assert {t for item in part for t in item["themes"]} == set(EXPECTED_IDS)


def test_shipped_weights_are_what_training_on_the_shipped_tuning_comments_gives():
    # Pure Python, fixed order and seed: training is exactly repeatable, so the file must match.
    assert theme_train.build().to_json() == theme_model.WEIGHTS.read_text(encoding="utf-8")


def test_training_never_sees_held_out_comments(tmp_path):
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    for item in data["comments"]:
        if item["split"] == "held_out":
            item["themes"] = ["recruitment"] if item["themes"] != ["recruitment"] else []  # labels scrambled
    scrambled = tmp_path / "scrambled.yaml"
    scrambled.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = theme_train.Config(epochs=2)  # cheap: only sameness matters here
    assert theme_train.build(TAXONOMY, scrambled, config).to_json() == theme_train.build(
        TAXONOMY, LABELLED, config).to_json()


def test_hybrid_explains_with_the_words_of_the_text():
    tagger = HybridTagger(load_taxonomy(TAXONOMY), load_weights())
    text = "Our peer workers have no clinical supervision and are burning out."
    explained = tagger.explain(text)
    assert list(explained) == tagger.tag(text) and {"supervision", "wellbeing"} <= set(explained)
    assert "supervision" in explained["supervision"] and "burning out" in explained["wellbeing"]
    for words in explained.values():
        assert words and all(w.casefold() in text.casefold() for w in words)
    assert tagger.explain("") == {} and tagger.tag("") == []


def test_hybrid_without_weights_or_for_an_unknown_theme_falls_back_to_phrases():
    themes = (Theme("astrology", "Astrology", "Stars.", ("horoscope*",)),)
    rules_only = HybridTagger(themes, None)
    assert rules_only.tag("my horoscopes") == ["astrology"] and rules_only.explain("my horoscopes") == {
        "astrology": ["horoscopes"]}
    mixed = HybridTagger(themes, load_weights())  # the shipped weights know no astrology theme
    assert mixed.tag("my horoscope said supervision") == ["astrology"]


def test_weights_file_errors_are_clear():
    with pytest.raises(ValueError, match="malformed"):
        theme_model.Weights.from_json("{}")
    with pytest.raises(ValueError, match="one value per theme"):
        theme_model.Weights.from_json('{"themes": ["a"], "bias": [], "thresholds": [0.5], "features": {}}')


def test_tagger_holds_its_measured_quality_on_held_out_comments():
    # Floors a little under the figures measured once after the round-4 freeze (bench/themes.py):
    # held-out precision 0.890, recall 0.883 (the targets are 0.85); a regression below them fails here.
    result = _bench().evaluate(TAXONOMY, LABELLED, min_seconds=0.01, cross_validated=False)
    hybrid, phrases = result["methods"]["hybrid"], result["methods"]["phrases"]
    assert hybrid["held_out"]["comments"] >= 200
    assert hybrid["held_out"]["precision"] >= 0.87, hybrid["held_out"]
    assert hybrid["held_out"]["recall"] >= 0.87, hybrid["held_out"]
    assert hybrid["held_out"]["f1"] > phrases["held_out"]["f1"]  # the reason the hybrid ships
    assert set(hybrid["per_theme"]) == set(EXPECTED_IDS)


def test_fast_tagging_path_gives_the_same_themes_as_the_explained_one():
    tagger = HybridTagger(load_taxonomy(TAXONOMY), load_weights())
    texts = [item["text"] for item in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["comments"]]
    texts += ["peer support peer support peer support", "the the the", "Supervision! supervision? SUPERVISION."]
    for text in texts:
        assert tagger.tag(text) == list(tagger.explain(text)), text
