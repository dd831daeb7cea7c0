"""The theme tagger facilitators see: the phrase list plus a small linear model over words.

The phrase list (storage/feedback/themes.py) alone misses words nobody thought to list, so
each theme also has a logistic model over the comment's word lemmas and pairs of neighbouring
lemmas, trained at build time on the labelled comments shipped in the repository
(``python -m storage.feedback.theme_train``) and shipped as ``theme_weights.json`` beside
this module. The phrase list takes part as one more feature per theme ("the list says this
theme"), so the model learns how far to trust it. A theme is given when its score passes that
theme's own threshold, chosen by cross-validation on the tuning comments.

Every decision stays explainable: a score is a sum of weights of features present in the
text, so the words behind a theme are the features with the largest positive weights (for
the phrase feature, the words the phrase list matched). A theme the weights file does not
know (an organisation's own taxonomy) is tagged by its phrases alone.

Lemmas come from simplemma, whose English data ships in its wheel (no download at run time).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from operator import add
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import simplemma

from storage.feedback.themes import Theme, ThemeTagger, normalise

WEIGHTS = Path(__file__).with_name("theme_weights.json")
RULE = "rule:"  # prefix of the phrase-list feature of each theme
EXPLAIN_WORDS = 4  # at most this many words are named for one theme
# Tagging adds each feature's weights for all themes at once: a feature's row is packed into one
# integer, a fixed-width field per theme plus a count field, so one C-level sum() over the rows
# replaces a Python loop over themes and features (tagging is on the path of every feedback form).
# Weights are stored to four decimals, so scaled by _SCALE they are exact integers; _OFFSET keeps
# every field non-negative and _FIELD leaves room for millions of features in one text.
_SCALE = 10_000
_OFFSET = 1 << 24
_FIELD = 48
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words that carry no topic: never a feature alone, so they never "explain" a theme either.
STOP = frozenset("""a about after all also am an and any are as at be been being but by can could
did do does for from had has have i i'm if in into is it it's its me more my no not of on or our
out so some than that the their them then there they this to too us was we were what when which
who will with would you your be very really just much""".split())


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of one lowercase word ("supervisors" -> "supervisor")."""
    return simplemma.lemmatize(word, lang="en").casefold()


def tokens(text: str) -> list[tuple[str, str]]:
    """(lemma, word as written) for each word of the text, in order."""
    words = _TOKEN.findall(normalise(text))
    return [(lemma(w), w) for w in words]


def word_features(pairs: list[tuple[str, str]], *, lemmas: bool = True) -> dict[str, str]:
    """Each unigram and bigram feature of the text mapped to the words that made it."""
    keys = [p[0] if lemmas else p[1] for p in pairs]
    found = {k: pairs[i][1] for i, k in enumerate(keys) if k not in STOP}
    for i in range(len(keys) - 1):
        if keys[i] not in STOP or keys[i + 1] not in STOP:
            found.setdefault(f"{keys[i]} {keys[i + 1]}", f"{pairs[i][1]} {pairs[i + 1][1]}")
    return found


@dataclass(frozen=True)
class Layout:
    """A model laid out for tagging: each feature's weights for all themes packed into one
    integer (see _FIELD), and per theme its field's shift and the sum it must reach."""

    ids: dict[str, int]  # each lemma a feature names, numbered from 1; any other lemma is `width - 1`
    width: int  # a pair of lemmas (a, b) is the key a * width + b, a lemma alone its id
    rows: dict[int, int]  # feature key to its packed row
    rule_rows: dict[str, int]  # theme id to the packed row of "the phrase list says this theme"
    fields: tuple[tuple[str, int, int], ...]  # (theme, shift, least scaled sum that gives it)
    count_shift: int


@dataclass(frozen=True)
class Weights:
    """A trained model: per theme a bias and a threshold, per feature its theme weights."""

    themes: tuple[str, ...]
    bias: tuple[float, ...]
    thresholds: tuple[float, ...]
    features: dict[str, tuple[tuple[int, float], ...]]
    lemmas: bool = True
    rules: bool = False  # the phrase list is one more feature of the model
    union: bool = True  # a phrase hit gives its theme whatever the model says
    meta: dict | None = None

    @cached_property
    def layout(self) -> Layout:
        """This model laid out for tagging, built once per model (every app start makes a tagger)."""
        n = len(self.themes)
        offsets = sum(_OFFSET << (_FIELD * t) for t in range(n)) + (1 << (_FIELD * n))  # + the count field

        def packed(ws: tuple[tuple[int, float], ...]) -> int:
            row = offsets
            for index, weight in ws:
                fixed = round(weight * _SCALE)
                if not -_OFFSET < fixed < _OFFSET:
                    raise ValueError("theme weights: a weight is out of range")
                row += fixed << (_FIELD * index)
            return row

        # Lemmas are numbered so that a pair's key is one small integer: tagging builds neither
        # strings nor tuples, and an integer hashes as itself.
        rule_rows = {name[len(RULE):]: packed(ws) for name, ws in self.features.items() if name.startswith(RULE)}
        named = [name.partition(" ")[::2] for name in self.features if not name.startswith(RULE)]
        ids = {lemma: i for i, lemma in enumerate(sorted({part for parts in named for part in parts if part}), 1)}
        width = len(ids) + 2
        rows: dict[int, int] = {}
        for name, ws in self.features.items():
            if not name.startswith(RULE):
                first, _, second = name.partition(" ")
                rows[ids[first] * width + ids[second] if second else ids[first]] = packed(ws)
        # A theme is given when bias + weights >= the threshold's log-odds (no exp() per theme),
        # that is when its field's sum of scaled weights reaches this integer.
        fields = tuple(
            (theme, _FIELD * t, math.ceil((math.log(c / (1.0 - c)) - b) * _SCALE - 1e-6))
            for t, (theme, b, c) in enumerate(zip(self.themes, self.bias, self.thresholds)))
        return Layout(ids, width, rows, rule_rows, fields, _FIELD * n)

    def to_json(self) -> str:
        """Deterministic text: the same model always writes the same bytes."""
        return json.dumps({
            "themes": list(self.themes), "bias": list(self.bias), "thresholds": list(self.thresholds),
            "lemmas": self.lemmas, "rules": self.rules, "union": self.union, "meta": self.meta or {},
            "features": {f: {self.themes[t]: w for t, w in ws} for f, ws in sorted(self.features.items())},
        }, indent=0, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Weights":
        """Read a weights file written by ``to_json``; raise ValueError when it is malformed."""
        try:
            raw = json.loads(text)
            themes = tuple(str(t) for t in raw["themes"])
            index = {t: i for i, t in enumerate(themes)}
            features = {str(f): tuple((index[t], float(w)) for t, w in ws.items())
                        for f, ws in raw["features"].items()}
            bias = tuple(float(b) for b in raw["bias"])
            thresholds = tuple(float(b) for b in raw["thresholds"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"theme weights: malformed file ({exc})") from None
        if not len(bias) == len(thresholds) == len(themes):
            raise ValueError("theme weights: bias and thresholds need one value per theme")
        return cls(themes, bias, thresholds, features, bool(raw.get("lemmas", True)),
                   bool(raw.get("rules", False)), bool(raw.get("union", True)), raw.get("meta") or {})


def load_weights(path: Path = WEIGHTS) -> Weights:
    """The shipped model (or another file of the same shape); read once per process and file."""
    stat = Path(path).stat()
    return _weights(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _weights(path: str, _mtime: int, _size: int) -> Weights:
    return Weights.from_json(Path(path).read_text(encoding="utf-8"))


class HybridTagger:
    """Phrase list plus linear model; the same interface as ThemeTagger (``themes``, ``tag``,
    ``explain``) so the form and the reports do not care which one they hold."""

    def __init__(self, themes: Iterable[Theme], weights: Weights | None) -> None:
        """Compile the phrases and lay the model out for tagging."""
        self._rules = ThemeTagger(themes)
        self._weights = weights
        self._ids = tuple(theme.id for theme in self._rules.themes)
        self._word_ids: dict[str, int] = {}  # word as written to the number of its feature key
        if weights is None:
            return
        layout = weights.layout
        self._known, self._width, self._rows, self._rule_rows = layout.ids, layout.width, layout.rows, layout.rule_rows
        self._fields, self._count_shift = layout.fields, layout.count_shift
        self._rules_alone = set(self._ids) if weights.union else set(self._ids) - set(weights.themes)

    @property
    def themes(self) -> tuple[Theme, ...]:
        """The themes this tagger knows, in taxonomy order."""
        return self._rules.themes

    def scores(self, text: str) -> dict[str, float]:
        """Each modelled theme's probability for the text (phrase-only themes are absent)."""
        return {self._weights.themes[i]: p for i, p in self._probabilities(text)[0].items()} \
            if self._weights else {}

    def _probabilities(self, text: str) -> tuple[dict[int, float], dict[str, list[str]], dict[str, str]]:
        w = self._weights
        assert w is not None
        matched = self._rules.matched_words(text)
        feats = word_features(tokens(text), lemmas=w.lemmas)
        total = list(w.bias)
        table = w.features
        for name in (*feats, *(RULE + t for t in matched if w.rules)):
            for index, weight in table.get(name, ()):
                total[index] += weight
        probs = {i: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s)))) for i, s in enumerate(total)}
        return probs, matched, feats

    def tag(self, text: str) -> list[str]:
        """Return the ids of the themes the text is about, in taxonomy order (the fast path)."""
        w = self._weights
        if w is None or not text:
            return self._rules.tag(text)
        normalised = normalise(text)
        words = _TOKEN.findall(normalised)
        ids = [*map(self._word_ids.get, words)]
        if None in ids:
            ids = [key or self._id(word) for key, word in zip(ids, words)]
        ruled = self._rules.themes_in(normalised)
        # Stop words and pairs of stop words are never features, so they are simply not found;
        # the set counts a feature once however often it occurs, as the model was trained.
        pairs = map(add, map(self._width.__mul__, ids), ids[1:])  # type: ignore[arg-type]
        total = sum(filter(None, map(self._rows.get, {*ids, *pairs})))
        if w.rules:
            total += sum(filter(None, map(self._rule_rows.get, ruled)))
        base = (total >> self._count_shift) * _OFFSET
        mask = (1 << _FIELD) - 1
        given = {theme for theme, shift, need in self._fields if ((total >> shift) & mask) - base >= need}
        given.update(ruled & self._rules_alone)
        return [theme for theme in self._ids if theme in given]

    def _id(self, word: str) -> int:
        """Look a word up once per process; the cache is bounded so odd input cannot grow it."""
        assert self._weights is not None
        if len(self._word_ids) > 200_000:
            self._word_ids.clear()
        key = lemma(word) if self._weights.lemmas else word
        self._word_ids[word] = found = self._known.get(key, self._width - 1)
        return found

    def explain(self, text: str, *, words: bool = True) -> dict[str, list[str]]:
        """Map each theme given (taxonomy order) to the words of the text that made it."""
        if not text:
            return {}
        if self._weights is None:
            return self._rules.matched_words(text)
        probs, matched, feats = self._probabilities(text)
        w = self._weights
        given = {w.themes[i] for i, p in probs.items() if p >= w.thresholds[i]}
        given |= {t for t in matched if w.union or t not in w.themes}
        out: dict[str, list[str]] = {}
        for theme in self.themes:
            if theme.id in given:
                out[theme.id] = self._why(theme.id, matched, feats) if words else []
        return out

    def _why(self, theme_id: str, matched: dict[str, list[str]], feats: dict[str, str]) -> list[str]:
        """The words with the largest positive contributions to one theme, largest first."""
        w = self._weights
        assert w is not None
        if theme_id not in w.themes:
            return matched.get(theme_id, [])
        index = w.themes.index(theme_id)
        parts: list[tuple[float, list[str]]] = []
        for name, written in feats.items():
            weight = dict(w.features.get(name, ())).get(index, 0.0)
            if weight > 0:
                parts.append((weight, [written]))
        if theme_id in matched:
            # Under the union rule a phrase hit decides alone, so its words come first.
            weight = math.inf if w.union else dict(w.features.get(RULE + theme_id, ())).get(index, 0.0)
            if weight > 0:
                parts.append((weight, matched[theme_id]))
        named: list[str] = []
        for _, group in sorted(parts, key=lambda part: -part[0]):
            for word in group:
                if word not in named and not any(word in other for other in named):
                    named.append(word)
        return named[:EXPLAIN_WORDS]
