"""The Manage card's forms: which fields each has, and reading them. A form is read whole, and
every bad field is named, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from storage.tripartite.rules import ProbationOutcome

DATE_SPAN = timedelta(days=730)  # dates further than this from today are a slip of the picker


@dataclass(frozen=True)
class FormSpec:
    name: str
    dates: tuple[str, ...]  # field ids of Input.Date
    optional: tuple[str, ...] = ()  # dates that may be left empty
    choice: str | None = None  # field id of the one choice, if any
    choices: tuple[str, ...] = ()


FORMS = {spec.name: spec for spec in (
    FormSpec("probation", ("starts_on",)),
    FormSpec("outcome", ("new_end",), optional=("new_end",), choice="outcome",
             choices=tuple(o.value for o in ProbationOutcome)),
    # No medical detail: the kind is all that is asked.
    FormSpec("absence", ("started_on", "expected_return"), optional=("expected_return",), choice="kind",
             choices=("sickness", "other")),
    FormSpec("return", ("returned_on",)),
    FormSpec("appraisal", ("due_on",)),
)}


def read_form(spec: FormSpec, data: dict[str, Any], today: date,
              text: Callable[..., str]) -> tuple[dict[str, Any], list[str]]:
    """(values, errors): dates as `date` (None when an optional one is empty), the choice as given."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for field in spec.dates:
        raw = str(data.get(field) or "").strip()
        label = text(f"tripartite.fields.{field}")  # text-key: tripartite.fields.*
        if not raw and field in spec.optional:
            values[field] = None
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(text("tripartite.errors.date", field=label))
            continue
        if abs(day - today) > DATE_SPAN:
            errors.append(text("tripartite.errors.date_span", field=label, days=DATE_SPAN.days))
            continue
        values[field] = day
    if spec.choice is not None:
        chosen = data.get(spec.choice)
        if chosen not in spec.choices:
            errors.append(text("tripartite.errors.choice", field=text(f"tripartite.fields.{spec.choice}")))
        values[spec.choice] = chosen
    return values, errors
