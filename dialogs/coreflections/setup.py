"""A peer lead sets up a co-reflection group: members from Teams' people picker (or, in clients
without it such as the Agents Playground, from the people the bot knows), a joining link, and a
recurrence chosen on the card and stored as an RFC 5545 RRULE. Every bad field is named."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlparse

from botbuilder.core import TurnContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import LEADS, Access, CoreflectionsBase
from dialogs.coreflections.views import ViewActions
from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import CONTROL_CHARACTERS, storable
from dialogs.shared.text import text_of
from storage.coreflections import repository as repo
from storage.coreflections.events import queue_invitation, queue_reminders
from storage.coreflections.recurrence import FREQUENCIES, NTHS, WEEKDAYS, Pattern
from storage.models import User
from storage.people.models import Person
from storage.people.directory import resolve_pick
from storage.people.repository import ensure_person
from storage.sessions.recurrence import in_zone
from storage.users import is_zone, zone_of

MAX_NAME = 120
MAX_URL = 2000
MAX_KNOWN = 100  # people offered in the fallback list (the card must stay under 80 KB)
AHEAD = timedelta(days=366)
KNOWN = "p:"  # fallback choices name a known person by id; the people picker sends AAD object ids
_AAD = re.compile(r"^[A-Za-z0-9-]{1,64}$")
DEFAULTS = {"frequency": "monthly", "nth": "1", "weekday": "TU", "start": "10:00", "minutes": "60"}


class SetupActions(CoreflectionsBase):
    def __init__(self, services, config, views: ViewActions) -> None:
        super().__init__(services, config)
        self.views = views  # the group card shown once the group is made

    async def new(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*LEADS)
        async with self.services.db() as db:
            zone = await zone_of(db, scope.actor.user_id, self.services.default_zone)
            known = await self._known(db)
        today = in_zone(self.now(), zone).date()
        values = {**DEFAULTS, "name": "", "members": "", "joining_url": "", "zone": zone,
                  "starts_on": today.isoformat()}
        await show(turn_context, self.form(values, known, []), replace=True)

    async def _known(self, db: AsyncSession) -> list[dict[str, str]]:
        """People the bot knows, named as they are or as Teams last named them."""
        rows = await db.execute(select(Person, User.name).outerjoin(User, User.id == Person.user_id)
                                .order_by(Person.name, Person.id).limit(MAX_KNOWN))
        known = [{"title": person.name or teams_name or "", "value": person.aad_object_id or KNOWN + person.id}
                 for person, teams_name in rows.all()]
        return sorted((k for k in known if k["title"]), key=lambda k: k["title"].lower())

    def form(self, values: dict[str, Any], known: list[dict[str, str]], errors: list[str]) -> dict[str, Any]:
        t = self.text
        fields = ("name", "members", "joining_url", "frequency", "nth", "weekday", "starts_on", "start",
                  "minutes", "zone")
        return self.content.card("coreflection_form", {
            "title": t("coreflections.form.title"), "intro": t("coreflections.form.intro"),
            "fix": t("coreflections.form.fix"), "has_errors": bool(errors), "errors": [{"text": e} for e in errors],
            "labels": {f: t(f"coreflections.fields.{f}") for f in fields},
            "values": {f: values.get(f) if isinstance(values.get(f), str) else "" for f in fields},
            "people": known, "members_hint": t("coreflections.form.members_hint"),
            "frequencies": [{"title": t(f"coreflections.form.frequency.{f}"), "value": f} for f in FREQUENCIES],
            "nths": [{"title": t(f"coreflections.nth.{n}"), "value": str(n)} for n in NTHS],
            "weekdays": [{"title": t(f"coreflections.weekdays.{d}"), "value": d} for d in WEEKDAYS],
            "lengths": [{"title": t("coreflections.form.minutes", minutes=m), "value": str(m)}
                        for m in self.config.lengths],
            "create": t("coreflections.form.create"), "back": t("coreflections.home.back"),
        })

    def _field_error(self, key: str, field: str) -> str:
        """The message for error `key` naming the form field `field`."""
        return self.text(key, field=self.text(f"coreflections.fields.{field}"))

    def validate(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Clean values, and one message naming each field that is wrong."""
        errors: list[str] = []
        clean: dict[str, Any] = {}
        name = text_of(data.get("name"))
        if not storable(name, multiline=False):
            errors.append(self._field_error(CONTROL_CHARACTERS, "name"))
        elif not name.strip():
            errors.append(self._field_error("coreflections.errors.required", "name"))
        elif len(" ".join(name.split())) > MAX_NAME:
            errors.append(self.text("coreflections.errors.too_long", field=self.text("coreflections.fields.name"),
                                    limit=MAX_NAME))
        clean["name"] = " ".join(name.split())
        raw = text_of(data.get("members"))
        picked = list(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
        if not 1 <= len(picked) <= self.config.max_members \
                or not all(_AAD.match(v) or (v.startswith(KNOWN) and _AAD.match(v[2:])) for v in picked):
            errors.append(self.text("coreflections.errors.members", field=self.text("coreflections.fields.members"),
                                    limit=self.config.max_members))
        clean["members"] = picked
        url = text_of(data.get("joining_url")).strip()
        parsed = urlparse(url) if storable(url, multiline=False) else None
        if parsed is None or parsed.scheme != "https" or not parsed.hostname or len(url) > MAX_URL \
                or any(c.isspace() for c in url):
            errors.append(self._field_error("coreflections.errors.joining_url", "joining_url"))
        clean["joining_url"] = url
        choice = "coreflections.errors.choice"
        frequency, weekday, nth = data.get("frequency"), data.get("weekday"), str(data.get("nth") or "")
        if frequency not in FREQUENCIES:
            errors.append(self._field_error(choice, "frequency"))
        if frequency == "monthly" and nth not in {str(n) for n in NTHS}:
            errors.append(self._field_error(choice, "nth"))
        if weekday not in WEEKDAYS:
            errors.append(self._field_error(choice, "weekday"))
        minutes = str(data.get("minutes") or "")
        if minutes not in {str(m) for m in self.config.lengths}:
            errors.append(self._field_error(choice, "minutes"))
        zone = text_of(data.get("zone")).strip()
        if not is_zone(zone):
            errors.append(self._field_error("coreflections.errors.zone", "zone"))
        today = in_zone(self.now(), zone if is_zone(zone) else self.services.default_zone).date()
        starts_on, at = _date(data.get("starts_on")), _time(data.get("start"))
        if starts_on is None or not today <= starts_on <= today + AHEAD:
            errors.append(self._field_error("coreflections.errors.date", "starts_on"))
        if at is None:
            errors.append(self._field_error("coreflections.errors.time", "start"))
        if not errors and starts_on is not None and at is not None:
            pattern = Pattern(str(frequency), str(weekday), int(nth) if frequency == "monthly" else None)
            clean["new"] = repo.NewGroup(clean["name"], url, pattern.rule(), starts_on, at, int(minutes), zone)
        return clean, errors

    async def create(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        scope.actor.require(*LEADS)
        data = scope.input.data
        clean, errors = self.validate(data)
        async with self.services.db() as db, db.begin():
            user = await db.get(User, scope.actor.user_id)
            if not errors and not await self._all_known(db, clean["members"]):
                errors.append(self._field_error("coreflections.errors.unknown_person", "members"))
            if errors or user is None:
                card = self.form(data, await self._known(db), errors)
            else:
                lead = await ensure_person(db, user)
                member_ids = [await self._resolve(db, value, lead.id) for value in clean["members"]]
                group = await repo.create_group(db, clean["new"], lead_id=lead.id, member_ids=member_ids)
                invited, pending = await self.invite(db, group)
                card = await self.views.group_card(
                    db, Access(group, lead, True, lead.id in member_ids), scope.actor.user_id,
                    message=self.text("coreflections.group.created", invited=invited, pending=pending))
        await show(turn_context, card, replace=True)

    async def _all_known(self, db: AsyncSession, values: list[str]) -> bool:
        """Whether every fallback choice names a person who exists (the picker's AAD ids always do)."""
        ids = {v[len(KNOWN):] for v in values if v.startswith(KNOWN)}
        found = set(await db.scalars(select(Person.id).where(Person.id.in_(ids)))) if ids else set()
        return found == ids

    async def _resolve(self, db: AsyncSession, value: str, lead_id: str) -> str:
        """The person id of a picked value: a known person, or someone picked by AAD id (added,
        not yet reachable, when the bot has not met them)."""
        if value.startswith(KNOWN):
            return value[len(KNOWN):]
        person = await resolve_pick(db, value, added_by=lead_id)
        if person is None:  # validate() lets through only values shaped like a pick
            raise ValueError("not a pick")
        return person.id

    async def invite(self, db: AsyncSession, group) -> tuple[int, int]:
        """Invite the members who can be reached and queue the reminders of the meetings ahead:
        (invited, pending until they install)."""
        now = self.now()
        invited = pending = 0
        for member, person in await repo.members(db, group.id):
            if await queue_invitation(db, member, person, now):
                invited += 1
            elif person.user_id is None:
                pending += 1
        await repo.ensure_occurrences(db, group, now, now + self.config.rules.horizon)
        for occurrence in await repo.occurrences(db, group.id, now, now + self.config.rules.horizon, live_only=True):
            await queue_reminders(db, group, occurrence, self.config.rules, now)
        return invited, pending

def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
    except ValueError:
        return None


def _time(raw: Any) -> time | None:
    try:
        return time.fromisoformat(raw.strip()[:5]) if isinstance(raw, str) and len(raw.strip()) >= 4 else None
    except ValueError:
        return None
