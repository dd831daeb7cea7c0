"""Reading records: "my supervision" for a worker, and the records of the people a peer supervisor
or line manager supports now (storage/supervision/access.py holds the rule of who sees what).

Agreed actions are text people typed, so these cards go out as messages of their own rather than
as an invoke's answer (which is held in memory to answer redeliveries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import scope_of, show
from dialogs.supervision.common import date_text
from dialogs.supervision.confirm import ConfirmActions
from storage.people.models import RecordStatus, SupervisionRecord
from storage.supervision import records as repo
from storage.supervision.access import Supported, shown_in_full, supported_by

# Bounds that keep a card under Teams' message size with the longest names and texts
# (tests/shared/test_cards_render.py binds them): newest records first, the rest said as a count.
MAX_ROWS = 12
MAX_PEOPLE = 6


class ViewActions(ConfirmActions):
    async def mine(self, turn_context: TurnContext) -> None:
        """The worker's own records, newest first, confirmed or not, whatever the card data says."""
        t = self.text
        async with self.services.db() as db, db.begin():
            me = await self.me(db, turn_context)
            records = await repo.records_of(db, [me.id]) if me is not None else []
            rows = [await self.row(db, r, me.id, []) for r in records[:MAX_ROWS]] if me is not None else []
        more = t("supervision.views.more", count=len(records) - MAX_ROWS) if len(records) > MAX_ROWS else ""
        await show(turn_context, self.content.card("supervision_list", {
            "title": t("supervision.views.mine_title"), "intro": t("supervision.views.mine_intro"),
            "none": "" if rows else t("supervision.views.none"), "more_people": "",
            "groups": [{"name": "", "rows": rows, "more": more, "worker": "", "show_all": ""}] if rows else [],
        }))

    async def team(self, turn_context: TurnContext) -> None:
        """Supervisees' and reports' records; card data may narrow it to one of them, never widen it."""
        t = self.text
        wanted = scope_of(turn_context).input.data.get("worker")
        async with self.services.db() as db, db.begin():
            me = await self.me(db, turn_context)
            supported = await supported_by(db, me.id) if me is not None else []
            if me is None or not supported:
                card = self.notice("supervision.views.team_title", t("supervision.views.team_none"))
                return await show(turn_context, card, replace=True)
            if wanted is not None:
                supported = [s for s in supported if s.worker.id == wanted]
                if not supported:
                    card = self.notice("supervision.views.team_title", t("supervision.views.worker_refused"))
                    return await show(turn_context, card, replace=True)
            shown_people = supported[:MAX_PEOPLE]
            records = await repo.records_of(db, [s.worker.id for s in shown_people])
            groups = [await self._group(db, s, [r for r in records if r.worker_id == s.worker.id], me.id, supported,
                                        capped=wanted is None) for s in shown_people]
        hidden = len(supported) - len(shown_people)
        await show(turn_context, self.content.card("supervision_list", {
            "title": t("supervision.views.team_title"), "intro": t("supervision.views.team_intro"), "none": "",
            "groups": groups, "more_people": t("supervision.views.more_people", count=hidden) if hidden else "",
        }))

    async def _group(self, db: AsyncSession, supported: Supported, records: Sequence[SupervisionRecord],
                     viewer_id: str, everyone: Sequence[Supported], *, capped: bool) -> dict[str, Any]:
        t = self.text
        cap = self.config.rows_per_person if capped else MAX_ROWS
        hidden = len(records) - cap if len(records) > cap else 0
        name = supported.worker.name or t("supervision.views.someone")
        return {
            "name": t("supervision.views.for_worker", name=name),
            "rows": [await self.row(db, r, viewer_id, everyone) for r in records[:cap]]
            or [{"title": t("supervision.views.none"), "facts": [], "record": "", "yes": "", "no": ""}],
            "more": t("supervision.views.more", count=hidden) if hidden else "",
            "worker": supported.worker.id if hidden else "",
            "show_all": t("supervision.views.show_all", name=name),
        }

    async def row(self, db: AsyncSession, record: SupervisionRecord, viewer_id: str,
                  supported: Sequence[Supported]) -> dict[str, Any]:
        """One record as `viewer_id` may see it, with the answer buttons when it waits for them."""
        t = self.text
        waiting = record.status == RecordStatus.UNCONFIRMED and repo.confirmer_of(record) == viewer_id
        return {
            "title": t("supervision.views.record_title", type=self.type_name(record.type),
                       date=date_text(record.held_on)),
            "facts": await self.facts(db, record, full=shown_in_full(record, viewer_id, supported)),
            "record": record.id if waiting else "",
            "yes": t("supervision.request.confirm"), "no": t("supervision.request.dispute"),
        }
