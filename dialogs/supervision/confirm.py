"""The other party's answer: "yes, this happened" or "that's not right" with a reason (the Mersey
Care pattern), the request and its one reminder in their chat, and telling the recorder of a dispute.

Only the person asked may answer (the supervisee, or the supervisor when the supervisee recorded
it), once: a second press, or one from another device, changes nothing and says so.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.cards import card_activity
from dialogs.shared.context import scope_of, show
from dialogs.shared.inputs import storable
from dialogs.supervision.common import MAX_ACTIONS, SupervisionBase, reachable_user
from storage.outbox import ClaimedMessage
from storage.people.models import RecordStatus, SupervisionRecord
from storage.supervision import records as repo, requests
from storage.users import zone_of

log = logging.getLogger(__name__)


class ConfirmActions(SupervisionBase):
    async def confirm(self, turn_context: TurnContext) -> None:
        await self._answer(turn_context, confirm=True, reason=None)

    async def dispute(self, turn_context: TurnContext) -> None:
        """Without a reason: the reason form (for the person asked only). With one: the dispute."""
        data = scope_of(turn_context).input.data
        if "reason" not in data:
            async with self.services.db() as db, db.begin():
                me = await self.me(db, turn_context)
                record = await record_of(db, data.get("record"))
                if record is None or me is None or repo.confirmer_of(record) != me.id:
                    card = self._not_yours()
                elif record.status != RecordStatus.UNCONFIRMED:
                    card = self._already(record)
                else:
                    card = await self._dispute_form(db, record)
            return await show(turn_context, card, replace=True)
        reason, error = self._reason(data.get("reason"))
        if error:
            async with self.services.db() as db, db.begin():
                me = await self.me(db, turn_context)
                record = await record_of(db, data.get("record"))
                if record is None or me is None or repo.confirmer_of(record) != me.id:
                    return await show(turn_context, self._not_yours(), replace=True)
                card = await self._dispute_form(db, record, error)
            return await show(turn_context, card, replace=True)
        await self._answer(turn_context, confirm=False, reason=reason)

    def _reason(self, raw: object) -> tuple[str, str]:
        text = raw.strip() if isinstance(raw, str) else ""
        if isinstance(raw, str) and not storable(raw, multiline=True):
            return "", self.text("supervision.errors.characters", field=self.text("supervision.views.dispute_reason"))
        if not text:
            return "", self.text("supervision.errors.reason_missing")
        if len(text) > MAX_ACTIONS:
            return "", self.text("supervision.errors.reason_long", max=MAX_ACTIONS, count=len(text))
        return text, ""

    async def _answer(self, turn_context: TurnContext, *, confirm: bool, reason: str | None) -> None:
        record_id = scope_of(turn_context).input.data.get("record")
        now = self.services.now()
        async with self.services.db() as db, db.begin():
            me = await self.me(db, turn_context)
            if me is None:
                return await show(turn_context, self._not_yours(), replace=True)
            if reason is not None:
                record = await record_of(db, record_id)
                parties = {p for p in (record.worker_id, record.supervisor_id) if p} if record else set()
                reason = await self.scrubbed(db, reason, parties)
            outcome, record = await repo.answer(db, record_id, me.id, confirm=confirm, reason=reason, now=now)
            if record is None:
                return await show(turn_context, self._not_yours(), replace=True)
            if outcome is repo.Answer.ALREADY:
                return await show(turn_context, self._already(record), replace=True)
            words = self.about(record)
            if not confirm:
                recorder = record.recorded_by if record.recorded_by != me.id else None
                user_id = await reachable_user(db, recorder)
                if user_id is not None:
                    await requests.tell_disputed(db, record, user_id, now)
                words["recorder"] = await self.name_of(db, recorder)
        log.info("supervision record %s", "confirmed" if confirm else "disputed")
        key = "confirmed" if confirm else "disputed"
        card = self.notice(f"supervision.answered.{key}_title",  # text-key: supervision.answered.*
                           self.text(f"supervision.answered.{key}", **words))
        await show(turn_context, card, replace=True)

    def _not_yours(self) -> dict[str, Any]:
        return self.notice("supervision.answered.not_yours_title", self.text("supervision.answered.not_yours"))

    def _already(self, record: SupervisionRecord) -> dict[str, Any]:
        return self.notice("supervision.answered.already_title",
                           self.text("supervision.answered.already", status=self.status_name(record.status)))

    async def _dispute_form(self, db: AsyncSession, record: SupervisionRecord, error: str = "") -> dict[str, Any]:
        t = self.text
        return self.content.card("supervision_dispute", {
            "title": t("supervision.dispute.title"), "error": error, "record": record.id, "max": MAX_ACTIONS,
            "intro": t("supervision.dispute.intro", **self.about(record),
                       recorder=await self.name_of(db, record.recorded_by)),
            "reason_label": t("supervision.dispute.reason_label", max=MAX_ACTIONS), "send": t("supervision.dispute.send"),
        })

    # --- the outbox --------------------------------------------------------------------------

    async def request_card(self, db: AsyncSession, record: SupervisionRecord, *, reminder: bool) -> dict[str, Any]:
        t = self.text
        recorder = await self.name_of(db, record.recorded_by)
        lead = "reminder" if reminder else ("by_worker" if record.recorded_by == record.worker_id else "by_supervisor")
        return self.content.card("supervision_request", {
            "title": t("supervision.request.title"), "record": record.id,
            "text": t(f"supervision.request.{lead}", recorder=recorder),  # text-key: supervision.request.*
            "facts": await self.facts(db, record, full=True),
            "yes": t("supervision.request.confirm"), "no": t("supervision.request.dispute"),
        })

    async def facts(self, db: AsyncSession, record: SupervisionRecord, *, full: bool) -> list[dict[str, str]]:
        """Date and type are the row's title; status always; the rest only for those who see it in full."""
        t = self.text
        facts = [{"title": t("supervision.views.status"), "value": self.status_name(record.status)}]
        if not full:
            return facts
        given = (await self.name_of(db, record.supervisor_id) if record.supervisor_id
                 else t("supervision.views.attendance") if record.source else t("supervision.views.someone"))
        facts.insert(0, {"title": t("supervision.views.given_by"), "value": given})
        if record.minutes:
            facts.insert(1, {"title": t("supervision.views.length"),
                             "value": t("supervision.views.length_value", minutes=record.minutes)})
        if record.actions:
            facts.append({"title": t("supervision.views.actions"), "value": record.actions})
        if record.status == RecordStatus.DISPUTED and record.dispute_reason:
            facts.append({"title": t("supervision.views.dispute_reason"), "value": record.dispute_reason})
        return facts

    async def _waiting(self, db: AsyncSession, message: ClaimedMessage) -> SupervisionRecord | None:
        """The record, while it still waits for an answer from the person this message goes to."""
        record = await record_of(db, message.payload.get("record"))
        if record is None or record.status != RecordStatus.UNCONFIRMED:
            return None
        return record if await reachable_user(db, repo.confirmer_of(record)) == message.user_id else None

    async def render_ask(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        record = await self._waiting(db, message)
        return card_activity(await self.request_card(db, record, reminder=False)) if record else None

    async def render_remind(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        record = await self._waiting(db, message)
        if record is None:
            return None
        # The outbox key makes the reminder one; this marks it so the job stops asking.
        async with self.services.db() as marking, marking.begin():
            await repo.mark_reminded(marking, record.id, self.services.now())
        return card_activity(await self.request_card(db, record, reminder=True))

    async def render_disputed(self, db: AsyncSession, message: ClaimedMessage) -> Activity | None:
        record = await record_of(db, message.payload.get("record"))
        if record is None or record.status != RecordStatus.DISPUTED:
            return None
        t = self.text
        return card_activity(self.content.card("supervision_told", {
            "title": t("supervision.told.title"),
            "text": t("supervision.told.text", **self.about(record),
                      person=await self.name_of(db, repo.confirmer_of(record))),
            "reason": t("supervision.told.reason", reason=record.dispute_reason) if record.dispute_reason else "",
            "again": t("supervision.told.again"), "type": record.type, "worker": record.worker_id,
        }))

    async def tick(self) -> int:
        """Ask everyone still to answer a recent record (idempotent): reaches people who installed
        the app after it was recorded, with their one reminder counted from then."""
        now = self.services.now()
        asked = 0
        async with self.services.db() as db, db.begin():
            for record in await repo.awaiting_answer(db, now - timedelta(days=self.config.ask_within_days)):
                user_id = await reachable_user(db, repo.confirmer_of(record))
                if user_id is not None:
                    zone = await zone_of(db, user_id, self.services.default_zone)
                    asked += await requests.ask(db, record, user_id, zone, now, self.config.reminder)
        return asked


async def record_of(db: AsyncSession, record_id: object) -> SupervisionRecord | None:
    """The record a card or outbox row names, if that is an id at all and it still exists."""
    return await db.get(SupervisionRecord, record_id) if isinstance(record_id, str) and record_id else None
