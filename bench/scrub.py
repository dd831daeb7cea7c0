"""Speed of the feedback scrubber: comments scrubbed per second.

Run from the repository root: ``python bench/scrub.py``. The scrubber knows
2,000 invented names (a large trust's peer workers and staff) plus names whose
surnames are everyday words; the comments are the labelled feedback comments
and the clean sentences in tests/data, half of them with an identifier added.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path rather than the root.
    sys.path.insert(0, str(ROOT))

from storage.feedback.anonymise import Scrubber  # noqa: E402

DATA = ROOT / "tests" / "data"
SYLLABLES = "an ja li pri ya har chi di ade ola yemi kwa ren cia dar fion orla sio".split()
EVERYDAY = ["Sam Best", "Alex Hunt", "Jordan Law", "Mia Story", "Kit Bright", "Will Hope"]
EXTRAS = [
    " Email jo.smith@nhs.net",
    " ring 07700 900123",
    " NHS no 943.476.5919",
    " see linkedin.com/in/someone",
    " thanks @jo.smith",
]


def comments() -> list[str]:
    """The benchmark's comments: real-looking text, some carrying identifiers."""
    labelled = yaml.safe_load((DATA / "feedback_comments.yaml").read_text(encoding="utf-8"))
    texts = [c["text"] for c in labelled["comments"]]
    lines = (DATA / "clean_feedback.txt").read_text(encoding="utf-8").splitlines()
    texts += [line for line in lines if line and not line.startswith("#")]
    return [t + EXTRAS[i % len(EXTRAS)] if i % 2 else t for i, t in enumerate(texts)]


def known_names(count: int) -> list[str]:
    """Invented names built from syllables, deterministic."""
    names = []
    for i in range(count):
        a, b, c, d = (SYLLABLES[(i * k) % len(SYLLABLES)] for k in (1, 3, 7, 11))
        names.append(f"{(a + b).title()} {(c + d + a).title()}")
    return names + EVERYDAY


def main() -> None:
    """Print build time and comments per second."""
    parser = argparse.ArgumentParser(description="Speed of the feedback scrubber: comments scrubbed per second.")
    parser.add_argument("--names", type=int, default=2000, help="invented known names (2000)")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the comments (20)")
    args = parser.parse_args()
    texts = comments()
    start = time.perf_counter()
    scrubber = Scrubber(known_names=known_names(args.names))
    built = time.perf_counter() - start
    scrubber.scrub("warm-up")
    rounds = args.rounds
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            scrubber.scrub(text)
    elapsed = time.perf_counter() - start
    done = rounds * len(texts)
    print(f"built in {built * 1000:.0f} ms; {done} comments in {elapsed:.2f} s: "
          f"{done / elapsed:,.0f} comments/s")


if __name__ == "__main__":
    main()
