"""The one CSV rule both exports (the register, the feedback figures) use: nothing a person typed
can run as a spreadsheet formula, counts stay numbers, and the file is UTF-8 with a BOM."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings, strategies as st

from dialogs.shared.spreadsheet import csv_bytes, safe_cell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.sampled_from(["-1", "+44 7700 900123", "=1+1", "@SUM(A1)", "-inf", "\t=1"]))
def test_typed_text_never_starts_a_formula_and_reads_back_unchanged(text: str) -> None:
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_START)
    assert cell in (text, "'" + text)
    assert (cell == text) == (not text.startswith(FORMULA_START))


def test_text_that_looks_like_a_signed_number_is_escaped_but_counts_stay_numbers() -> None:
    # A name or title typed as "-1+2" or "-5" is text; only numbers the bot counted pass as they are.
    assert safe_cell("-5") == "'-5" and safe_cell("+447700900123") == "'+447700900123"
    assert safe_cell(-5) == "-5" and safe_cell(12) == "12" and safe_cell(2.5) == "2.5"
    assert safe_cell(True) == "True"


def test_the_file_has_a_bom_crlf_and_every_cell_made_safe() -> None:
    body = csv_bytes([["name", "count"], ["=HYPERLINK(\"x\")", 3], ["Siân", -1]])
    assert body.startswith("\ufeff".encode("utf-8"))
    text = body.decode("utf-8")[1:]
    assert text.endswith("\r\n") and text.count("\r\n") == 3
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "count"], ["'=HYPERLINK(\"x\")", "3"], ["Siân", "-1"]]
