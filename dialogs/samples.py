""""Sample data": fills a local development database with what every feature needs to be seen
(sessions with registrations and a register, anonymous feedback and its report, check-ins).

Offered (menu, welcome card) only in local development mode, where the Playground's user is an
administrator and facilitator. Anyone in that mode may ask, since each feature's samples for a
person are that person's own (their check-ins) and the shared ones are made once. Outside it the
action refuses and changes nothing; dialogs/shared/samples.py refuses too, whoever calls it.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.notices import notice_card
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.shared.samples import SamplesRefused
from scheduler.clock import Clock
from storage.roles import FACILITATORS, Role

log = logging.getLogger(__name__)
VERB = "samples.add"


class SampleActions:
    def __init__(self, services: BotServices, clock: Clock) -> None:
        self._services = services
        self._clock = clock

    async def add(self, turn_context: TurnContext) -> None:
        """Add every feature's samples (idempotent) and say what was made and what to try next."""
        services, text = self._services, self._services.content.text
        actor = scope_of(turn_context).actor
        if not services.local_dev or not services.sample_data.enabled or not actor.user_id:
            await self._refuse(turn_context)
            return
        try:
            async with services.db() as db, db.begin():
                result = await services.sample_data.add_all(db, actor, self._clock)
        except SamplesRefused:
            await self._refuse(turn_context)
            return
        services.actors.clear()  # sample links imply roles, cached with the actor
        log.info("sample data added (%d notes)", len(result.lines))
        roles = actor.has_any(Role.ADMIN) and actor.has_any(*FACILITATORS)
        await show(turn_context, services.content.card("samples", {
            "title": text("samples.done.title"),
            "intro": text("samples.done.roles" if roles else "samples.done.no_roles"),
            "lines": [{"text": line} for line in result.lines],
            "next": text("samples.done.next"),
            "steps": [{"title": step.title, "verb": step.verb, "data": dict(step.data)} for step in result.steps],
            "menu": text("samples.done.menu"),
        }), replace=True)

    async def _refuse(self, turn_context: TurnContext) -> None:
        text = self._services.content.text
        await show(turn_context, notice_card(self._services.content, text("samples.refused.title"),
                                             text("samples.refused.text")), replace=True)


def install(ctx: FeatureContext) -> None:
    """The action is always there, so a typed "sample data" gets a clear refusal outside local
    development; the menu entry (and the welcome card's button) only in local development."""
    actions = SampleActions(ctx.services, ctx.clock)
    menu = [MenuEntry("samples", VERB, order=5)] if ctx.services.local_dev else []
    ctx.registry.add(Feature(name="samples", menu=menu, actions={VERB: actions.add}, cards=["samples", "notice"]))
