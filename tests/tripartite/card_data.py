"""The largest data each tripartite card can get, for tests/shared/test_cards_render.py (size,
binding, parser): as dialogs/tripartite/ binds it, every list at its cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.tripartite.manage import MAX_MANAGED
from dialogs.tripartite.admin import MAX_OVERDUE
from dialogs.tripartite.tasks import MAX_COMMENTS, MAX_LISTED
from dialogs.tripartite.views import MAX_ROWS

LINE = 300
LABEL = 100
MAX_ITEMS = 6  # the longest checklist in content/tripartite/tripartite.yaml is 4; room for more
COMMENT = 500


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    def task() -> dict[str, Any]:
        facts = [{"title": content_text(40), "value": text(name_length)} for _ in range(5)]
        return {
            "error": content_text(LINE), "saved": content_text(LABEL), "title": content_text(LABEL),
            "facts": facts, "task": "t" * 32, "version": "99999",
            "checklist_title": content_text(40), "checklist_hint": content_text(LINE),
            "checklist_save": content_text(40),
            "checklist": [{"id": f"item_{i}", "label": content_text(LABEL), "value": "true"} for i in range(MAX_ITEMS)],
            "signoff_title": content_text(40), "signoff_note": content_text(LINE),
            "signoffs": [{"title": content_text(40), "value": content_text(40) + text(300)} for _ in range(3)],
            "can_sign": True, "reason_label": content_text(LABEL), "reason_max": 300,
            "agree": content_text(40), "disagree": content_text(40), "comments_title": content_text(40),
            "comments": [content_text(60) + text(COMMENT) for _ in range(MAX_COMMENTS)], "no_comments": "",
            "comment_label": content_text(LABEL), "comment_max": COMMENT, "comment_add": content_text(40),
            "privacy": content_text(LINE), "back": content_text(40),
            # The meeting part, booked (so the move inputs and the calendar link both bind).
            "can_book": True, "book_title": content_text(40), "book_hint": content_text(LINE),
            "day_label": content_text(40), "time_label": content_text(40), "day_value": "2026-12-01",
            "time_value": "10:00", "day_min": "2026-11-23", "book": content_text(40), "calendar": content_text(40),
            "calendar_url": "https://example.org/calendar/tripartite/" + "t" * 200 + ".ics",
        }

    def listing() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "intro": content_text(LINE), "none": "", "privacy": content_text(LINE),
            "done_too": content_text(40), "menu": content_text(40), "saved": content_text(LABEL),
            "items": [{"task": f"{i:032x}", "line": content_text(80) + text(name_length),
                       "open": content_text(40) + text(name_length)} for i in range(MAX_LISTED)],
            # Both the pause choices and the button (a card shows one or the other), to bind every path.
            "absence": "a" * 32, "absence_text": content_text(LINE), "pause_checkins": "true",
            "pause_supervision": "false", "pause_checkins_label": content_text(40),
            "pause_supervision_label": content_text(40), "pause_note": content_text(LINE),
            "pause_save": content_text(40), "record_absence": content_text(40), "me": "m" * 32,
        }

    def manage() -> dict[str, Any]:
        return {
            "saved": content_text(LINE), "title": content_text(LABEL), "intro": content_text(LINE), "none": "",
            "privacy": content_text(LINE), "mine": content_text(40), "menu": content_text(40),
            "people": [{"name": text(name_length), "lines": [content_text(40), content_text(40)],
                        "buttons": [{"title": content_text(40) + text(name_length), "form": "appraisal",
                                     "person": f"{i:032x}"} for _ in range(3)]} for i in range(MAX_MANAGED)],
        }

    def form() -> dict[str, Any]:
        return {
            "title": content_text(40) + text(name_length), "intro": content_text(LINE),
            "errors_title": content_text(40), "errors": [content_text(LABEL) + text(name_length) for _ in range(4)],
            "choice_id": "outcome", "choice_label": content_text(40), "choice_value": "passed",
            "choices": [{"title": content_text(40), "value": v} for v in ("passed", "extended", "not_passed")],
            "dates": [{"id": f"d{i}", "label": content_text(40), "value": "2026-01-31"} for i in range(2)],
            "note": content_text(LINE), "save": content_text(40), "form": "outcome", "person": "p" * 32,
            "back": content_text(40), "back_verb": "tripartite.manage",
        }

    def team() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "intro": content_text(LINE), "none": "", "more": content_text(LABEL),
            "items": [{"task": f"{i:032x}", "line": content_text(80) + text(name_length),
                       "open": content_text(40) + text(name_length)} for i in range(MAX_ROWS)],
            "scopes": [{"title": content_text(40), "scope": s} for s in ("reports", "supervisees")],
            "privacy": content_text(LINE), "menu": content_text(40),
        }

    def admin() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "intro": content_text(LINE),
            "facts": [{"title": content_text(40), "value": content_text(LABEL)} for _ in range(4)],
            "overdue_title": content_text(40), "overdue_none": "",
            "overdue": [content_text(LABEL) + text(200) for _ in range(MAX_OVERDUE)], "more": content_text(LABEL),
            "download": content_text(40), "download_url": "https://example.org/tripartite/export/" + "t" * 200 + ".csv",
            "link_note": content_text(LINE), "privacy": content_text(LINE), "menu": content_text(40),
        }

    return {"tripartite_task": task, "tripartite_list": listing, "tripartite_manage": manage, "tripartite_form": form,
            "tripartite_team": team, "tripartite_admin": admin, **notice_builder(text, content_text, name_length)}


def notice_builder(text: Callable[..., str], content_text: Callable[[int], str],
                   name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    return {"tripartite_notice": lambda: {
        "title": content_text(LABEL), "text": content_text(LINE) + text(name_length) + text(300),
        "privacy": content_text(LINE), "open": content_text(40), "task": "t" * 32,
        "calendar": content_text(40), "calendar_url": "https://example.org/calendar/tripartite/" + "t" * 200 + ".ics"}}
