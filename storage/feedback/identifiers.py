"""Patterns for the identifiers the scrubber removes besides names.

Emails (plain and written out: ``jo @ nhs.net``, ``jo [at] nhs [dot] net``,
``jo at nhs dot net``), links with or without a scheme, Teams mentions, UK
phone numbers, 10-digit numbers (NHS numbers) and postcodes. Whether a word is
everyday English, which decides if a bare ``good.so`` is a link or a missing
space, comes from pyspellchecker's English word counts; which endings are real
domains comes from the Public Suffix List that publicsuffixlist ships. Both
load from the installed packages and never touch the network.
"""

from __future__ import annotations

import re
from functools import cache

from publicsuffixlist import PublicSuffixList
from spellchecker import SpellChecker

# Lowercase uses per million words, in pyspellchecker's English counts, from
# which a word counts as everyday English. The counts are of lowercase words,
# so names sit well below words: "best" 504, "hunt" 24, "burns" 11.7, "bond"
# 12.4 against "john" 4.2, "sarah" 2.4, "smith" 0.6.
EVERYDAY_PER_MILLION = 9.0

_ATEXT = r"[\w.!#$%&'*+/=?^`{|}~-]"  # what RFC 5322 allows in a local part
# The lookbehind stops the scanner restarting inside a long token, which would
# make a paste of one huge "word" quadratic.
_EMAIL = re.compile(rf"(?<!{_ATEXT}){_ATEXT}{{1,64}}@[\w-]+(?:\.[\w-]+)+")
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
# "jo @ nhs.net", "jo@ nhs.net", "jo(at)nhs.net", "jo at nhs dot net"; but
# "thanks @jo.bond" is a mention (".bond" is a real ending).
_SPELLED_AT = r"\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+"
_SPELLED_DOT = r"\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+"
_WRITTEN_EMAIL = re.compile(
    rf"(?<!{_ATEXT}){_ATEXT}{{1,64}}+(?P<at>\s*@\s+|@|{_SPELLED_AT})"
    rf"(?P<domain>{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL})+)(?![\w-])",
    re.IGNORECASE,
)
# Cheap tests that spare most comments the two costly scans below.
_WRITTEN_EMAIL_HINT = re.compile(r"@|[\[(]\s*at\s*[\])]|\bdot\b", re.IGNORECASE)
_DOMAIN_HINT = re.compile(r"[^\W_]\.[^\W\d_]")
_URL = re.compile(r"(?:\bhttps?://|(?<![\w.])www\.)[^\s<>\"]+", re.IGNORECASE)
# A domain without a scheme: "bit.ly/x", "linkedin.com/in/x", "mind.org.uk".
# Whether it really is one is decided in _bare_link.
_BARE_DOMAIN = re.compile(
    r"(?<![\w.@/-])(?P<domain>(?:[^\W_][\w-]{0,62}+\.)+(?P<tld>[^\W\d_]{2,63}))(?![\w-]|\.[^\W_])"
    r"(?P<path>(?::[0-9]{1,5})?[/?#][^\s<>\"]*)?"
)
# "i.e.it", "e.g.me": two one-letter parts are an abbreviation, not a domain.
_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.){2}")
_URL_TRAILER = ".,;:!?)]}'\""
_MENTION = re.compile(
    r"@([^\W\d_][\w'’-]*(?:\.[^\W\d_][\w'’-]*)*)((?: [^\W\d_][\w'’-]*){0,2})"
)
# A mention keeps swallowing capitalised words after "@First", but not these
# sentence starters: "@Sam Thanks for..." must not eat "Thanks".
_MENTION_STOPS = frozenset(
    "a an and as at but for from hi hello i if in is it its many me my no not of "
    "on or please so thank thanks that the then this to was we well what when who "
    "yes you".split()
)
# National form: optional bracket, trunk 0, then 9-10 more digits. International:
# +44 / 0044, an optional "(0)", then 9-10 digits. Separators are spaces, dots,
# dashes and brackets, at most two in a row.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44[\s.\-]{0,2}(?:\(0\)[\s.\-]{0,2})?|\(?0)"
    r"[1-9](?:[\s.\-()]{0,2}[0-9]){8,9}(?![0-9])"
)
# Ten digits in any grouping: "943 476 5919", "943.476.5919", "9434 765 919",
# "943 476-5919". Up to three separators between digits ("943 - 476").
_TEN_DIGITS = re.compile(r"(?<![0-9])[0-9](?:[ .\-]{0,3}[0-9]){9}(?![0-9])")
# The letter classes follow the Royal Mail rules (no Q/V/X first, no CIKMOV in
# the inward code), which also keeps "Q1 2nd" and similar phrases intact.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[A-HK-Y][0-9][ABEHMNPRVWXY0-9]?|[0-9][A-HJKPSTUW0-9]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)


@cache
def _word_counts():
    """pyspellchecker's English lowercase word counts, loaded once (about 0.8 s)."""
    return SpellChecker(language="en", distance=1).word_frequency


@cache
def _suffixes() -> PublicSuffixList:
    """The Public Suffix List shipped in the package (ICANN part), loaded once."""
    return PublicSuffixList(only_icann=True)


def load_word_lists() -> None:
    """Load the word counts and suffix list now (about 1 s, once per process).

    Call at start-up so the first feedback submission does not stall the
    event loop while they load.
    """
    _word_counts()
    _suffixes()


def is_everyday_word(word: str) -> bool:
    """True when ``word`` is common in lowercase English ("best", "hope", "so")."""
    counts = _word_counts()
    word = word.casefold()
    return word in counts and counts[word] * 1e6 / counts.total_words >= EVERYDAY_PER_MILLION


def nhs_number_is_valid(digits: str) -> bool:
    """True when a 10-digit string passes the NHS modulus-11 check."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def scrub_identifiers(text: str) -> str:
    """Replace every identifier but names with its placeholder.

    Order matters: emails first (they contain "@", which would otherwise read
    as a mention, and a domain), then links (they contain digits and words),
    then mentions and numbers.
    """
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub(_link, text)
    if _WRITTEN_EMAIL_HINT.search(text):
        text = _WRITTEN_EMAIL.sub(_written_email, text)
    text = _MENTION.sub(_mention, text)
    if _DOMAIN_HINT.search(text):
        text = _BARE_DOMAIN.sub(_bare_link, text)
    text = _PHONE.sub("[phone]", text)
    text = _TEN_DIGITS.sub(_ten_digits, text)
    return _POSTCODE.sub("[postcode]", text)


def _has_public_suffix(domain: str) -> bool:
    """True when ``domain`` ends in a real public suffix ("com", "nhs.uk")."""
    return _suffixes().publicsuffix(domain.casefold(), accept_unknown=False) is not None


def _reads_as_domain(domain: str, tld: str) -> bool:
    """True when a bare "a.b" with no path is a domain, not a missing space.

    "ward.Then" and "good.so" are sentences missing a space: a capitalised
    ending, two everyday words, or an abbreviation ("i.e.it") is not a
    domain; "jo.me" and "nhs.net" are.
    """
    if tld[:1].isupper() and not tld.isupper():
        return False
    if _ABBREVIATION.match(domain):
        return False
    if domain.count(".") == 1 and all(map(is_everyday_word, domain.split("."))):
        return False
    return _has_public_suffix(domain)


def _written_email(match: re.Match[str]) -> str:
    """Replace an email written out with spaces, [at] or "dot", if it is one."""
    spelled = re.sub(_SPELLED_DOT, ".", match.group("domain"), flags=re.IGNORECASE)
    if match.group("at").strip().casefold() == "at" and spelled == match.group("domain"):
        # "we met at mind.org.uk": a plain " at " needs a spelled-out dot too.
        return match.group(0)
    return "[email]" if _has_public_suffix(spelled) else match.group(0)


def _bare_link(match: re.Match[str]) -> str:
    """Replace a domain without a scheme: any with a path, else see _reads_as_domain."""
    domain = match.group("domain")
    if match.group("path"):
        found = _has_public_suffix(domain)
    else:
        found = _reads_as_domain(domain, match.group("tld"))
    return _link(match) if found else match.group(0)


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
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return "[nhs number]" if nhs_number_is_valid(digits) else "[number]"
