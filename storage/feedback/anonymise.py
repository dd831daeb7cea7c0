"""Scrub identifying details out of free-text feedback before it is stored.

Feedback from the implementation space is anonymous by construction, so the
scrubber errs towards removing too much. It never logs, prints or raises with
the text it was given: a stack trace or log line must not become the leak.

Placeholders: ``[email]``, ``[link]``, ``[name]``, ``[phone]``,
``[nhs number]``, ``[number]`` and ``[postcode]``.

Documented choices:

* A 10-digit number (contiguous or spaced 3-3-4) that passes the NHS
  modulus-11 check becomes ``[nhs number]``; one that fails becomes
  ``[number]``. A mistyped NHS number is still identifying, and feedback has no
  honest use for a 10-digit figure. Shorter numbers ("10 people", "2026",
  "4/5") are left alone.
* Known names are matched case-insensitively as whole words. A full name of
  two or more words is always scrubbed; a single part (first name, surname) is
  scrubbed on its own only when it has 3+ letters and is not a common English
  word, so a colleague called "Will Hope" does not wipe out "will" and "hope".
  A full name made only of such words is matched only when capitalised ("Will
  Hope", "WILL HOPE"), so "we will hope" survives. Parts of one or two letters
  ("Jo", "Li") are only caught inside the full name.
* Everything is scrubbed before the length cap, so a cut can never leave half
  an identifier that the patterns no longer recognise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Ordinary words that are also first names or surnames. A name part in this
# list is only scrubbed as part of the full name. Domain words ("ward", "care",
# "peer") matter most: losing them would gut the feedback.
COMMON_WORDS = frozenset(
    """
    amber april art august autumn baker banks bell bill bishop black bloom brook
    brown bush cash chase cherry church clay cook crystal daisy dale dawn day dean
    don eve faith fair field fisher ford fox frank free gay gift glen golden good
    grace grant gray green grey guy hall hand hardy harmony hazel heather hill
    holly honey honour hope hunter iris ivy jack jade jay joy june just kind king
    lake lamb lane lark lee little long love lucky major march mark marsh mason
    may mercy miles moon moss nick north noble olive page park parks pat patience
    peace pearl penny poppy power price read rich river robin rock rose ruby rush
    sage savage scott short sky small snow spring star stone storm summer sunny
    swan taylor trust turner victor violet walker wall ward warren waters west
    white will winter wise wood woods young
    care peer lead nurse support team staff health mind space matron doctor
    email link name number phone postcode nhs
    """.split()
)

# A mention keeps swallowing capitalised words after "@First", but not these
# sentence starters: "@Sam Thanks for..." must not eat "Thanks".
_MENTION_STOPS = frozenset(
    "a an and as at but for from hi hello i if in is it its many me my no not of "
    "on or please so thank thanks that the then this to was we well what when who "
    "yes you".split()
)

_PLACEHOLDER = r"\[(?:email|link|name|phone|nhs number|number|postcode)\]"
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))

_AT_TAG = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
# The lookbehind stops the scanner restarting inside a long token, which would
# make a paste of one huge "word" quadratic.
_ATEXT = r"[\w.!#$%&'*+/=?^`{|}~-]"  # what RFC 5322 allows in a local part
_EMAIL = re.compile(rf"(?<!{_ATEXT}){_ATEXT}{{1,64}}@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:\bhttps?://|(?<![\w.])www\.)[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?)]}'\""
_MENTION = re.compile(r"@([^\W\d_][\w'’-]*)((?: [^\W\d_][\w'’-]*){0,2})")
# National form: optional bracket, trunk 0, then 9-10 more digits. International:
# +44 / 0044, an optional "(0)", then 9-10 digits. Separators are spaces, dots,
# dashes and brackets, at most two in a row.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44[\s.\-]{0,2}(?:\(0\)[\s.\-]{0,2})?|\(?0)"
    r"[1-9](?:[\s.\-()]{0,2}[0-9]){8,9}(?![0-9])"
)
_TEN_DIGITS = re.compile(r"(?<![0-9])([0-9]{3})([ -]?)([0-9]{3})\2([0-9]{4})(?![0-9])")
# The letter classes follow the Royal Mail rules (no Q/V/X first, no CIKMOV in
# the inward code), which also keeps "Q1 2nd" and similar phrases intact.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[A-HK-Y][0-9][ABEHMNPRVWXY0-9]?|[0-9][A-HJKPSTUW0-9]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")


def nhs_number_is_valid(digits: str) -> bool:
    """True when a 10-digit string passes the NHS modulus-11 check."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _fold(text: str) -> str:
    """Lower-case and drop accents, so "Zoë" and "Zoe" are the same name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _name_phrases(
    known_names: Iterable[str], deny_list: Iterable[str]
) -> tuple[set[str], set[str]]:
    """Phrases to remove: (any case, exact case).

    Full names, safe name parts and deny terms match in any case. A full name
    made only of common words ("Will Hope") matches only as capitalised, so
    "we will hope" survives.
    """
    any_case: set[str] = set()
    exact: set[str] = set()
    for raw in known_names:
        # Teams display names carry "(She/Her)" or "(Ward 3)" suffixes, and
        # directories list "Surname, First".
        name = re.sub(r"\([^)]*\)", " ", unicodedata.normalize("NFKC", str(raw)))
        if name.count(",") == 1:
            surname, first = name.split(",")
            name = f"{first} {surname}"
        words = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name)
        safe = [
            part
            for word in words
            for part in {word, *re.split(r"[-'’]", word)}
            if len(part) >= 3 and _fold(part) not in COMMON_WORDS
        ]
        any_case.update(safe)
        if len(words) >= 2:
            full = " ".join(words)
            if safe:
                any_case.add(full)
            else:
                exact.update({" ".join(w[:1].upper() + w[1:] for w in words), full.upper()})
    for term in deny_list:
        term = " ".join(unicodedata.normalize("NFKC", str(term)).split())
        if term:
            any_case.add(term)
    # Add the accent-free spelling too: people type "Zoe" for "Zoë".
    return {variant for p in any_case for variant in (p.casefold(), _fold(p))}, exact


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
        any_case, exact = _name_phrases(self.known_names, self.deny_list)
        alternatives = []
        if any_case:
            alternatives.append(_trie_pattern(any_case))
        if exact:
            alternatives.append(f"(?-i:{_trie_pattern(exact)})")
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

        # Order matters: markup first, then emails (they contain "@", which
        # would otherwise read as a mention), then links (they contain digits
        # and words), then mentions and numbers, and names last.
        text = _AT_TAG.sub("[name]", text)
        text = _EMAIL.sub("[email]", text)
        text = _URL.sub(_link, text)
        text = _MENTION.sub(_mention, text)
        text = _PHONE.sub("[phone]", text)
        text = _TEN_DIGITS.sub(_ten_digits, text)
        text = _POSTCODE.sub("[postcode]", text)
        if self._names is not None:
            text = self._names.sub(lambda m: m.group("keep") or "[name]", text)
        return _cap(text, self.max_chars)


def _link(match: re.Match[str]) -> str:
    """Replace a URL but hand back punctuation that ended the sentence."""
    url = match.group(0)
    stripped = url.rstrip(_URL_TRAILER)
    return "[link]" + url[len(stripped):]


def _mention(match: re.Match[str]) -> str:
    """Replace "@First Last" with [name], keeping words that start a sentence."""
    rest = match.group(2).split(" ")[1:]
    taken = 0
    for word in rest:
        if len(word) < 2 or not word[0].isupper() or word.casefold() in _MENTION_STOPS:
            break
        taken += 1
    kept = rest[taken:]
    return "[name]" + (" " + " ".join(kept) if kept else "")


def _ten_digits(match: re.Match[str]) -> str:
    """Label a 10-digit run: a valid NHS number, or just an identifying number."""
    digits = match.group(1) + match.group(3) + match.group(4)
    return "[nhs number]" if nhs_number_is_valid(digits) else "[number]"


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
