"""When a day was hard: the signals that bring signposting into the reply. Plain rules, no I/O.

The bot does not assess risk: these only decide whether to show people and services to talk to,
and erring towards showing them costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LOWEST, STRUGGLING_NEEDS_SUPPORT, WORDS = "lowest", "overwhelmed_support", "words"
_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": ""})


def _normal(text: str) -> str:
    return " ".join(text.lower().translate(_APOSTROPHES).replace("-", " ").split())


class DistressPhrases:
    """Phrases from content, matched as whole words, ignoring case, apostrophes and hyphens
    ("cant cope", "can't cope" and "CAN’T  COPE" all match "can't cope")."""

    def __init__(self, phrases: Iterable[str]) -> None:
        words = sorted({_normal(p) for p in phrases if p and p.strip()}, key=len, reverse=True)
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)") \
            if words else None

    def found_in(self, *texts: str) -> bool:
        if self._pattern is None:
            return False
        return any(self._pattern.search(_normal(t)) for t in texts if t)


def hard_day(feeling: int, states: Iterable[str], needs: Iterable[str], texts: Iterable[str],
             phrases: DistressPhrases) -> tuple[str, ...]:
    """The signals present in a check-in, in a fixed order; empty when none."""
    states, needs = set(states), set(needs)
    found = []
    if feeling == 1:
        found.append(LOWEST)
    if states & {"overwhelmed", "dysregulated"} and "support" in needs:
        found.append(STRUGGLING_NEEDS_SUPPORT)
    if phrases.found_in(*texts):
        found.append(WORDS)
    return tuple(found)
