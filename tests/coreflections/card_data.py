"""The largest data each co-reflection card can get, for tests/shared/test_cards_render.py (size,
binding, parser): as dialogs/coreflections/ binds it, with every list at its cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.coreflections.common import MAX_GROUPS_LISTED, MAX_MEMBERS, MAX_RECENT, MAX_UPCOMING
from dialogs.coreflections.setup import MAX_KNOWN, MAX_NAME, MAX_URL
from dialogs.coreflections.views import GROUP_LABELS

LINE = 300
LABEL = 60
ID = "f" * 32
WHEN = "Wednesday 30 September 2026, 10:00 to 11:00"


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    url = "https://teams.microsoft.com/l/meetup-join/" + "x" * (MAX_URL - 42)
    feed = "webcal://bot.example.nhs.uk/calendar/coreflection/" + "x" * 300 + ".ics"

    def labels(keys) -> dict[str, str]:
        return {k: content_text(LABEL) for k in keys}

    def home() -> dict[str, Any]:
        groups = [{"id": ID, "name": text(MAX_NAME), "schedule": content_text(120)} for _ in range(MAX_GROUPS_LISTED)]
        return {"title": content_text(LABEL), "intro": content_text(LINE), "message": content_text(LINE),
                "member_title": content_text(LABEL), "groups": groups, "none": "", "lead": True,
                "lead_title": content_text(LABEL), "led": groups, "lead_none": "", "new": content_text(LABEL),
                "open": content_text(30)}

    def occurrence_row() -> dict[str, Any]:
        return {"id": ID, "when": WHEN, "status": content_text(20), "facilitator": text(name_length + 20),
                "answer": content_text(40), "member": True, "here_open": True}

    def group() -> dict[str, Any]:
        return {
            "name": text(MAX_NAME), "schedule": content_text(120), "message": content_text(LINE),
            "error": content_text(LINE), "joining_url": url, "feed_url": feed, "lead": True, "member": True,
            "labels": {**labels(GROUP_LABELS), "back": content_text(LABEL), "open": content_text(LABEL)},
            "none_upcoming": "", "upcoming": [occurrence_row() for _ in range(MAX_UPCOMING)],
            "pending": content_text(LINE),
            "mine": [{"when": WHEN, "value": content_text(40)} for _ in range(MAX_RECENT)],
            "held": [{"when": WHEN, "value": content_text(40)} for _ in range(MAX_RECENT)],
            "by_member": [{"name": text(name_length), "value": content_text(40)} for _ in range(MAX_MEMBERS)],
            "held_registers": [{"id": ID, "title": content_text(30) + WHEN} for _ in range(MAX_RECENT)],
        }

    def form() -> dict[str, Any]:
        fields = ("name", "members", "joining_url", "frequency", "nth", "weekday", "starts_on", "start", "minutes",
                  "zone")
        return {
            "title": content_text(LABEL), "intro": content_text(LINE), "fix": content_text(LABEL), "has_errors": True,
            "errors": [{"text": content_text(120)} for _ in fields], "labels": labels(fields),
            "values": {**{f: "" for f in fields}, "name": text(MAX_NAME), "joining_url": url,
                       "members": ",".join("aad-" + "x" * 36 for _ in range(MAX_MEMBERS))},
            "people": [{"title": text(name_length), "value": "p:" + ID} for _ in range(MAX_KNOWN)],
            "members_hint": content_text(LINE),
            "frequencies": [{"title": content_text(30), "value": "monthly"} for _ in range(3)],
            "nths": [{"title": content_text(30), "value": "1"} for _ in range(5)],
            "weekdays": [{"title": content_text(30), "value": "MO"} for _ in range(7)],
            "lengths": [{"title": content_text(30), "value": "60"} for _ in range(8)],
            "create": content_text(LABEL), "back": content_text(LABEL),
        }

    def invitation() -> dict[str, Any]:
        return {"title": content_text(LABEL) + text(MAX_NAME), "text": content_text(LINE) + text(name_length),
                "schedule": content_text(120), "upcoming": [occurrence_row() for _ in range(MAX_UPCOMING)],
                "group_id": ID, "joining_url": url, "feed_url": feed,
                "labels": labels(("join", "feed", "feed_note", "going", "not_going", "here", "open"))}

    def reminder() -> dict[str, Any]:
        return {"title": content_text(LABEL) + text(MAX_NAME), "when": WHEN, "facilitator": text(name_length + 20),
                "text": "", "soon": True, "day": True, "occurrence_id": ID, "group_id": ID, "joining_url": url,
                "labels": labels(("join", "feed", "feed_note", "going", "not_going", "here", "open"))}

    def register() -> dict[str, Any]:
        return {"title": content_text(LABEL) + text(MAX_NAME), "when": WHEN, "intro": content_text(LINE),
                "message": content_text(LINE), "error": content_text(LINE), "label": content_text(LABEL),
                "save": content_text(LABEL), "back": content_text(LABEL), "occurrence_id": ID, "group_id": ID,
                "people": [{"title": text(name_length), "value": ID} for _ in range(MAX_MEMBERS)],
                "attended": ",".join(ID for _ in range(MAX_MEMBERS))}

    def occurrence() -> dict[str, Any]:
        return {"title": content_text(LABEL) + text(MAX_NAME), "intro": content_text(LINE),
                "error": content_text(LINE), "confirming": True, "confirm": content_text(LINE),
                "occurrence_id": ID, "group_id": ID, "date": "2026-12-01", "time": "10:00",
                "labels": labels(("move", "cancel", "confirm_yes", "keep", "date", "time", "back"))}

    def notice() -> dict[str, Any]:
        return {"title": content_text(LABEL) + text(MAX_NAME), "text": content_text(2000), "group_id": ID,
                "verb": "coreflections.group", "button": content_text(30)}

    return {"coreflection_home": home, "coreflection_group": group, "coreflection_form": form,
            "coreflection_invitation": invitation, "coreflection_reminder": reminder,
            "coreflection_register": register, "coreflection_occurrence": occurrence,
            "coreflection_notice": notice}
