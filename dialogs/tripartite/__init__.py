"""Tripartite tasks: probation reviews, returns to work and appraisals that a worker, their line
manager and their peer supervisor complete together, each signing off in their own chat.

Storage and the rules are in storage/tripartite/; this package shows and acts on tasks (tasks.py).
"""

from __future__ import annotations

from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.tripartite.config import TripartiteConfig
from dialogs.tripartite.data import personal_data
from dialogs.tripartite.delivery import KIND, TripartiteDelivery
from dialogs.tripartite.admin import EXPORT_PATH, AdminView
from dialogs.tripartite.calendar import ics_route
from dialogs.tripartite.manage import MANAGERS, ManageActions
from dialogs.tripartite.meeting import MeetingActions
from dialogs.tripartite.samples import TripartiteSamples
from dialogs.tripartite.views import VIEWERS, TeamViews
from storage.roles import Role
from storage.tripartite.pauses import supervision_pauses

CARDS = ["tripartite_list", "tripartite_task", "tripartite_notice", "tripartite_manage", "tripartite_form",
         "tripartite_team", "tripartite_admin"]
TICK_SECONDS = 3600
PARTIES = (Role.WORKER, Role.LINE_MANAGER, Role.PEER_SUPERVISOR)


def install(ctx: FeatureContext) -> None:
    config = TripartiteConfig.from_content(ctx.services.content)
    delivery = TripartiteDelivery(ctx.services, config)
    tasks = ManageActions(ctx.services, config, delivery)
    meeting = MeetingActions(ctx.services, config, delivery)
    views, admin = TeamViews(ctx.services, config, delivery), AdminView(ctx.services)
    ctx.registry.add(Feature(
        name="tripartite",
        menu=[MenuEntry("tripartite", "tripartite.mine", order=340, roles=PARTIES),
              MenuEntry("tripartite_manage", "tripartite.manage", order=341, roles=MANAGERS),
              MenuEntry("tripartite_team", "tripartite.team", order=342, roles=VIEWERS),
              MenuEntry("tripartite_admin", "tripartite.admin", order=343, roles=(Role.ADMIN,))],
        actions={"tripartite.mine": tasks.mine, "tripartite.task": tasks.open, "tripartite.agree": tasks.agree,
                 "tripartite.disagree": tasks.disagree, "tripartite.comment": tasks.comment,
                 "tripartite.tick": tasks.tick, "tripartite.manage": tasks.manage, "tripartite.form": tasks.form,
                 "tripartite.form.save": tasks.save, "tripartite.pauses": tasks.pauses,
                 "tripartite.book": meeting.book, "tripartite.team": views.team, "tripartite.admin": admin.show},
        cards=CARDS,
    ))
    ctx.services.absences.provide(supervision_pauses)  # absences the worker chose to pause supervision for
    ctx.delivery.register(KIND, delivery.render)
    # Registered after people, so erased before it (the registry erases the latest first): the
    # Person row it finds tasks by is still there.
    ctx.services.personal_data.register(personal_data(ctx.services.content.text))
    ctx.services.sample_data.register("tripartite", TripartiteSamples(ctx.services, config, delivery).add)
    text = ctx.services.content.text
    ics_route(ctx.router, open_db=ctx.services.db, links=ctx.services.links, now=ctx.services.now,
              summary=lambda kind, worker: text("tripartite.meeting.summary", worker=worker,
                                                kind=text(f"tripartite.kinds.{kind}")))  # text-key: tripartite.kinds.*
    ctx.router.add_get(EXPORT_PATH, admin.export)
    ctx.scheduler.every("tripartite.reminders", TICK_SECONDS, delivery.tick)
