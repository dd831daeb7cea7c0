"""content/cadence/cadence.yaml, validated at start-up (a broken file stops the bot, named)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from dialogs.shared.content import Content, ContentError, settings_file, whole_number
from storage.cadence.rules import Cadence, Rules, Thresholds
from storage.checkins.schedule import WEEKDAYS, parse_time
from storage.people.models import LinkKind, SupervisionType

UNITS = ("months", "weeks", "days")
SUPERVISORS = {"none": None, **{k.value: k.value for k in LinkKind}}
ESCALATE_TO = {"none": None, "peer_lead": "peer_lead", "line_manager": LinkKind.LINE_MANAGER.value}


@dataclass(frozen=True)
class CadenceConfig:
    rules: Rules
    export_minutes: int

    @classmethod
    def from_content(cls, content: Content) -> "CadenceConfig":
        raw, where = settings_file(content, "cadence")
        types = raw.get("types")
        if not isinstance(types, dict) or set(types) != {t.value for t in SupervisionType}:
            raise ContentError(f"{where}: types must give each of {', '.join(t.value for t in SupervisionType)}")
        cadences = {name: _cadence(name, spec, where) for name, spec in types.items()
                    if _enabled(name, spec, where)}
        before = raw.get("remind_days_before")
        if not isinstance(before, list) or not before or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 60 for d in before):
            raise ContentError(f"{where}: remind_days_before must be a list of whole numbers of days from 0 to 60")
        first = whole_number(raw, where, "first_escalation_days", 1, 365)
        second = whole_number(raw, where, "second_escalation_days", first + 1, 366)
        at = parse_time(raw.get("remind_at"))
        if at is None:
            raise ContentError(f"{where}: remind_at must be a time such as 09:00")
        day = raw.get("digest_weekday")
        if day not in WEEKDAYS:
            raise ContentError(f"{where}: digest_weekday must be one of {', '.join(WEEKDAYS)}")
        contact = raw.get("escalation_contact") or ""
        if not isinstance(contact, str) or len(contact) > 254:
            raise ContentError(f"{where}: escalation_contact must be an AAD object id or an e-mail address")
        rules = Rules(cadences=cadences,
                      thresholds=Thresholds(tuple(sorted(set(before), reverse=True)), first, second),
                      remind_at=at, digest_weekday=WEEKDAYS.index(day),
                      escalation_contact=contact.strip().lower() or None)
        return cls(rules=rules, export_minutes=whole_number(raw, where, "export_link_minutes", 1, 24 * 60))


def _enabled(name: str, spec: Any, where: Path) -> bool:
    if not isinstance(spec, dict) or not isinstance(spec.get("enabled"), bool):
        raise ContentError(f"{where}: types.{name}.enabled must be true or false")
    return spec["enabled"]


def _cadence(name: str, spec: dict[str, Any], where: Path) -> Cadence:
    key = f"types.{name}"
    every = _interval(spec.get("every"), where, f"{key}.every")
    first_months = spec.get("first_months", 0)
    if not isinstance(first_months, int) or isinstance(first_months, bool) or not 0 <= first_months <= 24:
        raise ContentError(f"{where}: {key}.first_months must be a whole number from 0 to 24")
    first_every = _interval(spec["first_every"], where, f"{key}.first_every") if first_months else None
    supervisor, escalate = spec.get("supervisor", "none"), spec.get("escalate_to", "none")
    if supervisor not in SUPERVISORS:
        raise ContentError(f"{where}: {key}.supervisor must be one of {', '.join(SUPERVISORS)}")
    if escalate not in ESCALATE_TO:
        raise ContentError(f"{where}: {key}.escalate_to must be one of {', '.join(ESCALATE_TO)}")
    return Cadence(type=name, every=every, first_every=first_every, first_months=first_months,
                   supervisor=SUPERVISORS[supervisor], escalate_to=ESCALATE_TO[escalate])


def _interval(value: Any, where: Path, key: str) -> relativedelta:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in UNITS:
        raise ContentError(f"{where}: {key} must be one of {{months: N}}, {{weeks: N}} or {{days: N}}")
    unit, number = next(iter(value.items()))
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 366:
        raise ContentError(f"{where}: {key} must be a whole number of {unit} from 1 to 366")
    return relativedelta(months=number) if unit == "months" else \
        relativedelta(weeks=number) if unit == "weeks" else relativedelta(days=number)
