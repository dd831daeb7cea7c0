"""Quality and speed of the transparent theme tagger on the labelled comments.

Run from the repository root: ``python bench/themes.py`` (``--errors`` also
lists the tuning comments the tagger gets wrong; held-out ones stay hidden so
they remain a fair check).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path rather than the root.
    sys.path.insert(0, str(ROOT))

from storage.feedback.themes import ThemeTagger, load_taxonomy  # noqa: E402

TAXONOMY = ROOT / "content" / "feedback" / "themes.yaml"
LABELLED = ROOT / "tests" / "data" / "feedback_comments.yaml"


@dataclass(frozen=True)
class Labelled:
    """One invented comment and the themes a facilitator would give it."""

    text: str
    themes: frozenset[str]
    heldout: bool = False


def load_labelled(path: Path, known_ids: Iterable[str]) -> list[Labelled]:
    """Read the labelled comments, rejecting unknown keys and theme ids."""
    known = set(known_ids)
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise ValueError(f"{path}: expected a mapping with a 'comments' list")
    items = []
    for i, entry in enumerate(data["comments"]):
        where = f"{path}: comments[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"text", "themes", "heldout"}:
            raise ValueError(f"{where}: expected only text, themes and heldout")
        text, themes = entry.get("text"), entry.get("themes")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}.text: must be non-empty text")
        if not isinstance(themes, list) or not set(themes) <= known:
            raise ValueError(f"{where}.themes: must be a list of known theme ids")
        items.append(Labelled(text, frozenset(themes), bool(entry.get("heldout", False))))
    return items


def _scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts; an empty denominator scores 1."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _micro(pairs: list[tuple[Labelled, frozenset[str]]]) -> dict[str, float]:
    """Micro-averaged scores over (comment, theme) decisions."""
    tp = sum(len(item.themes & got) for item, got in pairs)
    fp = sum(len(got - item.themes) for item, got in pairs)
    fn = sum(len(item.themes - got) for item, got in pairs)
    return {**_scores(tp, fp, fn), "comments": len(pairs)}


def evaluate(taxonomy_path: Path, data_path: Path, *, min_seconds: float = 1.0) -> dict:
    """Score the tagger against the labelled set and time it on one core.

    Returns micro ``precision``/``recall``/``f1``, the same for the ``tuning``
    and ``heldout`` subsets, ``per_theme`` scores with support,
    ``comments_per_second`` measured over at least ``min_seconds``, and
    ``errors`` (text, missed, extra) for tuning comments only.
    """
    themes = load_taxonomy(Path(taxonomy_path))
    tagger = ThemeTagger(themes)
    items = load_labelled(Path(data_path), (t.id for t in themes))
    pairs = [(item, frozenset(tagger.tag(item.text))) for item in items]

    per_theme = {}
    for theme in themes:
        tp = sum(1 for item, got in pairs if theme.id in item.themes and theme.id in got)
        fp = sum(1 for item, got in pairs if theme.id not in item.themes and theme.id in got)
        fn = sum(1 for item, got in pairs if theme.id in item.themes and theme.id not in got)
        per_theme[theme.id] = {**_scores(tp, fp, fn), "support": tp + fn}

    texts = [item.text for item in items]
    tagged, started = 0, time.perf_counter()
    while True:
        for text in texts:
            tagger.tag(text)
        tagged += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            break

    return {
        **_micro(pairs),
        "tuning": _micro([p for p in pairs if not p[0].heldout]),
        "heldout": _micro([p for p in pairs if p[0].heldout]),
        "per_theme": per_theme,
        "comments_per_second": tagged / elapsed,
        "errors": [
            (item.text, sorted(item.themes - got), sorted(got - item.themes))
            for item, got in pairs
            if got != item.themes and not item.heldout
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    parser.add_argument("--data", type=Path, default=LABELLED)
    parser.add_argument("--errors", action="store_true", help="list wrong tuning comments")
    args = parser.parse_args(argv)
    result = evaluate(args.taxonomy, args.data)

    subsets = (("all", result), ("tuning", result["tuning"]), ("heldout", result["heldout"]))
    for name, scores in subsets:
        print(
            f"{name:8} n={scores['comments']:<4} precision={scores['precision']:.3f} "
            f"recall={scores['recall']:.3f} f1={scores['f1']:.3f}"
        )
    print(f"\n{'theme':26} {'precision':>9} {'recall':>7} {'support':>7}")
    for theme_id, scores in result["per_theme"].items():
        print(
            f"{theme_id:26} {scores['precision']:9.3f} {scores['recall']:7.3f} "
            f"{scores['support']:7d}"
        )
    print(f"\nthroughput: {result['comments_per_second']:,.0f} comments/second (one core)")
    if args.errors:
        print("\nwrong on tuning comments (missed / extra):")
        for text, missed, extra in result["errors"]:
            print(f"- {text}\n    missed={missed} extra={extra}")

    met = (
        result["precision"] >= 0.8
        and result["recall"] >= 0.8
        and result["comments_per_second"] >= 5000
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
