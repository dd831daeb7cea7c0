"""The faster theme tagger (issue 16: >= 20,000 comments/s) gives exactly what the frozen
method gave: same matches, themes, scores and explanation words (tests/feedback/theme_reference.py
keeps the method as it was)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.feedback.theme_model import HybridTagger, load_weights
from storage.feedback.themes import Theme, ThemeTagger, load_taxonomy, normalise
from tests.feedback.theme_reference import (
    ReferenceRules, reference_hybrid, reference_normalise, reference_tag)

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "content" / "feedback" / "themes.yaml"
LABELLED = ROOT / "tests" / "data" / "feedback_comments.yaml"
TEXTS = [item["text"] for item in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["comments"]]
THEMES = load_taxonomy(TAXONOMY)
# Every valid phrase form: stems mid-phrase and at the end, hyphens (which may match nothing),
# the literal characters '+&:. and phrases that are prefixes of one another.
TOY = (
    Theme("a", "A", "A.", ("peer", "peer*", "peer supervision", "peer support worker*", "co-reflect*", "1:1")),
    Theme("b", "B", "B.", ("train* need*", "co*-op", "lgbtq+", "q&a", "i'm a peer", "well-being", "e.g."),
          exclude=("peer support",)),
    Theme("c", "C", "C.", ("peer support", "one-to-one", "one to one*", "a-b-c", "x*-y*-z")),
)

# Built once: hypothesis runs each test hundreds of times.
RULES = ThemeTagger(THEMES), ReferenceRules(THEMES)
TOY_RULES = ThemeTagger(TOY), ReferenceRules(TOY)
HYBRID = HybridTagger(THEMES, load_weights()), reference_hybrid(THEMES, load_weights())


def _new_matches(tagger: ThemeTagger, normalised: str) -> list[tuple[str, str]]:
    return [(hit, tagger._table[tagger._phrase(hit)][0]) for hit in tagger._spans.findall(normalised)]


def _old_matches(reference: ReferenceRules, normalised: str) -> list[tuple[str, str]]:
    return [(normalised[start:end], phrase) for start, end, phrase in reference.matches(normalised)]


def test_every_labelled_comment_gets_the_same_themes_scores_and_words():
    new, old = HYBRID
    for text in TEXTS:
        assert normalise(text) == reference_normalise(text)
        assert new.tag(text) == reference_tag(old, text), text
        assert new.explain(text) == old.explain(text), text
        assert new.scores(text) == old.scores(text), text
        assert new._rules.tag(text) == old._rules.tag(text), text
        assert new._rules.themes_in(normalise(text)) == old._rules.themes_in(normalise(text)), text


def test_every_labelled_comment_gets_the_same_phrase_matches():
    new, old = HYBRID
    for text in TEXTS:
        normalised = normalise(text)
        assert _new_matches(new._rules, normalised) == _old_matches(old._rules, normalised), text


def test_curly_quotes_and_other_scripts_normalise_as_before():
    for text in ["Peer\u2019s \u2018CPD\u2019 \u2013 train\u2014ing", "STRASSE \u00df caf\u00e9 \ufb01le", "ΣΊΣΥΦΟΣ", ""]:
        assert normalise(text) == reference_normalise(text)


PIECES = sorted({word for theme in (*THEMES, *TOY) for phrase in (*theme.phrases, *theme.exclude)
                 for word in phrase.replace("*", "").replace("-", " ").split()})
SUFFIXES = ["", "", "s", "ing", "ed", "er", "'s", "x"]
GAPS = [" ", " ", " ", "  ", "-", " - ", "/", ", ", ". ", "\n", "\t", "'", "", ":", "+", "&", "\u2019", "\u2014", " (", "!"]


@st.composite
def texts(draw) -> str:
    """Runs of phrase words (with suffixes and case changes) joined by varied gaps."""
    parts = []
    for _ in range(draw(st.integers(1, 9))):
        word = draw(st.sampled_from(PIECES)) + draw(st.sampled_from(SUFFIXES))
        word = draw(st.sampled_from([word, word.upper(), word.capitalize()]))
        parts.append(word + draw(st.sampled_from(GAPS)))
    return draw(st.sampled_from(["", " ", "'", "x"])) + "".join(parts)


@settings(derandomize=True, max_examples=600, deadline=None)
@given(texts())
def test_random_texts_get_the_same_matches_from_the_shipped_phrases(text):
    new, old = RULES
    assert normalise(text) == reference_normalise(text)
    _assert_same_matches(new, old, text)
    assert new.explain(text) == old.explain(text)


@settings(derandomize=True, max_examples=600, deadline=None)
@given(texts())
def test_random_texts_get_the_same_matches_from_every_phrase_form(text):
    new, old = TOY_RULES
    _assert_same_matches(new, old, text)


def _assert_same_matches(new, old, text: str) -> None:
    normalised = normalise(text)
    assert _new_matches(new, normalised) == _old_matches(old, normalised)
    assert new.matched_words(text) == old.matched_words(text)
    assert new.tag(text) == old.tag(text)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(texts())
def test_random_texts_get_the_same_hybrid_themes(text):
    new, old = HYBRID
    assert new.tag(text) == reference_tag(old, text)
    assert new.explain(text) == old.explain(text)
