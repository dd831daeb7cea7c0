"""The largest data the supervision list can get, for tests/shared/test_cards_render.py: as
dialogs/supervision/views.py binds it, every list at its cap and typed text at its column size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.supervision.common import MAX_ACTIONS
from dialogs.supervision.views import MAX_PEOPLE, MAX_ROWS

LINE = 300
LABEL = 60
MAX_ROWS_PER_PERSON = 2  # the setting's upper bound (dialogs/supervision/common.py)


def builders(text: Callable[..., str], content_text: Callable[[int], str],
             name_length: int) -> dict[str, Callable[[], dict[str, Any]]]:
    def row(i: int) -> dict[str, Any]:
        facts = [{"title": content_text(LABEL), "value": text(name_length)},
                 {"title": content_text(LABEL), "value": content_text(LABEL)},
                 {"title": content_text(LABEL), "value": content_text(LABEL)},
                 {"title": content_text(LABEL), "value": text(MAX_ACTIONS)},
                 {"title": content_text(LABEL), "value": text(MAX_ACTIONS)}]
        return {"title": content_text(LABEL), "facts": facts, "record": f"{i:032x}",
                "yes": content_text(LABEL), "no": content_text(LABEL)}

    def group(rows: int, n: int) -> dict[str, Any]:
        return {"name": text(name_length), "rows": [row(n * 100 + i) for i in range(rows)],
                "more": content_text(LABEL), "worker": f"{n:032x}", "show_all": content_text(name_length)}

    def listing() -> dict[str, Any]:
        one = [group(MAX_ROWS, 0)]  # "my supervision", or one person's records
        overview = [group(MAX_ROWS_PER_PERSON, n) for n in range(MAX_PEOPLE)]
        heavier = max((one, overview), key=lambda g: sum(len(x["rows"]) for x in g))
        return {"title": content_text(LABEL), "intro": content_text(LINE), "none": content_text(LABEL),
                "more_people": content_text(LABEL), "groups": heavier}

    return {"supervision_list": listing}
