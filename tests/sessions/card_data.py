"""The largest data the sessions QR card can get, for tests/shared/test_cards_render.py: the
session title at its longest and signed links as long as they get."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A signed link: base URL, path and a token holding a 32-character session id, a user id and
# the page name, plus the signature.
LINK = "https://peerspace.example.nhs.uk/qr/" + "t" * 260 + ".png"
PAGE = "https://peerspace.example.nhs.uk/feedback/session/" + "t" * 160


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "session_qr": lambda: {
            "session_id": "0" * 32, "title": text(name_length), "intro": content_text(400),
            "feedback_png": LINK, "feedback_svg": LINK, "register_png": LINK, "register_svg": LINK,
            "feedback_page": PAGE, "feedback_alt": content_text(60) + text(name_length),
            "register_alt": content_text(60) + text(name_length)},
    }
