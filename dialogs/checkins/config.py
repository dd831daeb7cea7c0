"""content/checkins/checkins.yaml, validated at start-up (a broken file stops the bot, named)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from dialogs.shared.content import Content, ContentError, settings_file, whole_number
from storage.checkins.schedule import Rules, parse_time
from storage.checkins.signals import DistressPhrases

FEELING_POINTS = 5
STATES = ("grounded", "regulated", "present", "depleted", "overwhelmed", "dysregulated")
NEEDS = ("connection", "rest", "support")
BANDS = ("low", "ok", "good")
MAX_CHARS = 1000
MAX_SNOOZE_CHOICES = 3  # with skip and pause-or-stop, the five buttons a row of actions can hold


@dataclass(frozen=True)
class CheckinsConfig:
    rules: Rules
    snooze_minutes: tuple[int, ...]
    max_snoozes: int
    export_minutes: int
    contact_window: timedelta
    default_time: time
    feelings: tuple[str, ...]  # lowest first
    states: dict[str, str]
    needs: dict[str, str]
    phrases: DistressPhrases
    contacts: tuple[dict[str, str], ...]
    openings: dict[str, tuple[str, ...]]
    closes: dict[str, tuple[str, ...]]

    @classmethod
    def from_content(cls, content: Content) -> "CheckinsConfig":
        raw, where = settings_file(content, "checkins")

        def number(key: str, low: int, high: int) -> int:
            return whole_number(raw, where, key, low, high)

        def clock(key: str) -> time:
            value = parse_time(raw.get(key))
            if value is None:
                raise ContentError(f"{where}: {key} must be a time such as 17:30")
            return value

        def texts(key: str, value: Any, count: int | None = None) -> tuple[str, ...]:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise ContentError(f"{where}: {key} must be a list of texts")
            if count is not None and len(value) != count:
                raise ContentError(f"{where}: {key} must have exactly {count} entries")
            return tuple(v.strip() for v in value)

        def words(key: str, keys: tuple[str, ...]) -> dict[str, str]:
            value = raw.get(key)
            if not isinstance(value, dict) or set(value) != set(keys) or \
                    not all(isinstance(v, str) and v.strip() for v in value.values()):
                raise ContentError(f"{where}: {key} must give a word for each of {', '.join(keys)}")
            return {k: value[k].strip() for k in keys}

        snoozes = raw.get("snooze_minutes")
        if not isinstance(snoozes, list) or not 0 < len(snoozes) <= MAX_SNOOZE_CHOICES or \
                not all(isinstance(m, int) and not isinstance(m, bool) and 5 <= m <= 240 for m in snoozes):
            raise ContentError(f"{where}: snooze_minutes must be a list of up to {MAX_SNOOZE_CHOICES} "
                               "numbers of minutes from 5 to 240")
        contacts = raw.get("organisation_contacts") or []
        if not isinstance(contacts, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("detail"), str)
                for c in contacts):
            raise ContentError(f"{where}: organisation_contacts must be a list of name and detail")
        replies = raw.get("replies")
        if not isinstance(replies, dict) or not isinstance(replies.get("opening"), dict) \
                or not isinstance(replies.get("close"), dict):
            raise ContentError(f"{where}: replies must have opening and close")
        openings = {b: texts(f"replies.opening.{b}", replies["opening"].get(b)) for b in BANDS}
        closes = {n: texts(f"replies.close.{n}", replies["close"].get(n)) for n in (*NEEDS, "none")}
        window = number("prompt_window_minutes", 15, 12 * 60)
        return cls(
            rules=Rules(window=timedelta(minutes=window), horizon=timedelta(hours=number("horizon_hours", 2, 48)),
                        weekly_at=clock("weekly_reflection_time"), weekly_window=timedelta(hours=12)),
            snooze_minutes=tuple(snoozes), max_snoozes=number("max_snoozes_per_day", 0, 5),
            export_minutes=number("export_link_minutes", 1, 24 * 60),
            contact_window=timedelta(hours=number("contact_window_hours", 1, 14 * 24)),
            default_time=clock("default_time"),
            feelings=texts("feelings", raw.get("feelings"), FEELING_POINTS),
            states=words("states", STATES), needs=words("needs", NEEDS),
            phrases=DistressPhrases(texts("distress_phrases", raw.get("distress_phrases"))),
            contacts=tuple({"name": c["name"].strip(), "detail": c["detail"].strip()} for c in contacts),
            openings=openings, closes=closes,
        )
