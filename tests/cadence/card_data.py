"""The largest data each cadence card can get, for tests/shared/test_cards_render.py: every list at
the cap dialogs/cadence/ puts on it, names at their longest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.cadence.compliance import MAX_OVERDUE, MAX_TEAMS
from dialogs.cadence.reminders import MAX_DIGEST_LINES
from storage.cadence.compliance import Scope
from storage.people.models import SupervisionType

LINE = 300
LABEL = 100


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    types = len(SupervisionType)

    def facts() -> list[dict[str, str]]:
        return [{"title": content_text(40), "value": content_text(60)} for _ in range(types)]

    return {
        "cadence_compliance": lambda: {
            "title": content_text(LABEL), "scope": content_text(LABEL), "summary": content_text(LINE), "none": "",
            "bars": [{"label": content_text(40), "percent": 100} for _ in range(types)],
            "chart_title": content_text(LABEL), "chart_axis": content_text(40), "chart_fallback": content_text(LINE),
            "overall": facts(), "teams_title": content_text(40),
            "teams": [{"name": text(name_length), "facts": facts()} for _ in range(MAX_TEAMS)],
            "overdue_title": content_text(40), "overdue_none": "",
            "overdue": [text(name_length * 2 + LABEL) for _ in range(MAX_OVERDUE)],
            "more": content_text(LABEL), "download": content_text(30), "download_url": "https://x.example/" + "a" * 300,
            "link_note": content_text(LINE), "privacy": content_text(LINE),
            "scopes": [{"title": content_text(30), "value": s.value} for s in list(Scope)[1:]],
        },
        "cadence_digest": lambda: {
            "title": content_text(LABEL), "intro": content_text(LINE), "none": "",
            "lines": [text(name_length + LABEL) for _ in range(MAX_DIGEST_LINES)], "footer": content_text(LINE),
            "change": content_text(30),
        },
        "cadence_reminder": lambda: {
            "title": content_text(LABEL), "text": text(name_length + LINE), "note": content_text(LINE),
            "record": content_text(30), "type": "management_supervision", "worker": "f" * 32,
            "calendar": content_text(30), "calendar_url": "https://x.example/" + "a" * 300,
            "more": content_text(30), "more_verb": "cadence.compliance",
        },
    }
