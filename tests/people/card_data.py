"""The largest data each people card can get, for tests/shared/test_cards_render.py: as
dialogs/people/ binds it, with every list at its cap and names at their longest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.people.common import MAX_CHOICES
from dialogs.people.views import MAX_HISTORY, MAX_LISTED, MAX_SUPPORTING, MAX_WAITING

LINE = 300
ID = "0" * 32


def builders(content_text: Callable[[int], str], name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    def line() -> str:
        return content_text(LINE + 2 * name_length)

    def about_one() -> str:  # a sentence of content naming one person (a name, a role, a date)
        return content_text(name_length + 80)

    def people() -> list[dict[str, str]]:
        return [{"title": content_text(name_length), "value": "person:" + ID}] * MAX_CHOICES

    def home() -> dict[str, Any]:
        return {
            "title": content_text(name_length), "message": line(), "can_manage": True,
            "asked": about_one() * MAX_WAITING, "facts": [{"title": content_text(40), "value": about_one()}] * 5,
            "waiting": [{"text": about_one(), "link": ID, "yes": about_one(), "no": about_one()}] * MAX_WAITING,
            "supporting": [{"text": about_one(), "link": ID, "end": about_one()}] * MAX_SUPPORTING,
            "endable": [{"text": about_one(), "link": ID, "end": about_one()}] * 2,
            "history": [{"title": content_text(40), "value": about_one()}] * MAX_HISTORY, "more": line(),
        }

    return {
        "people_home": home,
        "people_setup": lambda: {"error": line() * 8, "confirmation": line() * 3, "people": people(),
                                 "worker": "person:" + ID, "line_manager": "", "peer_supervisor": "",
                                 "start_date": "2026-01-05", "team": content_text(200),
                                 "organisation": content_text(200)},
        "people_request": lambda: {"error": line() * 2, "people": people(), "kind": "peer_supervisor",
                                   "person": "", "kinds": [{"title": content_text(40), "value": "x"}] * 2},
        "people_list": lambda: {"query": content_text(200), "error": line(), "empty": line(), "more": line(),
                                "people": [{"title": content_text(name_length), "value": content_text(2 * name_length + 40),
                                             "person": ID, "open": content_text(name_length + 5)}]
                                * MAX_LISTED},
        "people_confirm": lambda: {"text": line(), "link": ID},
        "people_notice": lambda: {"title": content_text(80), "text": line()},
    }
