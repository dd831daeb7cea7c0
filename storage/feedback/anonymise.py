"""Scrub identifying details out of free-text feedback before it is stored.

Feedback from the implementation space is anonymous by construction, so the
scrubber errs towards removing too much. It never logs, prints or raises with
the text it was given: a stack trace or log line must not become the leak.

Placeholders: ``[email]``, ``[link]``, ``[name]``, ``[phone]``,
``[nhs number]``, ``[number]`` and ``[postcode]``.

Documented choices:

* Ten digits in any grouping, with spaces, dots or dashes between any of them
  ("943 476 5919", "943.476.5919", "9434 765 919", "943 476-5919"), become
  ``[nhs number]`` when they pass the NHS modulus-11 check and ``[number]``
  when not. A mistyped NHS number is still identifying, and feedback has no
  honest use for a 10-digit figure. Shorter numbers ("10 people", "2026",
  "4/5", "1.5") are left alone.
* Emails are caught plain and written out ("jo @ nhs.net", "jo [at] nhs [dot]
  net", "jo(at)nhs.net", "jo at nhs dot net"), but a plain " at " needs a
  spelled-out dot: "we met at mind.org.uk" keeps "we met at".
* Links are caught with a scheme, with "www.", or bare when they end in a real
  public suffix ("bit.ly/x", "linkedin.com/in/x", "mind.org.uk"). A bare "a.b"
  with no path is kept when the ending is capitalised ("ward.Then"), when
  both parts are everyday words ("good.so") or when it is an abbreviation
  ("e.g.", "i.e.it").
* Mentions are "@First Last", "@first.last", "@first_last" or "<at>" markup.
* Known names are matched as whole words, also as "Surname, First",
  "Surname First", "S. Surname" and "First S." (initials only capitalised).
  A full name is scrubbed in any case when one of its parts is unusual as a
  lowercase English word; a name made only of everyday words ("Will Hope")
  only when capitalised, so "we will hope" survives.
* A single name part is scrubbed on its own when it has 3+ letters. If it is
  an everyday English word (pyspellchecker's lowercase counts: "best", "hunt",
  "law", "hope"), only when it looks like a name: capitalised, and not the
  first word of a sentence. So "best practice" and "Best wishes" survive and
  "thanks to Best" does not; "Best said..." at the start of a sentence also
  survives, because it cannot be told from "Best practice...". Words of this
  space ("ward", "care", "peer", ``DOMAIN_WORDS``) are never scrubbed alone,
  and parts of one or two letters ("Jo", "Li") only inside the full name.
* Everything is scrubbed before the length cap, so a cut can never leave half
  an identifier that the patterns no longer recognise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from storage.feedback.identifiers import (
    is_everyday_word,
    load_word_lists,
    nhs_number_is_valid,
    scrub_identifiers,
)

__all__ = ["DOMAIN_WORDS", "Scrubber", "is_everyday_word", "load_word_lists", "nhs_number_is_valid"]

# Words of this space that are also names. A name part among them is only
# scrubbed as part of the full name, even capitalised: "Ward 3", "Peer Support"
# and "Care Plan" are everywhere, and losing them would gut the feedback.
DOMAIN_WORDS = frozenset(
    """
    care peer lead nurse support team staff health mind space matron doctor ward
    email link name number phone postcode nhs
    """.split()
)

_PLACEHOLDER = r"\[(?:email|link|name|phone|nhs number|number|postcode)\]"
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_AT_TAG = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
# What may stand between a sentence's end and its first word: "(Best ...",
# "- Hope ...", '"Will ...'.
_OPENERS = " \"'“‘([*•–—-"


def _strip_accents(text: str) -> str:
    """Drop accents, so "Zoë" and "Zoe" are the same name."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> str:
    """Lower-case and drop accents."""
    return _strip_accents(text.casefold())


def _name_phrases(
    known_names: Iterable[str], deny_list: Iterable[str]
) -> tuple[set[str], set[str], set[str]]:
    """Phrases to remove: (any case, exact case, everyday words).

    Full names, names written "Surname, First", uncommon name parts and deny
    terms match in any case. Initials ("S. Best", "Sam B.") and full names made
    only of everyday words ("Will Hope") match only as capitalised. Everyday
    name parts ("Best") match only as capitalised and are kept at the start
    of a sentence (see Scrubber.scrub).
    """
    any_case: set[str] = set()
    exact: set[str] = set()
    everyday: set[str] = set()
    for raw in known_names:
        # Teams display names carry "(She/Her)" or "(Ward 3)" suffixes, and
        # directories list "Surname, First".
        name = re.sub(r"\([^)]*\)", " ", unicodedata.normalize("NFKC", str(raw)))
        if name.count(",") == 1:
            surname, first = name.split(",")
            name = f"{first} {surname}"
        words = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name)
        parts = {part for word in words for part in {word, *re.split(r"[-'’]", word)}}
        parts = {part for part in parts if len(part) >= 3 and _fold(part) not in DOMAIN_WORDS}
        common = {part for part in parts if is_everyday_word(part)}
        any_case.update(parts - common)
        everyday.update(common)
        if len(words) >= 2:
            first, last = words[0], words[-1]
            full = [" ".join(words), f"{last}, {first}", f"{last} {first}"]
            (any_case if parts - common else exact).update(full)
            exact.update({f"{first[0]}. {last}", f"{first} {last[0]}."})
    for term in deny_list:
        term = " ".join(unicodedata.normalize("NFKC", str(term)).split())
        if term:
            any_case.add(term)
    # Add the accent-free spelling too: people type "Zoe" for "Zoë".
    return _spellings(any_case), _capitalised(exact), _capitalised(everyday)


def _spellings(phrases: set[str]) -> set[str]:
    """Lower-case forms, with and without accents."""
    return {variant for p in phrases for variant in (p.casefold(), _fold(p))}


def _capitalised(phrases: set[str]) -> set[str]:
    """Title-case and upper-case forms, with and without accents."""
    spellings = {q for p in phrases for q in (p, _strip_accents(p))}
    titled = {" ".join(w[:1].upper() + w[1:] for w in q.split()) for q in spellings}
    return titled | {q.upper() for q in spellings}


def _starts_sentence(text: str, index: int) -> bool:
    """True when ``index`` is the first word of a sentence, line or text."""
    window = text[max(0, index - 20) : index]
    before = window.rstrip(_OPENERS)
    if not before:
        return index <= 20
    return before[-1] in ".!?…\n"


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One regex alternation shaped as a trie, so thousands of names stay fast.

    A flat "a|b|c..." makes the engine try every name at every word; the trie
    branches on one character at a time instead.
    """
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + build(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        body = "(?:" + "|".join(branches) + ")"
        # Optional rather than a shorter alternative, so the longest name wins.
        return body + "?" if "" in node else body

    return build(trie)


@dataclass(frozen=True)
class Scrubber:
    """Replaces identifying details in free text with bracketed placeholders."""

    # repr=False: a logged Scrubber must not list the people it protects.
    known_names: Iterable[str] = field(default=(), repr=False)
    deny_list: Iterable[str] = field(default=(), repr=False)
    max_chars: int = 2000
    _names: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        """Freeze the inputs and compile the name matcher once."""
        if isinstance(self.known_names, str) or isinstance(self.deny_list, str):
            raise TypeError("known_names and deny_list must be collections of strings")
        if not isinstance(self.max_chars, int) or self.max_chars < 2:
            raise ValueError("max_chars must be an integer of at least 2")
        object.__setattr__(self, "known_names", tuple(self.known_names))
        object.__setattr__(self, "deny_list", tuple(self.deny_list))
        any_case, exact, everyday = _name_phrases(self.known_names, self.deny_list)
        # Capitalised forms come first: "Sam B." must not lose to "Sam".
        alternatives = []
        if exact:
            alternatives.append(f"(?-i:{_trie_pattern(exact)})")
        if any_case:
            alternatives.append(_trie_pattern(any_case))
        if everyday:
            alternatives.append(f"(?P<everyday>(?-i:{_trie_pattern(everyday)}))")
        if alternatives:
            # Placeholders are matched first so a deny term such as "link"
            # cannot land inside "[link]".
            names = "|".join(alternatives)
            pattern = rf"(?P<keep>{_PLACEHOLDER})|(?<!\w)(?:{names})(?!\w)"
            object.__setattr__(self, "_names", re.compile(pattern, re.IGNORECASE))

    def scrub(self, text: str) -> str:
        """Return ``text`` with identifiers replaced and its length capped."""
        if not text:
            return ""
        # NFKC folds full-width digits and other look-alikes that would slip
        # past ASCII patterns; invisible characters could split a number.
        text = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE)
        text = _SPACES.sub(" ", text)
        text = _BLANK_LINES.sub("\n\n", text).strip()
        text = "\n".join(line.strip() for line in text.split("\n"))
        # Markup first, then the other identifiers, and names last.
        text = scrub_identifiers(_AT_TAG.sub("[name]", text))
        if self._names is not None:
            text = self._names.sub(_name, text)
        return _cap(text, self.max_chars)


def _name(match: re.Match[str]) -> str:
    """Replace a known name; keep placeholders and sentence-opening everyday words."""
    if match.group("keep"):
        return match.group("keep")
    if match.groupdict().get("everyday") and _starts_sentence(match.string, match.start()):
        # "Hope you are well", "Best practice is...": can't be told from a
        # name here, and these open sentences far more often than names do.
        return match.group(0)
    # "Sam B." took the full stop that may end the sentence; hand it back.
    return "[name]" + ("." if match.group(0).endswith(".") else "")


def _cap(text: str, max_chars: int) -> str:
    """Cut at a word boundary so the result, with its "…", fits max_chars."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    # A single enormous token has no boundary worth keeping; cut it hard.
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" \n,;:-") + "…"
