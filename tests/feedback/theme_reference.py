"""The theme tagger as it was before issue 16's speed work, kept only as the reference the
tests compare the shipped tagger with (the method is frozen: outputs must not change).

``ReferenceRules`` finds matches with the named trie regex's ``finditer``; ``reference_tag``
sums the packed rows keyed by lemma strings and lemma tuples, as ``HybridTagger.tag`` did.
"""

from __future__ import annotations

import re

from storage.feedback.theme_model import _FIELD, _OFFSET, _TOKEN, RULE, HybridTagger, Weights, lemma
from storage.feedback.themes import ThemeTagger, _QUOTES, _trie_regex


def reference_normalise(text: str) -> str:
    """normalise() as it was: casefold, then straighten curly quotes and dashes."""
    return text.casefold().translate(_QUOTES)


class ReferenceRules(ThemeTagger):
    """The phrase tagger with its original matching loop over the named trie regex."""

    def __init__(self, themes) -> None:
        super().__init__(themes)
        phrases = [phrase for phrase, _ in self._table]
        self.regex = re.compile(_trie_regex(phrases)) if phrases else None
        self.owners = {f"p{i}": owners for i, (_, owners) in enumerate(self._table)}

    def matches(self, normalised: str) -> list[tuple[int, int, str]]:
        """(start, end, phrase) of every match, as finditer gives them."""
        assert self.regex is not None
        return [(m.start(), m.end(), self._table[int(m.lastgroup[1:])][0]) for m in self.regex.finditer(normalised)]

    def _collect(self, text: str, *, written: bool) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if not text or self.regex is None:
            return found
        for match in self.regex.finditer(reference_normalise(text)):
            phrase, owners = self._table[int(match.lastgroup[1:])]
            hit = match.group(0) if written else phrase
            for theme_id in owners:
                hits = found.setdefault(theme_id, [])
                if hit not in hits:
                    hits.append(hit)
        return {tid: found[tid] for tid in sorted(found, key=self._order.__getitem__)}

    def themes_in(self, normalised: str) -> set[str]:
        found: set[str] = set()
        if self.regex is not None:
            for match in self.regex.finditer(normalised):
                found.update(self.owners[match.lastgroup])
        return found

    def tag(self, text: str) -> list[str]:
        return list(self.explain(text))


def reference_hybrid(themes, weights: Weights | None) -> HybridTagger:
    """A HybridTagger whose phrase list is ReferenceRules (explain and scores as they were)."""
    tagger = HybridTagger(themes, weights)
    tagger._rules = ReferenceRules(themes)
    return tagger


def reference_tag(tagger: HybridTagger, text: str) -> list[str]:
    """HybridTagger.tag as it was: rows keyed by lemma strings and (lemma, lemma) tuples."""
    w = tagger._weights
    rules = tagger._rules
    assert isinstance(rules, ReferenceRules)
    if w is None or not text:
        return rules.tag(text)
    words_rows = _word_rows(w)
    layout = w.layout
    normalised = reference_normalise(text)
    words = _TOKEN.findall(normalised)
    keys = [lemma(word) for word in words] if w.lemmas else words
    ruled = rules.themes_in(normalised)
    total = sum(filter(None, map(words_rows.get, {*keys, *zip(keys, keys[1:])})))
    if w.rules:
        total += sum(filter(None, map(layout.rule_rows.get, ruled)))
    base = (total >> layout.count_shift) * _OFFSET
    mask = (1 << _FIELD) - 1
    given = {theme for theme, shift, need in layout.fields if ((total >> shift) & mask) - base >= need}
    given.update(ruled & tagger._rules_alone)
    return [theme for theme in tagger._ids if theme in given]


_ROWS: dict[int, tuple[Weights, dict[object, int]]] = {}


def _word_rows(w: Weights) -> dict[object, int]:
    """The packed rows keyed as they were (built once per model)."""
    if id(w) not in _ROWS:
        n = len(w.themes)
        offsets = sum(_OFFSET << (_FIELD * t) for t in range(n)) + (1 << (_FIELD * n))
        rows: dict[object, int] = {}
        for name, ws in w.features.items():
            if not name.startswith(RULE):
                first, _, second = name.partition(" ")
                rows[(first, second) if second else name] = offsets + sum(
                    round(weight * 10_000) << (_FIELD * index) for index, weight in ws)
        _ROWS[id(w)] = (w, rows)  # the model is kept so its id is not reused
    return _ROWS[id(w)][1]
