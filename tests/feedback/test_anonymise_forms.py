"""Identifiers in the forms people really type never survive the scrubber.

Over 3,000 generated cases (fixed seed): NHS numbers in any grouping, emails
plain and written out, links with and without a scheme, @first.last mentions,
"Surname, First" and initials, and known people whose surnames are everyday
words. Each asserts that the identifying parts are gone from the output.
"""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storage.feedback.anonymise import Scrubber, nhs_number_is_valid

# Filler with no digits and no sentence end before the identifier, so every
# generated identifier sits mid-sentence. Whole phrases rather than drawn words
# keep each case cheap to generate.
BEFORE = st.sampled_from(
    [
        "thanks",
        "I would like to talk to",
        "the session was good, said",
        "more time for peer support with",
        "please send the slides to",
        "on the ward and in supervision,",
        "contact",
        "I met",
    ]
)
AFTER = st.sampled_from(
    ["", "about this", "with my team", "after the break", "thanks", "for the slides"]
)
PUNCTUATION = st.sampled_from(["", ".", ",", "!", "?", ")", ";"])

# Name-like tokens for local parts, domains and paths: none is an English word.
SYLLABLES = "kwa me ola ade yemi chi tun nkem oko afor bren cia dar fion siob rhi anw gwen".split()
TOKEN = st.sampled_from([a + b for a in SYLLABLES for b in SYLLABLES if a != b])
SUFFIXES = ["com", "net", "org", "co.uk", "nhs.uk", "org.uk", "ac.uk", "io", "ly", "me", "info"]

FIRST_NAMES = ["Priya", "Chidi", "Siobhan", "Amara", "Tomasz", "Niamh", "Kwame", "Sanjay"]
# Surnames that are also everyday words, and a few that are not.
EVERYDAY_SURNAMES = (
    "Best Hunt Law Story Bright Bond Burns Hope Will Grace Rose Long Young King White "
    "Green Hall Wood Hill Price Cook Bell Grant Stone Cross Field Sharp Day West"
).split()
OTHER_SURNAMES = ["Okafor", "Brennan", "Kowalski", "Adeyemi", "O'Neill", "Patel-Shah"]
KNOWN = [f"{first} {last}" for first in FIRST_NAMES for last in EVERYDAY_SURNAMES + OTHER_SURNAMES]
SCRUBBER = Scrubber(known_names=["Will Hope", "Grace Bond", *KNOWN])
EXAMPLES = dict(derandomize=True, deadline=None)


def _scrub(before: str, shown: str, punctuation: str, after: str) -> str:
    return SCRUBBER.scrub(f"{before} {shown}{punctuation} {after}")


def _assert_replaced(placeholder: str, case: tuple[str, list[str]], before, punctuation, after):
    """Scrub a generated (shown, identifying parts) case; no part may be left."""
    shown, parts = case
    out = _scrub(before, shown, punctuation, after)
    assert placeholder in out
    assert all(part not in out for part in parts)


def _gone(word: str, text: str) -> bool:
    """True when ``word`` no longer appears in ``text`` as a word, in any case."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is None


@st.composite
def nhs_numbers(draw):
    """A valid NHS number with any separator, or none, between any two digits."""
    nine = f"{draw(st.integers(0, 10**9 - 1)):09d}"
    check = (11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1))) % 11) % 11
    assume(check != 10)
    digits = nine + str(check)
    gap = st.sampled_from(["", "", "", " ", ".", "-", " - "])
    gaps = draw(st.lists(gap, min_size=9, max_size=9))
    return digits, digits[0] + "".join(gap + d for gap, d in zip(gaps, digits[1:]))


@settings(max_examples=600, **EXAMPLES)
@given(before=BEFORE, number=nhs_numbers(), punctuation=PUNCTUATION, after=AFTER)
def test_nhs_numbers_in_any_grouping_never_survive(before, number, punctuation, after):
    digits, shown = number
    assert nhs_number_is_valid(digits)
    out = _scrub(before, shown, punctuation, after)
    # One starting 0 may read as a phone number first; either way it is gone.
    assert "[nhs number]" in out or "[phone]" in out
    assert not re.search(r"[0-9]", out)


@st.composite
def emails(draw):
    """An email plain or written out, and the words that identify it."""
    first, last, host = draw(TOKEN), draw(TOKEN), draw(TOKEN)
    local = first + draw(st.sampled_from([".", "_", "-", ""])) + last
    suffix = draw(st.sampled_from(SUFFIXES))
    spelled = draw(st.sampled_from([" dot ", " [dot] ", "[dot]", " (dot) ", " DOT ", "."]))
    ats = ["@", " @ ", "@ ", " [at] ", "[at]", "(at)", " (at) ", " at ", " AT "]
    at = draw(st.sampled_from(ats))
    if at.strip().casefold() == "at" and spelled == ".":
        spelled = " dot "  # "at" with a plain dot is ordinary English: "we met at x.org"
    return f"{local}{at}{spelled.join([host, *suffix.split('.')])}", [first, last, host]


@settings(max_examples=700, **EXAMPLES)
@given(before=BEFORE, email=emails(), punctuation=PUNCTUATION, after=AFTER)
def test_emails_plain_and_written_out_never_survive(before, email, punctuation, after):
    _assert_replaced("[email]", email, before, punctuation, after)


@st.composite
def links(draw):
    """A link with or without a scheme, and the words that identify it."""
    host, page = draw(TOKEN), draw(TOKEN)
    suffix = draw(st.sampled_from(SUFFIXES))
    path = draw(st.sampled_from(["", f"/{page}", f"/in/{page}-{host}", f"/{page}?id={host}"]))
    start = draw(st.sampled_from(["", "", "https://", "http://", "www.", "https://www."]))
    return f"{start}{host}.{suffix}{path}", [host, page] if path else [host]


@settings(max_examples=600, **EXAMPLES)
@given(before=BEFORE, link=links(), punctuation=PUNCTUATION, after=AFTER)
def test_links_with_or_without_a_scheme_never_survive(before, link, punctuation, after):
    _assert_replaced("[link]", link, before, punctuation, after)


@settings(max_examples=300, **EXAMPLES)
@given(
    before=BEFORE,
    first=TOKEN,
    last=TOKEN,
    joiner=st.sampled_from([".", "_", "-", ""]),
    case=st.sampled_from([str, str.title]),
    punctuation=PUNCTUATION,
    after=AFTER,
)
def test_mentions_of_any_shape_never_survive(before, first, last, joiner, case, punctuation, after):
    out = _scrub(before, "@" + case(first) + joiner + case(last), punctuation, after)
    assert "[name]" in out
    assert first not in out.casefold() and last not in out.casefold()


NAME_FORMS = {
    "full": lambda first, last: f"{first} {last}",
    "lower full": lambda first, last: f"{first} {last}".lower(),
    "upper full": lambda first, last: f"{first} {last}".upper(),
    "surname first": lambda first, last: f"{last}, {first}",
    "surname first, no comma": lambda first, last: f"{last} {first}",
    "initial": lambda first, last: f"{first[0]}. {last}",
    "first and initial": lambda first, last: f"{first} {last[0]}.",
    "surname": lambda first, last: last,
    "possessive surname": lambda first, last: f"{last}'s",
    "upper surname": lambda first, last: last.upper(),
}


@settings(max_examples=900, **EXAMPLES)
@given(
    before=BEFORE,
    first=st.sampled_from(FIRST_NAMES),
    last=st.sampled_from(EVERYDAY_SURNAMES + OTHER_SURNAMES),
    form=st.sampled_from(sorted(NAME_FORMS)),
    punctuation=PUNCTUATION,
    after=AFTER,
)
def test_known_names_in_every_form_never_survive(before, first, last, form, punctuation, after):
    out = _scrub(before, NAME_FORMS[form](first, last), punctuation, after)
    assert "[name]" in out
    assert _gone(first, out)
    assert _gone(last, out) and _gone(last.split("-")[0], out)


@settings(max_examples=100, **EXAMPLES)
@given(before=BEFORE, form=st.sampled_from(sorted(set(NAME_FORMS) - {"lower full"})), after=AFTER)
def test_names_made_only_of_everyday_words_never_survive_capitalised(before, form, after):
    # "Will Hope" in lowercase reads as English ("we will hope"), so it stays.
    out = _scrub(before, NAME_FORMS[form]("Will", "Hope"), "", after)
    assert "[name]" in out
    assert not re.search(r"\b(?:Will|WILL|Hope|HOPE)\b", out)
