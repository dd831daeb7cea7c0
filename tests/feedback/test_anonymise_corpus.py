"""Clean feedback survives the scrubber even when colleagues' names are everyday words.

A colleague called Sam Best must not turn "best practice" into "[name]
practice". Two corpora with no identifiers in them are scrubbed with such names
known: the sentences in tests/data/clean_feedback.txt, written to use those
words, and the labelled feedback comments. At most 1% may come back changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from storage.feedback.anonymise import Scrubber

DATA = Path(__file__).resolve().parent.parent / "data"
MAX_CHANGED = 0.01

# Surnames (and some first names) that are everyday English words.
KNOWN = [
    "Sam Best", "Alex Hunt", "Jordan Law", "Mia Story", "Ellis Bright", "Priya Bond",
    "Chidi Burns", "Will Hope", "Grace Long", "Rose Young", "Mark King", "Bill White",
    "May Green", "Amara Hall", "Niamh Wood", "Tomasz Hill", "Kwame Price", "Sanjay Cook",
    "Siobhan Bell", "Ola Grant", "Dee Page", "Ravi Stone", "Nia Cross", "Lou Field",
    "Jen Read", "Ann Miles", "Liz Sharp", "Raj Day", "Sian West", "Joy Story",
    "Okafor, Chidi (He/Him)",
]


def _clean_sentences() -> list[str]:
    lines = (DATA / "clean_feedback.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _labelled_comments() -> list[str]:
    labelled = yaml.safe_load((DATA / "feedback_comments.yaml").read_text(encoding="utf-8"))
    return [comment["text"] for comment in labelled["comments"]]


@pytest.mark.parametrize("corpus", [_clean_sentences, _labelled_comments], ids=lambda c: c.__name__)
def test_at_most_one_percent_of_clean_feedback_changes_with_everyday_names_known(corpus):
    texts = corpus()
    assert len(texts) >= 200
    scrubber = Scrubber(known_names=KNOWN)
    changed = [text for text in texts if scrubber.scrub(text) != " ".join(text.split())]
    assert len(changed) <= MAX_CHANGED * len(texts), changed


def test_no_clean_sentence_changes_with_no_names_known():
    # Abbreviations, decimals, times and missing spaces ("ward.Then", "good.so")
    # are not links, numbers or emails.
    scrubber = Scrubber()
    assert [t for t in _clean_sentences() if scrubber.scrub(t) != t] == []
