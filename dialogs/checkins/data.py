"""A person's own check-in data: what is kept, a CSV download through a signed, expiring link
made for them alone, deleting it all, "my data", and the retention purge."""

from __future__ import annotations

import logging
from datetime import timedelta
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.checkins.common import CheckinsBase
from dialogs.shared.context import scope_of, show
from dialogs.shared.links import InvalidLink
from dialogs.shared.spreadsheet import csv_bytes
from storage.checkins import repository as repo
from storage.models import User
from storage.personal_data import DataItem, PersonalDataSource

log = logging.getLogger(__name__)
EXPORT_PURPOSE = "checkins.csv"
EXPORT_PATH = "/checkins/export/{token}.csv"
CSV_COLUMNS = ("date", "feeling", "states", "needs", "hard", "let_go", "went_well", "note")


class DataActions(CheckinsBase):
    async def show_data(self, turn_context: TurnContext) -> None:
        t = self.text
        user_id = scope_of(turn_context).actor.user_id
        async with self.services.db() as db:
            count, oldest = await repo.count_of(db, user_id)
            plan = await repo.plan_of(db, user_id)
        retention = plan.retention_days if plan else repo.DEFAULT_RETENTION_DAYS
        facts = [{"title": t("checkins.data.count"), "value": str(count)},
                 {"title": t("checkins.data.retention"), "value": t("checkins.data.retention_days", days=retention)}]
        if oldest is not None:
            facts.insert(1, {"title": t("checkins.data.oldest"), "value": oldest.isoformat()})
        url = ""
        if count:
            expires = self.now() + timedelta(minutes=self.config.export_minutes)
            url = self.services.links.url(EXPORT_PATH, self.services.links.token(EXPORT_PURPOSE, user_id, expires))
        await show(turn_context, self.content.card("checkin_data", {
            "title": t("checkins.data.title"), "facts": facts, "download_url": url,
            "download": t("checkins.data.download"), "delete": t("checkins.data.delete"),
            "back": t("checkins.home.title"),
            "link_note": t("checkins.data.link_note", minutes=self.config.export_minutes) if url else "",
        }), replace=True)

    async def ask_delete(self, turn_context: TurnContext) -> None:
        t = self.text
        await show(turn_context, self.content.card("checkin_confirm", {
            "title": t("checkins.data.confirm_title"), "text": t("checkins.data.confirm"),
            "yes": t("checkins.data.confirm_yes"), "no": t("checkins.data.confirm_no"),
            "yes_verb": "checkins.delete.confirm", "no_verb": "checkins.delete.keep"}), replace=True)

    async def delete(self, turn_context: TurnContext) -> None:
        async with self.services.db() as db, db.begin():
            count = await repo.delete_checkins(db, scope_of(turn_context).actor.user_id)
        await show(turn_context, self.notice("checkins.data.deleted_title",
                                             self.text("checkins.data.deleted", count=count)), replace=True)

    async def keep(self, turn_context: TurnContext) -> None:
        await show(turn_context, self.notice("checkins.data.title", self.text("checkins.data.kept")), replace=True)

    # --- the download -----------------------------------------------------------------------

    async def export(self, request: web.Request) -> web.Response:
        """GET /checkins/export/{token}.csv: the link is the credential, made for its owner only."""
        t = self.text
        try:
            owner_id = self.services.links.verify(EXPORT_PURPOSE, request.match_info["token"], self.now())
        except InvalidLink:
            log.info("check-in export refused: invalid or expired link")
            return web.Response(status=404, text=t("checkins.csv.link_invalid"))
        async with self.services.db() as db:
            views = await repo.history(db, self.sealer, owner_id)
        c = self.config
        rows = [(v.day.isoformat(), c.feelings[v.feeling - 1], ", ".join(c.states[s] for s in v.states),
                 ", ".join(c.needs[n] for n in v.needs), v.text.hard,
                 t("checkins.csv.yes") if v.let_go else t("checkins.csv.no"), " | ".join(v.text.went_well),
                 v.text.note) for v in views]
        body = csv_bytes([[t(f"checkins.csv.{k}") for k in CSV_COLUMNS], *rows])
        log.info("check-ins exported by their owner (%d rows)", len(rows))
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": 'attachment; filename="my-check-ins.csv"'})

    # --- "my data" and retention --------------------------------------------------------------

    def items(self, row: Sequence[Any], _user: User) -> list[DataItem]:
        times, retention, count = repo.held(row)
        schedule = self.times_text(times) if times is not None else ""
        return [DataItem("checkin_schedule", (schedule or self.text("checkins.my_data.schedule_none"),)),
                DataItem("checkins", (self.text("checkins.my_data.kept", count=count, days=retention),))]

    async def erase(self, db: AsyncSession, user: User) -> None:
        await repo.erase(db, user.id)

    def personal_data(self) -> PersonalDataSource:
        return PersonalDataSource("checkins", repo.held_statement, self.items, self.erase)

    async def purge(self) -> Any:
        async with self.services.db() as db, db.begin():
            return await repo.purge_expired(db, self.now())
