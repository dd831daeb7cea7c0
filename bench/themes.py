"""Quality and speed of the theme taggers on the labelled comments, side by side.

Run from the repository root: ``python bench/themes.py``. Three taggers are measured:

* ``phrases``: the phrase list alone (content/feedback/themes.yaml);
* ``phrases+lemmas``: the phrase list run on the text and on its simplemma lemmas;
* ``hybrid`` (shipped): a logistic model over word lemmas, pairs of lemmas and the phrase list
  (one feature per theme, so the model learns how far to trust it), with per-theme thresholds
  (storage/feedback/theme_model.py, weights trained on the tuning split only).

For each: ``all`` and ``held_out`` as shipped, and ``tuning`` (for the hybrid, 5-fold
cross-validated: each tuning comment scored by a model that never saw it; the phrase list was
tuned on these comments, so its tuning figure is in-sample). Then per-theme figures of the
shipped tagger and its speed on one core (CPU time). ``--errors`` lists the tuning comments
the shipped tagger gets wrong; held-out ones stay hidden so they remain a fair check.
``--corrections FILE`` adds facilitators' exported corrections (``python -m bot feedback
corrections``) to the report as a third set.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path rather than the root.
    sys.path.insert(0, str(ROOT))

from storage.feedback.theme_model import HybridTagger, load_weights, tokens  # noqa: E402
from storage.feedback.theme_train import CHOSEN, Labelled, cross_validate, load_labelled  # noqa: E402
from storage.feedback.themes import ThemeTagger, load_taxonomy  # noqa: E402

TAXONOMY = ROOT / "content" / "feedback" / "themes.yaml"
LABELLED = ROOT / "tests" / "data" / "feedback_comments.yaml"
TARGET = {"precision": 0.85, "recall": 0.85, "comments_per_second": 20_000}

Pair = tuple[Labelled, frozenset[str]]


def _scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts; an empty denominator scores 1."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def micro(pairs: Sequence[Pair]) -> dict[str, float]:
    """Micro-averaged scores over (comment, theme) decisions."""
    tp = sum(len(item.themes & got) for item, got in pairs)
    fp = sum(len(got - item.themes) for item, got in pairs)
    fn = sum(len(item.themes - got) for item, got in pairs)
    return {**_scores(tp, fp, fn), "comments": len(pairs)}


def per_theme(pairs: Sequence[Pair], theme_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """Scores and support of each theme."""
    out = {}
    for theme in theme_ids:
        tp = sum(1 for item, got in pairs if theme in item.themes and theme in got)
        fp = sum(1 for item, got in pairs if theme not in item.themes and theme in got)
        fn = sum(1 for item, got in pairs if theme in item.themes and theme not in got)
        out[theme] = {**_scores(tp, fp, fn), "support": tp + fn}
    return out


def lemma_rules(rules: ThemeTagger) -> Callable[[str], list[str]]:
    """The phrase list on the text and on the text's lemmas ("ran over" and "run over")."""
    def tag(text: str) -> list[str]:
        lemmatised = " ".join(lemma for lemma, _ in tokens(text))
        found = set(rules.tag(text)) | set(rules.tag(lemmatised))
        return [t.id for t in rules.themes if t.id in found]
    return tag


def speed(tag: Callable[[str], list[str]], texts: Sequence[str], min_seconds: float) -> float:
    """Comments tagged per second of this process's CPU time (one core)."""
    for text in texts:
        tag(text)  # warm caches: the lemma cache fills once per word
    tagged, started = 0, time.process_time()
    while True:
        for text in texts:
            tag(text)
        tagged += len(texts)
        elapsed = time.process_time() - started
        if elapsed >= min_seconds:
            return tagged / elapsed


def evaluate(taxonomy_path: Path = TAXONOMY, data_path: Path = LABELLED, *, min_seconds: float = 1.0,
             cross_validated: bool = True, extra: Sequence[Labelled] = ()) -> dict:
    """Score every tagger; ``methods`` maps a name to its ``all``/``tuning``/``held_out`` scores.

    Also ``per_theme`` and ``comments_per_second`` for every method, and ``errors`` (text,
    missed, extra) of the shipped tagger on tuning comments only.
    """
    themes = load_taxonomy(Path(taxonomy_path))
    ids = [t.id for t in themes]
    rules = ThemeTagger(themes)
    hybrid = HybridTagger(themes, load_weights())
    items = load_labelled(Path(data_path), ids)
    tuning = [item for item in items if not item.heldout]
    texts = [item.text for item in items]
    taggers = {"phrases": rules.tag, "phrases+lemmas": lemma_rules(rules), "hybrid": hybrid.tag}
    methods = {}
    for name, tag in taggers.items():
        pairs = [(item, frozenset(tag(item.text))) for item in items]
        tuned = [p for p in pairs if not p[0].heldout]
        if name == "hybrid" and cross_validated:
            tuned = [(item, frozenset(got)) for item, got in
                     zip(tuning, cross_validate(tuning, ids, rules, CHOSEN))]
        methods[name] = {
            "all": micro(pairs), "tuning": micro(tuned), "held_out": micro([p for p in pairs if p[0].heldout]),
            "per_theme": per_theme(pairs, ids),
            "held_out_per_theme": per_theme([p for p in pairs if p[0].heldout], ids),
            "tuning_per_theme": per_theme(tuned, ids),
            "comments_per_second": speed(tag, texts, min_seconds),
        }
        if extra:
            methods[name]["corrections"] = micro([(item, frozenset(tag(item.text))) for item in extra])
    shipped = [(item, frozenset(hybrid.tag(item.text))) for item in tuning]
    return {"methods": methods, "shipped": "hybrid", "errors": [
        (item.text, sorted(item.themes - got), sorted(got - item.themes)) for item, got in shipped
        if got != item.themes]}


def load_corrections(path: Path, known_ids: Sequence[str]) -> list[Labelled]:
    """Exported corrections as labelled items: one theme verdict each, so "not" means no theme
    and "is" means that theme (other themes of the quote are unknown and not scored)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("corrections", []):
        if entry.get("theme") in known_ids and entry.get("verdict") in ("is", "not"):
            themes = frozenset([entry["theme"]]) if entry["verdict"] == "is" else frozenset()
            out.append(Labelled(str(entry["text"]), themes, "held_out"))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 1 when the shipped tagger misses a target on held-out comments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    parser.add_argument("--data", type=Path, default=LABELLED)
    parser.add_argument("--errors", action="store_true", help="list wrong tuning comments")
    parser.add_argument("--corrections", type=Path, help="facilitators' exported corrections (YAML)")
    args = parser.parse_args(argv)
    ids = [t.id for t in load_taxonomy(args.taxonomy)]
    extra = load_corrections(args.corrections, ids) if args.corrections else ()
    result = evaluate(args.taxonomy, args.data, extra=extra)

    print(f"{'method':15} {'set':12} {'n':>4} {'precision':>9} {'recall':>7} {'f1':>6}")
    for name, method in result["methods"].items():
        for subset in ("all", "tuning", "held_out", "corrections"):
            if subset in method:
                s = method[subset]
                label = "tuning (cv)" if subset == "tuning" and name == "hybrid" else subset
                print(f"{name:15} {label:12} {s['comments']:4d} {s['precision']:9.3f} {s['recall']:7.3f} "
                      f"{s['f1']:6.3f}")
        print(f"{name:15} speed: {method['comments_per_second']:,.0f} comments/second (one core)\n")
    shipped = result["methods"][result["shipped"]]
    print(f"{'theme (shipped)':26} {'all P':>6} {'all R':>6} {'n':>4}   {'tune P':>6} {'tune R':>6} {'n':>4}"
          f"   {'held P':>6} {'held R':>6} {'n':>4}")
    for theme_id, s in shipped["per_theme"].items():
        t, h = shipped["tuning_per_theme"][theme_id], shipped["held_out_per_theme"][theme_id]
        print(f"{theme_id:26} {s['precision']:6.3f} {s['recall']:6.3f} {s['support']:4d}   "
              f"{t['precision']:6.3f} {t['recall']:6.3f} {t['support']:4d}   "
              f"{h['precision']:6.3f} {h['recall']:6.3f} {h['support']:4d}")
    if args.errors:
        print("\nwrong on tuning comments (missed / extra):")
        for text, missed, extra_themes in result["errors"]:
            print(f"- {text}\n    missed={missed} extra={extra_themes}")
    held = shipped["held_out"]
    met = held["precision"] >= TARGET["precision"] and held["recall"] >= TARGET["recall"] \
        and shipped["comments_per_second"] >= TARGET["comments_per_second"]
    print(f"\ntargets (held-out precision and recall >= 0.85, >= 20,000/s): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
