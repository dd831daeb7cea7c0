"""Tripartite tasks: probation reviews, returns to work and appraisals that a worker, their line
manager and their peer supervisor complete together, each signing off in their own chat.

Storage and the rules are in storage/tripartite/; this package shows and acts on tasks (tasks.py).
"""

from __future__ import annotations

from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.tripartite.config import TripartiteConfig
from dialogs.tripartite.delivery import KIND, TripartiteDelivery
from dialogs.tripartite.tasks import TaskActions
from storage.roles import Role
from storage.tripartite.repository import supervision_pauses

CARDS = ["tripartite_list", "tripartite_task", "tripartite_notice"]
TICK_SECONDS = 3600
PARTIES = (Role.WORKER, Role.LINE_MANAGER, Role.PEER_SUPERVISOR)


def install(ctx: FeatureContext) -> None:
    config = TripartiteConfig.from_content(ctx.services.content)
    delivery = TripartiteDelivery(ctx.services, config)
    tasks = TaskActions(ctx.services, config, delivery)
    ctx.registry.add(Feature(
        name="tripartite",
        menu=[MenuEntry("tripartite", "tripartite.mine", order=340, roles=PARTIES)],
        actions={"tripartite.mine": tasks.mine, "tripartite.task": tasks.open, "tripartite.agree": tasks.agree,
                 "tripartite.disagree": tasks.disagree, "tripartite.comment": tasks.comment,
                 "tripartite.tick": tasks.tick},
        cards=CARDS,
    ))
    ctx.services.absences.provide(supervision_pauses)  # absences the worker chose to pause supervision for
    ctx.delivery.register(KIND, delivery.render)
    ctx.scheduler.every("tripartite.reminders", TICK_SECONDS, delivery.tick)
