"""The feedback scrubber removes identifiers and leaves ordinary text alone."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storage.feedback.anonymise import DOMAIN_WORDS, Scrubber, is_everyday_word, nhs_number_is_valid

PLAIN = Scrubber()


@pytest.mark.parametrize(
    "email",
    ["sarah.jones5@nhs.net", "First.Last+peer@example.co.uk", "a_b-c@trust-name.nhs.uk"],
)
def test_emails_become_placeholders(email):
    assert PLAIN.scrub(f"Contact {email} for the slides.") == "Contact [email] for the slides."


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900 123",
        "0044 7700 900123",
        "020 7946 0958",
        "(020) 7946 0958",
        "+44 (0)20 7946 0958",
        "0161 496 0000",
        "(01632) 960983",
        "01632 960 983",
        "0300 123 4567",
    ],
)
def test_uk_phone_numbers_become_placeholders(phone):
    assert PLAIN.scrub(f"ring me on {phone} after 5") == "ring me on [phone] after 5"


@pytest.mark.parametrize("number", ["943 476 5919", "9434765919", "401-023-2137"])
def test_valid_nhs_numbers_become_placeholders(number):
    assert nhs_number_is_valid(number.replace(" ", "").replace("-", ""))
    assert PLAIN.scrub(f"My NHS number is {number}.") == "My NHS number is [nhs number]."


def test_ten_digits_failing_the_check_still_go_but_as_a_number():
    # Documented choice: a mistyped NHS number is still identifying.
    assert not nhs_number_is_valid("9434765918")
    assert PLAIN.scrub("ref 943 476 5918 please") == "ref [number] please"


def test_nhs_check_digit_rules():
    assert nhs_number_is_valid("4010232137")
    assert not nhs_number_is_valid("401023213")  # too short
    assert not nhs_number_is_valid("40102321３7")  # non-ASCII digit


@pytest.mark.parametrize(
    "postcode",
    ["SW1A 1AA", "sw1a 1aa", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A1BB"]
    + ["GIR 0AA", "ls6 3qs"],
)
def test_uk_postcodes_become_placeholders(postcode):
    assert PLAIN.scrub(f"I live near {postcode}, sadly") == "I live near [postcode], sadly"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://example.org/path?x=1.", "See [link]."),
        ("See http://example.org/a_b (it helps)", "See [link] (it helps)"),
        ("Try www.peer-example.org.uk, it's good", "Try [link], it's good"),
    ],
)
def test_links_become_placeholders_keeping_sentence_punctuation(text, expected):
    assert PLAIN.scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Sarah Jones Thanks for the talk", "[name] Thanks for the talk"),
        ("Thanks @priya, great point", "Thanks [name], great point"),
        ("@Amara Okafor-Bell I agree", "[name] I agree"),
        ("Ask <at>Sam Lee</at> about it", "Ask [name] about it"),
    ],
)
def test_teams_mentions_become_placeholders(text, expected):
    assert PLAIN.scrub(text) == expected


def test_known_names_full_parts_possessive_and_any_case():
    scrubber = Scrubber(known_names=["Sarah Jones", "Priyanka Okonkwo"])
    out = scrubber.scrub("SARAH JONES and sarah's peer lead priyanka met okonkwo.")
    assert out == "[name] and [name]'s peer lead [name] met [name]."


def test_name_parts_that_are_common_words_only_go_with_the_full_name():
    scrubber = Scrubber(known_names=["Will Hope", "Grace Ward"])
    out = scrubber.scrub("Will Hope said we will hope for grace on the ward; Grace Ward agreed.")
    assert out == "[name] said we will hope for grace on the ward; [name] agreed."


def test_display_name_forms_and_accents():
    scrubber = Scrubber(known_names=["Okafor, Chidi (He/Him)", "Zoë Brennan"])
    assert scrubber.scrub("chidi okafor and Zoe said hi") == "[name] and [name] said hi"


def test_deny_list_terms_become_names_and_placeholders_are_not_clobbered():
    scrubber = Scrubber(deny_list=["Maple Ward", "link", "nhs number"])
    out = scrubber.scrub("On maple  ward: www.example.org, the link, 943 476 5919")
    assert out == "On [name]: [link], the [name], [nhs number]"


@pytest.mark.parametrize(
    "text",
    [
        "10 people came, 2026 is the year, I'd rate it 4/5.",
        "From 14:00-16:00 on 26/06/2026, band 4 roles, Q1 2nd week, 1:1 supervision.",
        "Will there be hope? Grace and joy on the ward, said the peer lead.",
        "Email us at the address on the slide; 100% agree.",
    ],
)
def test_ordinary_words_and_numbers_survive(text):
    assert PLAIN.scrub(text) == text
    assert Scrubber(known_names=["Will Hope", "Grace Joy"]).scrub(text) == text


def test_whitespace_is_collapsed_but_paragraphs_kept():
    assert PLAIN.scrub("  one\t\ttwo  \n\n\n\n three \u200bfour ") == "one two\n\nthree four"


def test_length_cap_cuts_at_a_word_boundary():
    out = Scrubber(max_chars=30).scrub("alpha beta gamma delta epsilon zeta eta theta")
    assert len(out) <= 30
    assert out == "alpha beta gamma delta…"


def test_identifiers_are_scrubbed_before_the_cap():
    out = Scrubber(max_chars=25).scrub("call me on 07700 900123 tomorrow please")
    assert "07700" not in out and "900" not in out
    assert out.endswith("…") and len(out) <= 25


def test_scrubber_never_logs_or_reveals_names(caplog):
    scrubber = Scrubber(known_names=["Sarah Jones"])
    with caplog.at_level(logging.DEBUG):
        scrubber.scrub("Sarah Jones 07700 900123")
    assert caplog.records == []
    assert "Sarah" not in repr(scrubber)


def test_bad_arguments_are_rejected():
    with pytest.raises(TypeError):
        Scrubber(known_names="Sarah Jones")
    with pytest.raises(ValueError):
        Scrubber(max_chars=0)


# Property tests: generated identifiers never survive scrubbing.

FILLER = st.lists(
    st.sampled_from(
        "the session was good more time for peer support please on ward and supervision "
        "I would like to talk about this with my team thanks".split()
    ),
    min_size=0,
    max_size=8,
).map(" ".join)
DIGIT = st.sampled_from("0123456789")


def _digits(n: int):
    return st.text(DIGIT, min_size=n, max_size=n)


@settings(max_examples=300)
@given(before=FILLER, email=st.emails(), after=FILLER)
def test_generated_emails_never_survive(before, email, after):
    out = PLAIN.scrub(f"{before} {email} {after}")
    assert email not in out
    assert "@" not in out
    assert "[email]" in out


@st.composite
def uk_phones(draw):
    """UK numbers in the formats people actually type."""
    mobile = "7" + draw(_digits(9))
    london = "20" + draw(_digits(8))
    area = draw(st.sampled_from(["1632", "161", "113", "300", "800"]))
    landline = area + draw(_digits(10 - len(area)))
    national = draw(st.sampled_from([mobile, london, landline]))
    style = draw(st.integers(0, 5))
    if style == 0:
        return "0" + national
    if style == 1:
        return f"0{national[:4]} {national[4:]}"
    if style == 2:
        return f"(0{national[:3]}) {national[3:7]} {national[7:]}"
    if style == 3:
        return f"+44 {national[:4]} {national[4:]}"
    if style == 4:
        return f"+44 (0){national[:4]} {national[4:7]} {national[7:]}"
    return f"0{national[:4]}-{national[4:7]}-{national[7:]}"


@settings(max_examples=300)
@given(before=FILLER, phone=uk_phones(), after=FILLER)
def test_generated_uk_phone_numbers_never_survive(before, phone, after):
    out = PLAIN.scrub(f"{before} {phone} {after}")
    assert phone not in out
    assert not re.search(r"[0-9]{3}", out)
    assert "[phone]" in out


@settings(max_examples=300)
@given(before=FILLER, nine=_digits(9), spaced=st.booleans(), after=FILLER)
def test_generated_valid_nhs_numbers_never_survive(before, nine, spaced, after):
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1)))
    check = (11 - total % 11) % 11
    assume(check != 10)
    number = nine + str(check)
    assert nhs_number_is_valid(number)
    shown = f"{number[:3]} {number[3:6]} {number[6:]}" if spaced else number
    out = PLAIN.scrub(f"{before} {shown} {after}")
    assert shown not in out
    assert not re.search(r"[0-9]", out)


# Syllables from a few naming traditions, so generated names look like names
# (including accents, apostrophes and hyphens) rather than English words.
SYLLABLES = {
    "english_irish": "ai bh ren cia ran dar ragh fion nuala orla sio".split(),
    "south_asian": "an ja li pri ya har preet sun dee kav ish".split(),
    "west_african": "chi di ade ola yemi kwa me nkem oko afor tun".split(),
    "polish_welsh": "łu kasz zbig niew siân rhi anw gwen llŷr ffi on".split(),
}


@st.composite
def name_parts(draw, tradition):
    """One name part of 3+ letters built from one tradition's syllables."""
    part = "".join(draw(st.lists(st.sampled_from(SYLLABLES[tradition]), min_size=2, max_size=3)))
    assume(part.casefold() not in DOMAIN_WORDS and not is_everyday_word(part))
    return part[0].upper() + part[1:]


@st.composite
def full_names(draw):
    tradition = draw(st.sampled_from(sorted(SYLLABLES)))
    first = draw(name_parts(tradition))
    surname = draw(name_parts(tradition))
    joiner = draw(st.sampled_from(["", "O'", "-"]))
    if joiner == "O'":
        surname = "O'" + surname
    elif joiner == "-":
        surname = f"{surname}-{draw(name_parts(tradition))}"
    return first, surname


@settings(max_examples=300)
@given(
    name=full_names(),
    before=FILLER,
    after=FILLER,
    which=st.sampled_from(["full", "first", "surname"]),
    case=st.sampled_from([str, str.lower, str.upper]),
    suffix=st.sampled_from(["", "'s", ".", ",", "!"]),
)
def test_generated_known_names_never_survive(name, before, after, which, case, suffix):
    first, surname = name
    token = case({"full": f"{first} {surname}", "first": first, "surname": surname}[which])
    assume(token.casefold() not in f"{before} {after}".casefold())
    scrubber = Scrubber(known_names=[f"{first} {surname}", "Other Person"])
    out = scrubber.scrub(f"{before} {token}{suffix} {after}")
    assert token.casefold() not in out.casefold()
    assert "[name]" in out
