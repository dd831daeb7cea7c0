"""Reading co-reflections: the home card, one group's card (members see its schedule and their own
answers and attendance; its lead sees everyone's attendance), answering going / not going, and
"I'm here". Every read takes the person from the turn, never from card data."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.common import LEADS, MAX_GROUPS_LISTED, Access, CoreflectionsBase
from dialogs.shared.context import scope_of, show
from storage.coreflections import repository as repo
from storage.coreflections.attendance import mark_attended
from storage.coreflections.models import Answer, CoReflectionGroup, OccurrenceStatus
from storage.people.models import Person
from storage.users import zone_of
GROUP_LABELS = ("join", "feed", "feed_note", "upcoming", "going", "not_going", "here", "register", "manage",
                "my_attendance", "lead_attendance")


class ViewActions(CoreflectionsBase):
    async def home(self, turn_context: TurnContext) -> None:
        actor = scope_of(turn_context).actor
        lead = actor.has_any(*LEADS)
        async with self.services.db() as db, db.begin():
            me = await self.me(db, actor)
            mine = list(await repo.groups_of_member(db, me.id))[:MAX_GROUPS_LISTED] if me else []
            led = list(await repo.groups_led_by(db, me.id))[:MAX_GROUPS_LISTED] if me and lead else []
        t = self.text

        def rows(groups) -> list[dict[str, str]]:
            return [{"id": g.id, "name": g.name, "schedule": self.schedule(g)} for g in groups]

        await show(turn_context, self.content.card("coreflection_home", {
            "title": t("coreflections.home.title"), "intro": t("coreflections.home.intro"), "message": "",
            "member_title": t("coreflections.home.member_of"), "groups": rows(mine),
            "none": "" if mine else t("coreflections.home.none"),
            "lead": lead, "lead_title": t("coreflections.home.leading"), "led": rows(led),
            "lead_none": t("coreflections.home.lead_none") if lead and not led else "",
            "new": t("coreflections.home.new"), "open": t("coreflections.home.open"),
        }), replace=True)

    async def group(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        async with self.services.db() as db, db.begin():
            access = await self.access(db, scope.actor, scope.input.data.get("group_id"))
            card = await self.group_card(db, access, scope.actor.user_id) if access else self.refused()
        await show(turn_context, card, replace=True)

    async def group_card(self, db: AsyncSession, access: Access, user_id: str, *, message: str = "",
                         error: str = "") -> dict[str, Any]:
        group, me, now = access.group, access.me, self.now()
        zone = await zone_of(db, user_id, group.time_zone)
        count = self.config.upcoming_shown
        await repo.ensure_occurrences(db, group, now, now + self.reach(group, count))
        upcoming = list(await repo.occurrences(db, group.id, now - timedelta(minutes=group.minutes), now + self.reach(group, count)))
        upcoming = [o for o in upcoming if o.ends_at > now][:count]
        people = {p.id: p for _, p in await repo.members(db, group.id)}
        answers = {r.occurrence_id: r for r in await repo.responses(db, [o.id for o in upcoming], me.id)}
        held = await self._held(db, group)
        data: dict[str, Any] = {
            "name": group.name, "schedule": self.schedule(group), "message": message, "error": error,
            "joining_url": group.joining_url, "feed_url": self.feed_url(group.id, me.id),
            "lead": access.lead, "member": access.member, "labels": self._labels(),
            "none_upcoming": "" if upcoming else self.text("coreflections.group.none_upcoming"),
            "upcoming": [self._occurrence_row(o, zone, people, answers.get(o.id), access) for o in upcoming],
            "pending": "", "mine": [], "held": [], "by_member": [], "held_registers": [],
        }
        if access.member:
            own = {r.occurrence_id: r for r in await repo.responses(db, [o.id for o in held], me.id)}
            data["mine"] = [{"when": self.when(o.starts_at, o.ends_at, zone), "value": self.text(
                "coreflections.group.attended" if own.get(o.id) and own[o.id].attended_at
                else "coreflections.group.not_recorded")} for o in held]
        if access.lead:
            data.update(await self._lead_view(db, group, held, people, zone))
        return self.content.card("coreflection_group", data)

    async def _held(self, db: AsyncSession, group: CoReflectionGroup) -> list:
        """The most recent meetings that took place (not cancelled), newest first."""
        now = self.now()
        past = await repo.occurrences(db, group.id, now - self.reach(group, self.config.recent_shown), now,
                                      live_only=True)
        return list(reversed([o for o in past if o.starts_at <= now]))[:self.config.recent_shown]

    async def _lead_view(self, db: AsyncSession, group: CoReflectionGroup, held: list, people: dict[str, Person],
                         zone: str) -> dict[str, Any]:
        everyone = await repo.responses(db, [o.id for o in held])
        present = Counter(r.occurrence_id for r in everyone if r.attended_at is not None)
        by_person = Counter(r.person_id for r in everyone if r.attended_at is not None)
        pending = sum(1 for p in people.values() if p.user_id is None)
        return {
            "pending": self.text("coreflections.group.pending", count=pending) if pending else "",
            "held": [{"when": self.when(o.starts_at, o.ends_at, zone), "value": self.text(
                "coreflections.group.present", present=present[o.id], members=len(people))} for o in held],
            "by_member": [{"name": self.person_name(p), "value": self.text(
                "coreflections.group.member_line", attended=by_person[pid], held=len(held))}
                for pid, p in people.items()] if held else [],
            "held_registers": [{"id": o.id, "title": f"{self.text('coreflections.group.register')}: "
                                f"{self.when(o.starts_at, o.ends_at, zone)}"} for o in held],
        }

    def _occurrence_row(self, occurrence, zone: str, people: dict[str, Person], answer, access: Access) -> dict[str, Any]:
        live = occurrence.status != OccurrenceStatus.CANCELLED
        now = self.now()
        facilitator = people.get(occurrence.facilitator_id or "")
        said = answer.answer if answer is not None and answer.answer in (Answer.GOING, Answer.NOT_GOING) else None
        return {
            "id": occurrence.id, "when": self.when(occurrence.starts_at, occurrence.ends_at, zone),
            "status": self.status(occurrence),
            "facilitator": self.text("coreflections.group.facilitator", name=self.person_name(facilitator))
            if live and facilitator is not None else "",
            "answer": self.text(f"coreflections.group.your_answer.{said}") if said else "",  # text-key: coreflections.group.your_answer.*
            "member": access.member and live,
            "here_open": access.member and live and self.here_open(occurrence, now),
        }

    def _labels(self) -> dict[str, str]:
        labels = {k: self.text(f"coreflections.group.{k}") for k in GROUP_LABELS}
        return {**labels, "back": self.text("coreflections.home.back"), "open": self.text("coreflections.notices.open")}

    def here_open(self, occurrence, now) -> bool:
        return occurrence.starts_at - self.config.rules.here_opens <= now < occurrence.ends_at

    # --- answering ------------------------------------------------------------------------

    async def rsvp(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        answer = scope.input.data.get("answer")
        async with self.services.db() as db, db.begin():
            found = await self.occurrence_access(db, scope.actor, scope.input.data.get("occurrence_id"))
            if found is None or not found[1].member or answer not in (Answer.GOING, Answer.NOT_GOING):
                card = self.refused()
            else:
                occurrence, access = found
                if occurrence.status == OccurrenceStatus.CANCELLED or occurrence.ends_at <= self.now():
                    card = await self.group_card(db, access, scope.actor.user_id,
                                                 error=self.text("coreflections.errors.over"))
                else:
                    response = await repo.ensure_response(db, occurrence.id, access.me.id)
                    response.answer, response.answered_at = str(answer), self.now()
                    await db.flush()
                    card = await self.group_card(db, access, scope.actor.user_id,
                                                 message=self.text("coreflections.group.answered"))
        await show(turn_context, card, replace=True)

    async def here(self, turn_context: TurnContext) -> None:
        """A member says they are at the meeting: only while it is on (and just before)."""
        scope = scope_of(turn_context)
        now = self.now()
        async with self.services.db() as db, db.begin():
            found = await self.occurrence_access(db, scope.actor, scope.input.data.get("occurrence_id"))
            if found is None or not found[1].member:
                card = self.refused()
            else:
                occurrence, access = found
                if occurrence.status == OccurrenceStatus.CANCELLED or not self.here_open(occurrence, now):
                    minutes = int(self.config.rules.here_opens.total_seconds() // 60)
                    card = await self.group_card(db, access, scope.actor.user_id,
                                                 error=self.text("coreflections.errors.not_now", minutes=minutes))
                else:
                    marked = await mark_attended(db, occurrence, access.group, access.me.id,
                                                 marked_by=access.me.id, now=now)
                    card = await self.group_card(db, access, scope.actor.user_id, message=self.text(
                        "coreflections.group.marked_here" if marked else "coreflections.group.already_here"))
        await show(turn_context, card, replace=True)
