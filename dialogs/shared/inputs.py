"""What every text a person types into a card must be: characters that can be stored and shown.

PostgreSQL refuses a NUL in text, a lone surrogate cannot be encoded as UTF-8, and other
control characters are invisible in Teams (so two names could look alike but differ). Every
text input is checked here, and refused with `CONTROL_CHARACTERS` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialogs.shared.templating import Prose, as_markdown

CONTROL_CHARACTERS = "inputs.control_characters"  # content key; its {field} names the input
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, line feed and carriage return; DEL; C1
_SURROGATES = "\ud800-\udfff"  # only ever alone in a str: a pair arrives as one character
_SINGLE_LINE = re.compile(f"[\t\n\r{_CONTROL}{_SURROGATES}]")
_MULTI_LINE = re.compile(f"[{_CONTROL}{_SURROGATES}]")


def storable(value: str, *, multiline: bool) -> bool:
    """True when `value` holds no control character (bar tabs and line breaks in a multi-line
    input) and no lone surrogate."""
    return (_MULTI_LINE if multiline else _SINGLE_LINE).search(value) is None


def printable(value: str) -> str:
    """`value` without what `storable` refuses in one line: for text we are given, such as
    Teams display names, where there is nobody to ask to retype it."""
    return _SINGLE_LINE.sub("", value)


def every_error(messages: Sequence[str]) -> str:
    """One message naming every field that needs correcting, each on its own line ("" for none).

    A form that named only its first problem made people submit once per mistake. Content prose
    keeps its Markdown (see `dialogs.shared.templating.Prose`).
    """
    if len(messages) <= 1:
        return messages[0] if messages else ""
    return Prose("\n\n".join(messages), "\n\n".join(as_markdown(m) for m in messages))
