"""Build-time training of the theme model (storage/feedback/theme_model.py).

``python -m storage.feedback.theme_train`` reads the labelled comments shipped in
tests/data/feedback_comments.yaml, trains on the ``tuning`` split only (``held_out`` comments
never reach training or threshold choice, so they stay a fair check) and writes
storage/feedback/theme_weights.json. ``--check`` only says whether the shipped file is what
training gives now.

Pure Python on purpose: the run is small (hundreds of comments), exactly repeatable on any
machine (fixed order, fixed seed, no BLAS), and needs nothing beyond the runtime dependencies.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from storage.feedback.theme_model import RULE, WEIGHTS, Weights, tokens, word_features
from storage.feedback.themes import ThemeTagger, load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "content" / "feedback" / "themes.yaml"
LABELLED = ROOT / "tests" / "data" / "feedback_comments.yaml"
SPLITS = ("tuning", "held_out")
GRID = tuple(round(0.05 * i, 2) for i in range(2, 19))  # candidate thresholds 0.10 .. 0.90


@dataclass(frozen=True)
class Labelled:
    """One invented comment, the themes a facilitator would give it, and its split."""

    text: str
    themes: frozenset[str]
    split: str = "tuning"

    @property
    def heldout(self) -> bool:
        return self.split == "held_out"


@dataclass(frozen=True)
class Config:
    """The choices cross-validation picks between (see ``CANDIDATES``)."""

    lemmas: bool = True
    rules: bool = True  # the phrase list as one model feature per theme: the model learns its trust
    epochs: int = 12
    rate: float = 0.5
    l2: float = 0.001
    positive_weight: float = 2.0
    per_theme: bool = True
    union: bool = False  # a phrase hit gives its theme whatever the model says (lost in round 3)
    keep: float = 0.1  # weights smaller than this are dropped from the shipped file
    min_count: int = 2  # a feature must occur in this many training comments
    seed: int = 16


# Chosen by 5-fold cross-validation on the tuning split (round 3: 1,349 comments; contiguous folds,
# so each fold is mostly one writer's block). Phrases as features beat phrases OR model (F 0.79 vs
# 0.76 on the round-3 comments); the learning rate, epochs, L2 and class weight moved F by < 0.01.
# Round 4 kept the method and added data (3,022 tuning comments): cross-validated F rose 0.816 ->
# 0.831 -> 0.839 -> 0.840 as the set grew 1,596 -> 2,071 -> 2,546 -> 3,022; one threshold for all
# themes (0.841), averaged SGD weights (0.826 at 2,071), a feature for two phrases of one theme
# (+0.001), fewer epochs (0.840) and no phrase feature (0.798) were no better.
CHOSEN = Config()


def load_labelled(path: Path, known_ids: Iterable[str]) -> list[Labelled]:
    """Read the labelled comments, rejecting unknown keys, splits and theme ids."""
    known = set(known_ids)
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise ValueError(f"{path}: expected a mapping with a 'comments' list")
    items = []
    for i, entry in enumerate(data["comments"]):
        where = f"{path}: comments[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"text", "themes", "split"}:
            raise ValueError(f"{where}: expected only text, themes and split")
        text, themes, split = entry.get("text"), entry.get("themes"), entry.get("split")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}.text: must be non-empty text")
        if not isinstance(themes, list) or not set(themes) <= known:
            raise ValueError(f"{where}.themes: must be a list of known theme ids")
        if split not in SPLITS:
            raise ValueError(f"{where}.split: must be one of {', '.join(SPLITS)}")
        items.append(Labelled(text, frozenset(themes), split))
    return items


def features(text: str, rules: ThemeTagger, config: Config) -> list[str]:
    """The model's binary features of one text, in a stable order."""
    found = list(word_features(tokens(text), lemmas=config.lemmas))
    if config.rules:
        found += [RULE + t for t in rules.tag(text)]
    return found


def fit(rows: Sequence[list[str]], labels: Sequence[frozenset[str]], themes: Sequence[str],
        config: Config) -> tuple[list[float], dict[str, list[float]]]:
    """One-vs-rest logistic regression by stochastic gradient descent with L2 decay."""
    n = len(themes)
    counts: dict[str, int] = {}
    for r in rows:
        for f in r:
            counts[f] = counts.get(f, 0) + 1
    rows = [[f for f in r if counts[f] >= config.min_count] for r in rows]
    bias = [0.0] * n
    weights: dict[str, list[float]] = {}
    order = list(range(len(rows)))
    shuffle = random.Random(config.seed).shuffle
    for epoch in range(config.epochs):
        shuffle(order)
        rate = config.rate / math.sqrt(1 + epoch)
        for i in order:
            row = [weights.setdefault(f, [0.0] * n) for f in rows[i]]
            for t in range(n):
                score = bias[t] + sum(w[t] for w in row)
                p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))
                y = themes[t] in labels[i]
                step = rate * ((1.0 - p) * config.positive_weight if y else -p)
                bias[t] += step
                for w in row:
                    w[t] += step - rate * config.l2 * w[t]
    return bias, weights


def packed(themes: Sequence[str], bias: list[float], weights: dict[str, list[float]],
           thresholds: Sequence[float], config: Config) -> Weights:
    """Small weights dropped and the rest rounded, as the shipped file holds them."""
    features = {}
    for name, ws in weights.items():
        kept = tuple((t, round(w, 4)) for t, w in enumerate(ws) if abs(w) >= config.keep)
        if kept:
            features[name] = kept
    return Weights(tuple(themes), tuple(round(b, 4) for b in bias), tuple(thresholds), features,
                   config.lemmas, config.rules, config.union, {"trained_on": "tuning", "config": config.__dict__})


def probabilities(model: Weights, rows: Sequence[list[str]]) -> list[list[float]]:
    """Each row's probability for each theme of the model."""
    out = []
    for row in rows:
        total = list(model.bias)
        for name in row:
            for t, w in model.features.get(name, ()):
                total[t] += w
        out.append([1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s)))) for s in total])
    return out


def _f1(probs: Sequence[float], truth: Sequence[bool], threshold: float) -> float:
    tp = sum(1 for p, y in zip(probs, truth) if y and p >= threshold)
    fp = sum(1 for p, y in zip(probs, truth) if not y and p >= threshold)
    fn = sum(1 for p, y in zip(probs, truth) if y and p < threshold)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def thresholds(probs: Sequence[Sequence[float]], labels: Sequence[frozenset[str]],
               themes: Sequence[str], per_theme: bool, hits: Sequence[set[str]] | None = None) -> list[float]:
    """The threshold with the best F1 on out-of-fold probabilities, per theme or one for all.
    With ``hits`` (phrase-list themes per item) a hit counts as probability 1 (the union rule)."""
    if hits is not None:
        probs = [[1.0 if themes[t] in h else p[t] for t in range(len(themes))] for p, h in zip(probs, hits)]
    if not per_theme:
        flat_p = [p[t] for p in probs for t in range(len(themes))]
        flat_y = [themes[t] in y for y in labels for t in range(len(themes))]
        best = max(GRID, key=lambda c: (_f1(flat_p, flat_y, c), -abs(c - 0.5)))
        return [best] * len(themes)
    chosen = []
    for t, theme in enumerate(themes):
        column, truth = [p[t] for p in probs], [theme in y for y in labels]
        chosen.append(max(GRID, key=lambda c: (_f1(column, truth, c), -abs(c - 0.5))))
    return chosen


def folds(n: int, k: int = 5) -> list[list[int]]:
    """k interleaved folds (the file mixes voices and rounds, so every fold gets some of each)."""
    return [list(range(start, n, k)) for start in range(k)]


def out_of_fold(rows: Sequence[list[str]], labels: Sequence[frozenset[str]], themes: Sequence[str],
                config: Config, parts: list[list[int]]) -> list[list[float]]:
    """Each row's probabilities from the model trained on the other folds."""
    oof: list[list[float]] = [[] for _ in rows]
    for part in parts:
        inside = set(part)
        train = [i for i in range(len(rows)) if i not in inside]
        bias, weights = fit([rows[i] for i in train], [labels[i] for i in train], themes, config)
        model = packed(themes, bias, weights, [0.5] * len(themes), config)
        for i, p in zip(part, probabilities(model, [rows[i] for i in part])):
            oof[i] = p
    return oof


def cross_validate(items: Sequence[Labelled], themes: Sequence[str], rules: ThemeTagger,
                   config: Config, k: int = 5) -> list[set[str]]:
    """Out-of-fold predictions for every item. Thresholds for fold i come from the out-of-fold
    probabilities of the other folds, so no item is scored by a threshold it helped choose."""
    rows = [features(item.text, rules, config) for item in items]
    labels = [item.themes for item in items]
    parts = folds(len(items), k)
    oof = out_of_fold(rows, labels, themes, config, parts)
    hits = [set(rules.tag(item.text)) if config.union else set() for item in items]
    predicted: list[set[str]] = [set() for _ in items]
    for part in parts:
        others = [i for i in range(len(items)) if i not in set(part)]
        cut = thresholds([oof[i] for i in others], [labels[i] for i in others], themes, config.per_theme,
                         [hits[i] for i in others] if config.union else None)
        for i in part:
            predicted[i] = {themes[t] for t, p in enumerate(oof[i]) if p >= cut[t]} | hits[i]
    return predicted


def train(items: Sequence[Labelled], themes: Sequence[str], rules: ThemeTagger, config: Config = CHOSEN) -> Weights:
    """The shipped model: thresholds from cross-validation, weights from all tuning comments."""
    tuning = [item for item in items if not item.heldout]
    rows = [features(item.text, rules, config) for item in tuning]
    labels = [item.themes for item in tuning]
    oof = out_of_fold(rows, labels, themes, config, folds(len(tuning)))
    hits = [set(rules.tag(item.text)) for item in tuning] if config.union else None
    cut = thresholds(oof, labels, themes, config.per_theme, hits)
    bias, weights = fit(rows, labels, themes, config)
    return packed(themes, bias, weights, cut, config)


def build(taxonomy: Path = TAXONOMY, data: Path = LABELLED, config: Config = CHOSEN) -> Weights:
    """Train the shipped model from the shipped files."""
    themes = load_taxonomy(taxonomy)
    items = load_labelled(data, (t.id for t in themes))
    return train(items, [t.id for t in themes], ThemeTagger(themes), config)


def main(argv: list[str] | None = None) -> int:
    """Write the weights file, or with --check say whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file only")
    args = parser.parse_args(argv)
    text = build().to_json()
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("theme weights are up to date" if same else "theme weights differ from training")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
