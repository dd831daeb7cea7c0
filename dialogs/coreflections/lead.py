"""What only a group's lead does: the register of one meeting, and moving or cancelling one
meeting without touching the rest of the series (members are told; reminders follow the move).
Each action asks for a lead's role and for this group being theirs; anyone else changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import LEADS, Access, CoreflectionsBase
from dialogs.shared.context import scope_of, show
from dialogs.shared.text import text_of
from storage import outbox
from storage.coreflections import repository as repo
from storage.coreflections.attendance import mark_attended, unmark_attended
from storage.coreflections.events import drop_reminders, queue_reminders
from storage.coreflections.models import CoReflectionOccurrence, OccurrenceStatus
from storage.coreflections.recurrence import local_to_utc
from storage.sessions.recurrence import in_zone
from storage.users import zone_of

NOTICE_WINDOW = timedelta(days=7)
MAX_AHEAD = timedelta(days=366)
OCCURRENCE_LABELS = ("move", "cancel", "confirm_yes", "keep")
# One step a lead takes on a meeting of their group, in the turn's transaction: the card to show.
LeadStep = Callable[[AsyncSession, CoReflectionOccurrence, Access], Awaitable[dict[str, Any]]]


class LeadActions(CoreflectionsBase):
    async def _as_lead(self, turn_context: TurnContext, act: LeadStep) -> None:
        """Run `act` on the pressed meeting, in one transaction, when the actor leads its group (a
        lead's role is asked first); anyone else is refused and nothing changes."""
        scope = scope_of(turn_context)
        scope.actor.require(*LEADS)
        async with self.services.db() as db, db.begin():
            found = await self.occurrence_access(db, scope.actor, scope.input.data.get("occurrence_id"))
            card = await act(db, *found) if found is not None and found[1].lead else self.refused()
        await show(turn_context, card, replace=True)

    # --- the register -----------------------------------------------------------------------

    async def register(self, turn_context: TurnContext) -> None:
        user_id = scope_of(turn_context).actor.user_id
        await self._as_lead(turn_context, lambda db, occurrence, access: self._register_card(
            db, occurrence, access, user_id))

    async def _register_card(self, db: AsyncSession, occurrence: CoReflectionOccurrence, access: Access,
                             user_id: str, *, message: str = "", error: str = "") -> dict[str, Any]:
        group = access.group
        zone = await zone_of(db, user_id, group.time_zone)
        people = await repo.members(db, group.id)
        attended = {r.person_id for r in await repo.responses(db, [occurrence.id]) if r.attended_at is not None}
        t = self.text
        return self.content.card("coreflection_register", {
            "title": t("coreflections.register.title", name=group.name),
            "when": self.when(occurrence.starts_at, occurrence.ends_at, zone),
            "intro": t("coreflections.register.intro"), "message": message, "error": error,
            "label": t("coreflections.register.label"), "save": t("coreflections.register.save"),
            "back": t("coreflections.home.back"), "occurrence_id": occurrence.id, "group_id": group.id,
            "people": [{"title": self.person_name(p), "value": p.id} for _, p in people],
            "attended": ",".join(p.id for _, p in people if p.id in attended),
        })

    async def register_save(self, turn_context: TurnContext) -> None:
        """Tick who is there; unticking takes back a mistaken mark (and the record it wrote)."""
        scope = scope_of(turn_context)
        wanted = {v for v in text_of(scope.input.data.get("attended")).split(",") if v}
        now = self.now()

        async def save(db: AsyncSession, occurrence: CoReflectionOccurrence, access: Access) -> dict[str, Any]:
            members = {p.id for _, p in await repo.members(db, access.group.id)}
            error = None
            if occurrence.status == OccurrenceStatus.CANCELLED:
                error = "coreflections.errors.over"
            elif now < occurrence.starts_at - self.config.rules.here_opens:
                error = "coreflections.errors.not_started"
            elif not wanted <= members:
                error = "coreflections.errors.not_member"
            if error is None:
                for person_id in sorted(members):
                    if person_id in wanted:
                        await mark_attended(db, occurrence, access.group, person_id, marked_by=access.me.id, now=now)
                    else:
                        await unmark_attended(db, occurrence.id, person_id)
            return await self._register_card(db, occurrence, access, scope.actor.user_id,
                                              error=self.text(error) if error else "",
                                              message="" if error else self.text("coreflections.register.saved"))

        await self._as_lead(turn_context, save)

    # --- move or cancel one meeting -----------------------------------------------------------

    async def occurrence(self, turn_context: TurnContext) -> None:
        await self._as_lead(turn_context, self._occurrence_card)

    async def _occurrence_card(self, db: AsyncSession, occurrence: CoReflectionOccurrence, access: Access, *,
                               error: str = "", confirming: bool = False) -> dict[str, Any]:
        group = access.group
        local = in_zone(occurrence.starts_at, group.time_zone)
        when = self.when(occurrence.starts_at, occurrence.ends_at, group.time_zone)
        return self.content.card("coreflection_occurrence", {
            "title": self.text("coreflections.occurrence.title", name=group.name),
            "intro": self.text("coreflections.occurrence.intro", when=when, zone=group.time_zone),
            "error": error, "confirming": confirming, "confirm": self.text("coreflections.occurrence.confirm", when=when),
            "occurrence_id": occurrence.id, "group_id": group.id,
            "date": local.date().isoformat(), "time": local.strftime("%H:%M"),
            "labels": {**{k: self.text(f"coreflections.occurrence.{k}") for k in OCCURRENCE_LABELS},
                       "date": self.text("coreflections.fields.date"), "time": self.text("coreflections.fields.time"),
                       "back": self.text("coreflections.notices.open")},
        })

    def _changeable(self, occurrence: CoReflectionOccurrence) -> bool:
        return occurrence.status != OccurrenceStatus.CANCELLED and occurrence.starts_at > self.now()

    async def move(self, turn_context: TurnContext) -> None:
        data, now = scope_of(turn_context).input.data, self.now()

        async def move(db: AsyncSession, occurrence: CoReflectionOccurrence, access: Access) -> dict[str, Any]:
            group = access.group
            local, error = self._new_start(data, group.time_zone, now)
            if error is None and not self._changeable(occurrence):
                error = self.text("coreflections.errors.over")
            if error is None and local is not None and local_to_utc(local, group.time_zone) == occurrence.starts_at:
                error = self.text("coreflections.errors.same")
            if error is not None or local is None:
                return await self._occurrence_card(db, occurrence, access, error=error or "")
            old = (occurrence.starts_at, occurrence.ends_at)
            repo.move(occurrence, group, local)
            await db.flush()
            await drop_reminders(db, occurrence.id)
            await queue_reminders(db, group, occurrence, self.config.rules, now)
            await self._tell(db, access, occurrence, f"moved:{int(occurrence.starts_at.timestamp())}", old=old)
            return self.group_notice(self.text("coreflections.occurrence.title", name=group.name),
                                     self.text("coreflections.occurrence.moved"), group_id=group.id)

        await self._as_lead(turn_context, move)

    def _new_start(self, data: dict[str, Any], zone: str, now: datetime) -> tuple[datetime | None, str | None]:
        """The new local start from the card, or a message naming the bad field."""
        try:
            day = date.fromisoformat(data["date"].strip()) if isinstance(data.get("date"), str) else None
        except ValueError:
            day = None
        if day is None:
            return None, self.text("coreflections.errors.date", field=self.text("coreflections.fields.date"))
        try:
            at = time.fromisoformat(data["time"].strip()[:5]) if isinstance(data.get("time"), str) else None
        except ValueError:
            at = None
        if at is None:
            return None, self.text("coreflections.errors.time", field=self.text("coreflections.fields.time"))
        local = datetime.combine(day, at)
        start = local_to_utc(local, zone)
        if start <= now or start > now + MAX_AHEAD:
            return None, self.text("coreflections.errors.past", field=self.text("coreflections.fields.date"))
        return local, None

    async def cancel(self, turn_context: TurnContext) -> None:
        """First press: ask. Nothing changes until "Yes, cancel it"."""
        await self._as_lead(turn_context, lambda db, occurrence, access: self._occurrence_card(
            db, occurrence, access, confirming=True))

    async def cancel_confirm(self, turn_context: TurnContext) -> None:
        async def cancel(db: AsyncSession, occurrence: CoReflectionOccurrence, access: Access) -> dict[str, Any]:
            if not self._changeable(occurrence):
                return await self._occurrence_card(db, occurrence, access, error=self.text("coreflections.errors.over"))
            repo.cancel(occurrence)
            await db.flush()
            await drop_reminders(db, occurrence.id)
            await self._tell(db, access, occurrence, "cancelled")
            return self.group_notice(self.text("coreflections.occurrence.title", name=access.group.name),
                                     self.text("coreflections.occurrence.cancelled"), group_id=access.group.id)

        await self._as_lead(turn_context, cancel)

    async def _tell(self, db: AsyncSession, access: Access, occurrence: CoReflectionOccurrence, tag: str, *,
                    old: tuple[datetime, datetime] | None = None) -> None:
        """A notice to every member who can be reached, in their own zone."""
        group, now = access.group, self.now()
        for _, person in await repo.members(db, group.id):
            if person.user_id is None:
                continue
            zone = await zone_of(db, person.user_id, group.time_zone)
            new = self.when(occurrence.starts_at, occurrence.ends_at, zone)
            if old is None:
                title = self.text("coreflections.notices.cancelled_title", name=group.name)
                text = self.text("coreflections.notices.cancelled", when=new)
            else:
                title = self.text("coreflections.notices.moved_title", name=group.name)
                text = self.text("coreflections.notices.moved", old=self.when(*old, zone), new=new)
            await outbox.enqueue(db, kind="card", idempotency_key=f"coreflect_notice:{occurrence.id}:{tag}:{person.id}",
                                 user_id=person.user_id, due_at=now, not_after=now + NOTICE_WINDOW,
                                 payload={"card": self.group_notice(title, text, group_id=group.id)})
