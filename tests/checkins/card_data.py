"""The largest data each check-in card can get, for tests/test_cards_render.py (size, binding,
parser): as dialogs/checkins/ binds it, with every list at its cap and typed text at MAX_CHARS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.checkins.config import MAX_CHARS, MAX_SNOOZE_CHOICES, NEEDS, STATES
from dialogs.checkins.history import MAX_WENT_WELL
from storage.checkins.schedule import WEEKDAYS

LINE = 300
LABEL = 100
CONTACTS = 12
MAX_REPLY_LINES = 1 + len(NEEDS)
HISTORY_DAYS = 30


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             urgent: Callable[[], list[dict[str, str]]], name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    def choices(keys) -> list[dict[str, str]]:
        return [{"title": content_text(40), "value": str(k)} for k in keys]

    def form() -> dict[str, Any]:
        return {
            "title": content_text(name_length), "intro": content_text(LINE), "error": content_text(LINE),
            "labels": {k: content_text(LABEL) for k in (
                "feeling", "states", "needs", "hard", "let_go", "well", "note", "send", "skip", "pause_stop", "pause",
                "stop", "pause_date", "feeling_error", "limit")},
            "feelings": choices(range(1, 6)), "states": choices(STATES), "needs": choices(NEEDS),
            "values": {"feeling": "3", "states": ",".join(STATES), "needs": ",".join(NEEDS)},
            "max_chars": MAX_CHARS, "privacy": content_text(LINE), "day": "2026-11-23", "prompt": True,
            "tomorrow": "2026-11-24", "snoozes": [{"title": content_text(40), "minutes": "240"}] * MAX_SNOOZE_CHOICES,
        }

    def reply() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "lines": [content_text(LINE)] * MAX_REPLY_LINES, "note": content_text(LINE),
            "hard": True, "my_checkins": content_text(40),
            "signposting": {"title": content_text(LABEL), "not_crisis": content_text(LINE),
                            "first": text(LINE), "nobody_told": content_text(LINE), "ask": content_text(40),
                            "contacts": [{"name": text(name_length), "detail": text(LINE)}] * CONTACTS,
                            "urgent": urgent()},
        }

    def history() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "range": content_text(LABEL), "none": "", "chart_title": content_text(LABEL),
            "chart_fallback": content_text(LINE),
            "chart_axis": content_text(LABEL), "days_line": content_text(LINE), "needs_line": content_text(LINE),
            "points": [{"x": "Wed 30 Sep", "y": 5}] * HISTORY_DAYS,
            "table": [{"title": "Wed 30 Sep", "value": content_text(40)}] * HISTORY_DAYS,
            "went_well_title": content_text(LABEL), "went_well": [text(MAX_CHARS)] * MAX_WENT_WELL,
            "nothing_well": content_text(LINE), "private": content_text(LINE), "week": content_text(40),
            "month": content_text(40),
        }

    def weekly() -> dict[str, Any]:
        return {"title": content_text(LABEL), "intro": content_text(LINE), "outro": content_text(LINE),
                "items": [text(MAX_CHARS)] * MAX_WENT_WELL, "my_checkins": content_text(40)}

    def setup() -> dict[str, Any]:
        return {
            "title": content_text(LABEL), "intro": content_text(LINE), "error": content_text(LINE),
            "days": [{"id": d, "label": content_text(40), "value": "17:30"} for d in WEEKDAYS],
            "zone": "America/Argentina/ComodRivadavia", "retention": "365", "weekly": "6",
            "labels": {k: content_text(LABEL) for k in ("zone", "zone_hint", "retention", "weekly", "save")},
            "retention_choices": choices((30, 90, 365)), "weekly_choices": choices(["none", *range(7)]),
        }

    def home() -> dict[str, Any]:
        return {"title": content_text(LABEL), "intro": content_text(LINE), "status": [content_text(LINE)] * 4,
                "buttons": [{"title": content_text(40), "verb": "checkins.delete.confirm"}] * 4,
                "more_buttons": [{"title": content_text(40), "verb": "checkins.delete.confirm"}] * 2}

    def data() -> dict[str, Any]:
        return {"title": content_text(LABEL), "facts": [{"title": content_text(LABEL), "value": content_text(40)}] * 4,
                "download_url": "https://" + "peerspace.example.nhs.uk/" * 4 + "checkins/export/" + "x" * 300 + ".csv",
                "download": content_text(40), "delete": content_text(40), "link_note": content_text(LINE),
                "back": content_text(40)}

    def confirm() -> dict[str, Any]:
        return {"title": content_text(LABEL), "text": content_text(LINE), "yes": content_text(40),
                "no": content_text(40), "yes_verb": "checkins.delete.confirm", "no_verb": "checkins.delete.keep"}

    return {"checkin_confirm": confirm, "checkin_form": form, "checkin_reply": reply, "checkin_history": history, "checkin_weekly": weekly,
            "checkin_setup": setup, "checkin_home": home, "checkin_data": data}
